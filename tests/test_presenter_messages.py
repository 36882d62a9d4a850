"""Messages to the presenter: a controller posts one, every board of the event shows it at once
(highlighted until a board acknowledges it), it is kept in the live record (and across a
restart of the service), and with ``notify`` it goes out once through the host's and the
moderator's channels, however often the request is retried."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from typer.testing import CliRunner

from http_receiver import HttpReceiver
from service_support import live_agenda, read_sse, running_service, store_at, wait_for
from zoomorch.board.state import board_state
from zoomorch.cli.main import app
from zoomorch.cues import CueAgenda, Recipient
from zoomorch.db.store import StateStore
from zoomorch.delivery.log import DeliveryStatus, deliveries
from zoomorch.live.state import (
    MESSAGE_MAX_CHARS,
    LiveSource,
    UnknownMessage,
    acknowledge_message,
    live_revision,
    load_live_record,
    post_message,
    record_actual_start,
)

T0 = datetime(2030, 5, 17, 12, 30, tzinfo=UTC)
SEED = Path(__file__).resolve().parents[1] / "config" / "imrf-2022-latam.toml"


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return store_at(tmp_path)


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


# --------------------------------------------------------------------------- the live record


def test_a_message_is_kept_in_the_live_record_and_acknowledged_once(store: StateStore) -> None:
    message_id = post_message(store, "ev", "  wrap\nup\x07 ", at=T0, by=LiveSource.CLI,
                              notify=True)
    record = load_live_record(store, "ev")
    assert record.revision == 1
    (message,) = record.messages
    assert (message.id, message.text, message.at, message.by, message.notify) == (
        message_id, "wrap up", T0, LiveSource.CLI, True)
    assert not message.acknowledged and message.acknowledged_by is None

    acked = acknowledge_message(store, "ev", message_id, at=T0 + timedelta(seconds=20),
                                by=LiveSource.BOARD)
    again = acknowledge_message(store, "ev", message_id, at=T0 + timedelta(minutes=5),
                                by=LiveSource.CLI)
    assert acked == again  # the first acknowledgement stands
    assert (acked.acknowledged_at, acked.acknowledged_by) == (
        T0 + timedelta(seconds=20), LiveSource.BOARD)
    assert live_revision(store, "ev") == 2  # the second changed nothing
    with pytest.raises(UnknownMessage, match="no message 'nope' was posted for ev"):
        acknowledge_message(store, "ev", "nope", by=LiveSource.CLI)
    # Stored as plain JSON, times in UTC.
    assert load_live_record(store, "ev").messages[0].as_json() == {
        "id": message_id, "text": "wrap up", "at": "2030-05-17T12:30:00+00:00", "by": "cli",
        "notify": True, "acknowledged_at": "2030-05-17T12:30:20+00:00",
        "acknowledged_by": "board"}


@pytest.mark.parametrize(("text", "says"), [
    ("", "empty"), ("  \n\t\x00 ", "empty"),
    ("x" * (MESSAGE_MAX_CHARS + 1), f"at most {MESSAGE_MAX_CHARS}")])
def test_an_empty_or_too_long_message_is_refused(store: StateStore, text: str,
                                                 says: str) -> None:
    with pytest.raises(ValueError, match=says):
        post_message(store, "ev", text, by=LiveSource.CLI)
    assert live_revision(store, "ev") == 0
    post_message(store, "ev", "é" * MESSAGE_MAX_CHARS, by=LiveSource.CLI)  # characters


def test_a_message_posted_again_with_its_id_is_posted_once(store: StateStore) -> None:
    first = post_message(store, "ev", "Q&A next", by=LiveSource.BOARD, message_id="m-1")
    again = post_message(store, "ev", "Q&A next", by=LiveSource.BOARD, message_id="m-1")
    assert first == again == "m-1"
    assert len(load_live_record(store, "ev").messages) == 1
    assert live_revision(store, "ev") == 1
    with pytest.raises(ValueError, match="not a usable message id"):
        post_message(store, "ev", "hi", by=LiveSource.BOARD, message_id="a b")


def test_the_board_snapshot_lists_five_newest_first_and_the_newest_unacknowledged(
        store: StateStore) -> None:
    agenda = live_agenda()
    ids = [post_message(store, agenda.slug, f"message {n}", at=T0 + n * timedelta(seconds=1),
                        by=LiveSource.BOARD) for n in range(7)]
    acknowledge_message(store, agenda.slug, ids[6], by=LiveSource.BOARD)
    state = board_state(store, agenda)
    assert [m["id"] for m in state["messages"]] == ids[6:1:-1]
    assert state["messages"][0] == {
        "id": ids[6], "text": "message 6", "at": (T0 + timedelta(seconds=6)).isoformat(),
        "by": "board", "acknowledged": True,
        "acknowledged_at": state["messages"][0]["acknowledged_at"]}
    assert state["messages"][0]["acknowledged_at"] is not None
    assert state["message"] == {**state["messages"][1]} and state["message"]["id"] == ids[5]
    for message_id in ids:
        acknowledge_message(store, agenda.slug, message_id, by=LiveSource.BOARD)
    assert board_state(store, agenda)["message"] is None
    assert board_state(store, live_agenda("quiet"))["messages"] == []


# --------------------------------------------------------------------------- the service


def test_a_controller_posts_a_viewer_may_not_and_any_board_acknowledges(
        store: StateStore) -> None:
    agenda = live_agenda()
    with running_service(store, [agenda, live_agenda("other")]) as service:
        tokens = service.ctx.tokens
        url = f"{service.base_url}/api/events/{agenda.slug}/message"
        viewer = tokens.issue(agenda.slug, "viewer", language="es")
        controller = tokens.issue(agenda.slug, "controller")
        other = tokens.issue("other", "viewer")

        refused = httpx.post(url, json={"text": "wrap up"}, headers=auth(viewer))
        assert refused.status_code == 403
        assert live_revision(store, agenda.slug) == 0

        posted = httpx.post(url, json={"text": "wrap up", "notify": False},
                            headers=auth(controller))
        assert posted.status_code == 200
        state = posted.json()
        assert state["event"] == agenda.slug and state["revision"] == 1
        message = state["message"]
        assert (message["text"], message["by"], message["acknowledged"]) == (
            "wrap up", "board", False)
        assert state["messages"] == [message]

        ack = f"{url}/{message['id']}/ack"
        assert httpx.post(ack, headers=auth(other)).status_code == 403
        assert httpx.post(ack).status_code == 401
        acked = httpx.post(ack, headers=auth(viewer))
        assert acked.status_code == 200
        assert acked.json()["language"] == "es"  # the viewer's board snapshot
        assert acked.json()["message"] is None
        assert acked.json()["messages"][0]["acknowledged"] is True
        again = httpx.post(ack, headers=auth(controller))
        assert again.status_code == 200
        assert again.json()["messages"][0]["acknowledged_at"] == \
            acked.json()["messages"][0]["acknowledged_at"]
        assert again.json()["revision"] == 2  # idempotent: nothing written the second time

        unknown = httpx.post(f"{url}/nope/ack", headers=auth(viewer))
        assert unknown.status_code == 404
        assert "no message 'nope'" in unknown.json()["error"]


@pytest.mark.parametrize(("body", "says"), [
    ({"text": ""}, "empty"),
    ({"text": " \n "}, "empty"),
    ({"text": "x" * 281}, "at most 280"),
    ({"notify": True}, "no message text"),
    ({"text": "wrap up", "notify": "yes"}, "notify is true or false"),
    ({"text": "wrap up", "id": "a b"}, "not a usable message id"),
    ("not json", "not JSON"),
])
def test_a_bad_message_is_refused_with_what_to_send(store: StateStore, body: Any,
                                                    says: str) -> None:
    agenda = live_agenda()
    with running_service(store, [agenda]) as service:
        controller = service.ctx.tokens.issue(agenda.slug, "controller")
        url = f"{service.base_url}/api/events/{agenda.slug}/message"
        if isinstance(body, str):
            answer = httpx.post(url, content=body.encode(), headers={
                **auth(controller), "content-type": "application/json"})
        else:
            answer = httpx.post(url, json=body, headers=auth(controller))
    assert answer.status_code == 400
    assert says in answer.json()["error"]
    assert live_revision(store, agenda.slug) == 0


def test_a_message_wakes_every_open_board_at_once(store: StateStore) -> None:
    agenda = live_agenda(minutes=(5, 10, 5))
    record_actual_start(store, agenda.slug, agenda.scheduled_start)
    with running_service(store, [agenda], poll_seconds=30) as service:
        # The poll is slow on purpose: only the wake-up of the post can bring the message.
        tokens = service.ctx.tokens
        viewer = tokens.issue(agenda.slug, "viewer", language="fr")
        controller = tokens.issue(agenda.slug, "controller")
        with httpx.stream("GET", f"{service.base_url}/board/{agenda.slug}/stream",
                          params={"token": viewer}, timeout=10) as response:
            events = read_sse(response)
            name, first = next(events)
            assert name == "state" and first["message"] is None and first["messages"] == []
            posted = httpx.post(f"{service.base_url}/api/events/{agenda.slug}/message",
                                json={"text": "Q&A next"}, headers=auth(controller))
            message_id = posted.json()["message"]["id"]
            name, second = next(events)
            assert name == "state"
            assert second["revision"] == first["revision"] + 1
            assert second["message"]["id"] == message_id
            assert second["message"]["text"] == "Q&A next"
            httpx.post(f"{service.base_url}/api/events/{agenda.slug}/message/{message_id}/ack",
                       headers=auth(viewer))
            name, third = next(events)
            assert third["message"] is None and third["messages"][0]["acknowledged"]


def test_messages_are_kept_across_a_restart_of_the_service(tmp_path: Path) -> None:
    agenda = live_agenda()
    store = store_at(tmp_path)
    with running_service(store, [agenda]) as service:
        controller = service.ctx.tokens.issue(agenda.slug, "controller")
        httpx.post(f"{service.base_url}/api/events/{agenda.slug}/message",
                   json={"text": "wrap up"}, headers=auth(controller))
    store.close()
    store = store_at(tmp_path)
    with running_service(store, [agenda]) as service:
        viewer = service.ctx.tokens.issue(agenda.slug, "viewer")
        state = httpx.get(f"{service.base_url}/api/events/{agenda.slug}/state",
                          headers=auth(viewer)).json()
    assert state["message"]["text"] == "wrap up"
    assert [m["text"] for m in state["messages"]] == ["wrap up"]
    store.close()


# --------------------------------------------------------------------------- notify


def staffed_agenda() -> CueAgenda:
    """A live event with a host (English), a moderator (Spanish, from live_agenda) and a
    speaker (French), each on every channel."""
    agenda = live_agenda(minutes=(30, 30))
    zone = ZoneInfo("Europe/Paris")
    return replace(agenda, recipients=(
        *agenda.recipients,
        Recipient("host-1", "Host One", "en", zone, frozenset({"host"}), "host@example.org"),
        Recipient("spk-1", "Speaker One", "fr", zone, frozenset({"speakers:0"}))))


def messages_received(receiver: HttpReceiver) -> list[dict[str, Any]]:
    return [b for b in receiver.bodies if b["kind"] == "message"]


def test_notify_goes_once_to_the_host_and_the_moderator_however_often_it_is_posted(
        tmp_path: Path) -> None:
    from zoomorch.notify.webhook import WebhookNotifier

    agenda = staffed_agenda()
    store = store_at(tmp_path)
    record_actual_start(store, agenda.slug, agenda.scheduled_start)
    with HttpReceiver("/cues") as receiver:
        channel = WebhookNotifier(receiver.url)
        with running_service(store, [agenda], notifiers=[channel],
                             run_scheduler=True) as service:
            controller = service.ctx.tokens.issue(agenda.slug, "controller")
            url = f"{service.base_url}/api/events/{agenda.slug}/message"
            body = {"text": "wrap up", "notify": True, "id": "retry-me"}
            # The page retries a post whose answer it lost: the same id, three times.
            answers = [httpx.post(url, json=body, headers=auth(controller))
                       for _ in range(3)]
            assert [a.status_code for a in answers] == [200] * 3
            assert {a.json()["revision"] for a in answers} == {2}
            wait_for(lambda: len(messages_received(receiver)) >= 2)
            time.sleep(1.5)  # a watcher pass and then some: nothing more comes
        # ... nor after a restart of the service.
        with running_service(store, [agenda], notifiers=[WebhookNotifier(receiver.url)],
                             run_scheduler=True):
            time.sleep(1.5)
        received = messages_received(receiver)
    assert sorted((b["recipient"], b["text"]) for b in received) == [
        ("Host One", "Message from the control room: wrap up"),
        ("Moderator 0", "Mensaje de la sala de control: wrap up")]
    assert all(b["key"].startswith(f"{agenda.slug}|message/retry-me|webhook|") for b in received)
    rows = [d for d in deliveries(store, agenda.slug) if d.kind == "message"]
    assert sorted((d.cue_id, d.channel, d.recipient, d.status) for d in rows) == [
        ("message/retry-me", "webhook", "host-1", DeliveryStatus.DELIVERED),
        ("message/retry-me", "webhook", "mod-0", DeliveryStatus.DELIVERED)]
    # Not on the board channel: every board shows the message itself.
    assert (len(load_live_record(store, agenda.slug).messages)) == 1
    store.close()


def test_notify_without_channels_records_no_delivery_and_the_board_still_shows_it(
        store: StateStore) -> None:
    agenda = staffed_agenda()
    with running_service(store, [agenda]) as service:  # no scheduler: no channels
        controller = service.ctx.tokens.issue(agenda.slug, "controller")
        state = httpx.post(f"{service.base_url}/api/events/{agenda.slug}/message",
                           json={"text": "Q&A next", "notify": True},
                           headers=auth(controller)).json()
    assert state["message"]["text"] == "Q&A next"
    assert load_live_record(store, agenda.slug).messages[0].notify is True
    assert deliveries(store, agenda.slug) == []


# --------------------------------------------------------------------------- the CLI


def test_cues_message_ack_and_status(tmp_path: Path) -> None:
    env = {"ZOOMORCH_STATE_DIR": str(tmp_path)}
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, ["cues", *args], env=env)

    posted = run("message", str(SEED), "wrap up", "--at", "2022-05-17T08:50:00-04:00")
    assert posted.exit_code == 0, posted.output
    message_id = posted.output.split("message ", 1)[1].split(" ", 1)[0]
    assert "every board shows it" in posted.output
    notified = run("message", str(SEED), "Q&A next", "--notify", "--at",
                   "2022-05-17T08:55:00-04:00")
    assert notified.exit_code == 0 and "host and the moderator" in notified.output
    too_long = run("message", str(SEED), "x" * 281)
    assert too_long.exit_code == 2 and "at most 280" in too_long.output

    human = run("status", str(SEED)).output
    assert "messages to the presenter: 2" in human
    assert f"08:50:00 [{message_id}] by cli: 'wrap up' · NOT acknowledged" in human
    assert "'Q&A next' · NOT acknowledged · notify: nothing sent yet" in human

    acked = run("ack", str(SEED), message_id, "--at", "2022-05-17T08:51:00-04:00")
    assert acked.exit_code == 0, acked.output
    assert f"message {message_id} acknowledged at 08:51:00 EDT (cli)" in acked.output
    assert run("ack", str(SEED), message_id).exit_code == 0  # again: nothing changes
    unknown = run("ack", str(SEED), "nope")
    assert unknown.exit_code == 2 and "no message 'nope'" in unknown.output

    human = run("status", str(SEED)).output
    assert f"[{message_id}] by cli: 'wrap up' · acknowledged 08:51:00 (cli)" in human
    status = json.loads(run("status", str(SEED), "--json").output)
    assert [(m["text"], m["at"], m["acknowledged_at"], m["notify"])
            for m in status["run_of_show"]["messages"]] == [
        ("wrap up", "2022-05-17T08:50:00-04:00", "2022-05-17T08:51:00-04:00", False),
        ("Q&A next", "2022-05-17T08:55:00-04:00", None, True)]
