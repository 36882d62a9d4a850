"""Zoom Team Chat channel against the sandbox; the board channel through a running scheduler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from cue_agendas import quick_agenda
from service_support import read_sse, running_service, store_at
from zoomorch.notify.base import CueMessage, DeliveryError, RecipientUnreachable
from zoomorch.notify.zoom_chat import ZoomChatChannelNotifier, ZoomChatNotifier
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import RetryPolicy, ZoomClient, ZoomCredentials


def _client(sandbox: Sandbox) -> ZoomClient:
    env = sandbox.env()
    return ZoomClient(ZoomCredentials(
        account_id=env["ZOOM_ACCOUNT_ID"], client_id=env["ZOOM_CLIENT_ID"],
        client_secret=env["ZOOM_CLIENT_SECRET"], api_base_url=env["ZOOM_API_BASE_URL"],
        oauth_url=env["ZOOM_OAUTH_URL"]))


def _cue(email: str | None = "ana@example.org") -> CueMessage:
    return CueMessage(key="imrf|c1|zoom_chat|ana", event_slug="imrf", kind="time_up",
                      due=datetime(2022, 5, 17, 13, 25, tzinfo=UTC),
                      text="Diálogo interactivo: se acabó el tiempo.",
                      recipient_name="Ana María Diez", recipient_email=email,
                      segment="Diálogo interactivo")


SENDER = "tech.host@example.org"


def _with_sender(sandbox: Sandbox, contacts: list[str]) -> None:
    """The sending user exists in the account and has these people among their contacts."""
    httpx.put(f"{sandbox.admin_url}/users/{SENDER}", json={"first_name": "Tech"})
    httpx.put(f"{sandbox.admin_url}/users/{SENDER}/contacts",
              json={"contacts": contacts}).raise_for_status()


def test_zoom_chat_sends_the_cue_from_the_named_sender_to_a_contact(sandbox: Sandbox) -> None:
    _with_sender(sandbox, ["ana@example.org"])
    notifier = ZoomChatNotifier(_client(sandbox), sender=SENDER)
    notifier.deliver(_cue())
    messages = httpx.get(f"{sandbox.admin_url}/chat").json()["messages"]
    assert len(messages) == 1
    assert messages[0]["message"] == "Diálogo interactivo: se acabó el tiempo."
    assert messages[0]["to_contact"] == "ana@example.org"
    assert messages[0]["sender"] == SENDER


def test_a_person_outside_the_senders_contacts_is_unreachable_and_not_asked_again(
        sandbox: Sandbox) -> None:
    _with_sender(sandbox, [])
    notifier = ZoomChatNotifier(_client(sandbox), sender=SENDER)
    with pytest.raises(RecipientUnreachable, match="not in the Team Chat contacts"):
        notifier.deliver(_cue())
    calls = len(sandbox.requests_log())
    with pytest.raises(RecipientUnreachable):
        notifier.deliver(_cue())
    assert len(sandbox.requests_log()) == calls  # remembered: no second refused call
    assert httpx.get(f"{sandbox.admin_url}/chat").json()["messages"] == []


def test_the_sender_is_never_me_by_default() -> None:
    with pytest.raises(ValueError, match="named user"):
        ZoomChatNotifier(object(), sender="me")  # type: ignore[arg-type]


def test_a_channel_gets_each_cue_once_from_a_member(sandbox: Sandbox) -> None:
    _with_sender(sandbox, [])
    httpx.put(f"{sandbox.admin_url}/channels/cues-imrf", json={
        "name": "IMRF cues", "members": [SENDER, "ana@ngo.example"]}).raise_for_status()
    channel = ZoomChatChannelNotifier(_client(sandbox), sender=SENDER, channel="cues-imrf")
    assert channel.per_cue and not channel.per_person
    channel.deliver(_cue())
    (message,) = httpx.get(f"{sandbox.admin_url}/chat").json()["messages"]
    assert (message["to_channel"], message["sender"]) == ("cues-imrf", SENDER)
    outsider = ZoomChatChannelNotifier(_client(sandbox), sender="host@example.org",
                                       channel="cues-imrf")
    with pytest.raises(DeliveryError) as refused:
        outsider.deliver(_cue())
    assert not refused.value.retry  # a refusal does not change on a retry


def test_zoom_chat_skips_recipients_without_email_and_reports_zoom_errors(
    sandbox: Sandbox,
) -> None:
    notifier = ZoomChatNotifier(_client(sandbox), sender=SENDER)
    assert not notifier.accepts(_cue(email=None))
    with pytest.raises(DeliveryError, match="no email"):
        notifier.deliver(_cue(email=None))
    client = ZoomClient(_client(sandbox).credentials, retry=RetryPolicy(attempts=1))
    sandbox.stop()  # Zoom unreachable: a DeliveryError the scheduler retries, not a crash
    broken = ZoomChatNotifier(client, sender=SENDER)
    with pytest.raises(DeliveryError):
        broken.deliver(_cue())


def test_board_channel_pushes_fired_cues_to_open_boards(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    # Starts in 2 s of real time; at speed 60 its first cues fire within seconds.
    agenda = quick_agenda(datetime.now(UTC) + timedelta(seconds=2), "fired", speed=60.0,
                          minutes=(2, 2))
    with running_service(store, [agenda], run_scheduler=True) as service:
        token = service.ctx.tokens.issue(agenda.slug, "viewer")
        with httpx.stream("GET", f"{service.base_url}/board/{agenda.slug}/stream",
                          params={"token": token}, timeout=15) as response:
            cue = next(data for name, data in read_sse(response) if name == "cue")
    assert cue["kind"] in ("event_start", "segment_start", "doors_open", "tech_check")
    assert cue["text"]
