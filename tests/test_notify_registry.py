"""The channel registry: every channel of the event file's ``[notifications]`` is in it, and an
event's channels are read from the file and built by one loop over it — each then delivering
to a real server on loopback (the sandbox's Team Chat, an HTTP receiver, an SMTP server, the
board's hub, a console)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from rich.console import Console

from event_support import seed_data
from http_receiver import HttpReceiver
from smtp_support import Inbox, smtp_server
from zoomorch.board.hub import BoardHub
from zoomorch.event import Notifications, parse_event
from zoomorch.notify.base import CueMessage
from zoomorch.notify.channels import (
    ChannelOverrides,
    ChannelSetupError,
    build_notifiers,
    resolve_channels,
)
from zoomorch.notify.console import ConsoleNotifier
from zoomorch.notify.registry import REGISTRY
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient, load_settings

SENDER = "tech.host@example.org"
MODERATOR = "ana@example.org"


def _cue(email: str | None = MODERATOR) -> CueMessage:
    return CueMessage(key="imrf|c1|ana", event_slug="imrf", kind="time_up",
                      due=datetime(2022, 5, 17, 13, 25, tzinfo=UTC),
                      text="Diálogo interactivo: se acabó el tiempo.",
                      recipient_name="Ana María Diez", recipient_email=email,
                      segment="Diálogo interactivo", extra={"cue_id": "c1"})


def _notifications(**channels: Any) -> Notifications:
    data = seed_data()
    data["notifications"] = channels
    return parse_event(data).notifications


def test_the_registry_knows_every_channel_the_event_file_has() -> None:
    in_the_file = {name for name in Notifications.model_fields if name != "people"}
    assert set(REGISTRY) == in_the_file
    # The order channels are listed and offered each cue in (docs/event-file.md's).
    assert list(REGISTRY) == ["console", "zoom_chat", "webhook", "email", "board"]
    # A person may be restricted to any registered channel.
    data = seed_data()
    data["notifications"] = {"people": {"ana-maria-diez": list(REGISTRY)}}
    assert parse_event(data).notifications.people["ana-maria-diez"] == list(REGISTRY)


def test_every_channel_is_read_from_the_file_built_and_delivers(sandbox: Sandbox) -> None:
    httpx.put(f"{sandbox.admin_url}/users/{SENDER}", json={"first_name": "Tech"})
    httpx.put(f"{sandbox.admin_url}/users/{SENDER}/contacts",
              json={"contacts": [MODERATOR]}).raise_for_status()
    httpx.put(f"{sandbox.admin_url}/channels/cues-imrf", json={
        "name": "IMRF cues", "members": [SENDER, MODERATOR]}).raise_for_status()
    inbox = Inbox()
    screen = io.StringIO()
    hub = BoardHub()
    with HttpReceiver("/cues") as receiver, smtp_server(inbox) as smtp:
        notes = _notifications(
            console=True, board=True,
            zoom_chat={"sender": SENDER, "channel": "cues-imrf"},
            webhook={"url": receiver.url, "timeout_seconds": 2},
            email={"host": "127.0.0.1", "port": smtp.port, "starttls": False,
                   "sender": "cues@example.org"})
        plan = resolve_channels(notes, env={})
        client = ZoomClient(load_settings(environ=sandbox.env()).credentials)
        notifiers = build_notifiers(
            plan, zoom=client, hub=hub,
            console=ConsoleNotifier(Console(file=screen, width=200, color_system=None)))

        names = [n.name for n in notifiers]
        assert names == plan.names() == ["console", "zoom_chat", "zoom_chat_channel",
                                         "webhook", "email", "board"]
        for notifier in notifiers:
            notifier.deliver(_cue())

        assert [body["text"] for body in receiver.bodies] == [_cue().text]
    assert inbox.bodies_to(MODERATOR)[0].startswith(_cue().text)
    chat = httpx.get(f"{sandbox.admin_url}/chat").json()["messages"]
    assert [(m.get("to_contact"), m.get("to_channel"), m["sender"]) for m in chat] == [
        (MODERATOR, None, SENDER), (None, "cues-imrf", SENDER)]
    assert _cue().text in screen.getvalue()
    assert [item["cue_id"] for item in hub.recent("imrf")] == ["c1"]


def test_what_the_scheduler_asks_of_each_channel(sandbox: Sandbox) -> None:
    notes = _notifications(console=True, board=True, email={"host": "smtp.example.org"},
                           zoom_chat={"sender": SENDER, "channel": "cues-imrf"},
                           webhook={"url": "https://cues.example.org/in"})
    client = ZoomClient(load_settings(environ=sandbox.env()).credentials)
    built = {n.name: n for n in build_notifiers(resolve_channels(notes, env={}), zoom=client,
                                                 hub=BoardHub())}
    traits = {name: (n.per_person, n.per_cue, n.accepts(_cue(email=None)))
              for name, n in built.items()}
    assert traits == {
        "console": (True, False, True),
        "zoom_chat": (True, False, False),  # Zoom addresses a contact by email
        "zoom_chat_channel": (False, True, True),  # once per cue, the event's channel
        "webhook": (True, False, True),
        "email": (True, False, True),  # fails with the fix instead (no address)
        "board": (False, True, True),  # once per cue: the event's board, in every language
    }
    assert sandbox.requests_log() == []  # building calls nobody


def test_a_command_line_webhook_that_is_not_http_fails_before_anything_is_built() -> None:
    with pytest.raises(ChannelSetupError, match="must start with http:// or https://"):
        resolve_channels(_notifications(), env={},
                         overrides=ChannelOverrides(webhooks=("ftp://cues.example.org/x",)))


def test_me_as_the_team_chat_sender_in_the_environment_is_refused_with_the_fix() -> None:
    with pytest.raises(ChannelSetupError) as refused:
        resolve_channels(_notifications(zoom_chat=True), source="event.toml",
                         env={"ZOOMORCH_CHAT_SENDER": "me"})
    assert str(refused.value).startswith("event.toml: ZOOMORCH_CHAT_SENDER: 'me' is the owner")
    assert "name the sending user by email" in str(refused.value)


def test_channels_that_are_off_are_neither_listed_nor_built() -> None:
    plan = resolve_channels(_notifications(console=False, board=False), env={})
    assert plan.names() == [] and build_notifiers(plan, hub=BoardHub()) == []
    assert (plan.console, plan.board, plan.zoom_chat, plan.webhooks, plan.email) == (
        False, False, None, (), None)
