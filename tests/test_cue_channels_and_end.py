"""Channels built from the event file, the recorded end of a webinar, and channels that must
not be retried — each against real servers on loopback (the scheduler, the service, the
sandbox, an HTTP receiver)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from cue_agendas import RecordingNotifier, quick_agenda
from http_receiver import HttpReceiver
from service_support import (
    BOARD_KEY,
    running_service,
    signed_headers,
    store_at,
    wait_for,
    zoom_event,
)
from zoomorch.cli.main import app
from zoomorch.cues import LiveState, agenda_from_event, plan_cues
from zoomorch.delivery.log import FINAL, deliveries
from zoomorch.delivery.scheduler import CueScheduler
from zoomorch.event import load_event, parse_event
from zoomorch.live.plan import live_plan
from zoomorch.live.state import load_live, record_actual_start, record_end
from zoomorch.notify.base import DeliveryError, Notifier
from zoomorch.notify.board import BoardNotifier
from zoomorch.notify.channels import (
    ChannelOverrides,
    ChannelSetupError,
    build_notifiers,
    resolve_channels,
)
from zoomorch.notify.zoom_chat import ZoomChatNotifier
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient, ZoomCredentials

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "config" / "imrf-2022-latam.toml"
HOOK_URL = "https://hooks.slack.com/services/T0/B0/abcdefghijklmnopqrstuvwx"


def now() -> datetime:
    return datetime.now(UTC)


def wait_until(moment: datetime) -> None:
    delay = (moment - now()).total_seconds()
    if delay > 0:
        time.sleep(delay)


def seed_with(**sections: Any) -> dict[str, Any]:
    data = tomllib.loads(SEED.read_text(encoding="utf-8"))
    data.update(sections)
    return data


def write_toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def mark_started(event: Path, state_dir: Path, at: datetime) -> None:
    """`zoomorch cues start EVENT --at …`: under manual advance the first segment (and its
    cues) waits for the recorded start."""
    result = CliRunner().invoke(app, ["cues", "start", str(event), "--at", at.isoformat()],
                                env={"ZOOMORCH_STATE_DIR": str(state_dir),
                                     "ZOOMORCH_STATE_URL": None})
    assert result.exit_code == 0, result.output


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver("/cues") as r:
        yield r


# -- channels from the event file -------------------------------------------------------------


def test_webhook_url_comes_from_the_variable_the_file_names_and_stays_out_of_reprs() -> None:
    spec = parse_event(seed_with(notifications={"webhook": {"url_env": "CUES_HOOK"},
                                                "console": False}))
    plan = resolve_channels(spec.notifications, env={"CUES_HOOK": HOOK_URL})
    assert plan.webhooks == (HOOK_URL,)
    assert plan.names() == ["webhook", "board"]
    assert HOOK_URL not in repr(plan)
    notifiers = build_notifiers(plan)  # no hub (e.g. `cues run`): no board channel
    assert [n.name for n in notifiers] == ["webhook"]
    assert "abcdefghijklmnop" not in repr(notifiers)


def test_an_unset_webhook_variable_names_the_file_field_and_fix() -> None:
    spec = parse_event(seed_with(notifications={"webhook": {"url_env": "CUES_HOOK"}}))
    with pytest.raises(ChannelSetupError) as caught:
        resolve_channels(spec.notifications, source="config/x.toml", env={})
    assert str(caught.value) == (
        "config/x.toml: notifications.webhook.url_env: CUES_HOOK is not set — export "
        "CUES_HOOK with the webhook's URL (or remove [notifications.webhook])")


def test_command_line_choices_override_the_file() -> None:
    spec = parse_event(seed_with(notifications={
        "console": True, "zoom_chat": True, "webhook": {"url": "https://cues.example.org/in"},
        "email": {"host": "smtp.example.org", "sender": "cues@example.org", "user": "cues"}}))
    plan = resolve_channels(spec.notifications, env={}, overrides=ChannelOverrides(
        console=False, zoom_chat=False, board=False, webhooks=("http://127.0.0.1:9/a",),
        smtp_port=2525, smtp_starttls=False))
    assert plan.names() == ["webhook", "email"]
    assert plan.webhooks == ("http://127.0.0.1:9/a",)
    assert plan.email is not None
    assert (plan.email.host, plan.email.port, plan.email.starttls, plan.email.user,
            plan.email.sender) == ("smtp.example.org", 2525, False, "cues", "cues@example.org")
    assert resolve_channels(parse_event(seed_with()).notifications).names() == [
        "console", "board"]


def test_zoom_chat_without_a_zoom_client_names_the_fix() -> None:
    spec = parse_event(seed_with(notifications={"zoom_chat": {"sender": "tech@example.org"}}))
    with pytest.raises(ChannelSetupError, match="ZOOM_ACCOUNT_ID"):
        build_notifiers(resolve_channels(spec.notifications, env={}))


def test_zoom_chat_without_a_sender_names_the_field_and_the_variable() -> None:
    spec = parse_event(seed_with(notifications={"zoom_chat": True}))
    with pytest.raises(ChannelSetupError) as missing:
        resolve_channels(spec.notifications, source="event.toml", env={})
    assert "event.toml: notifications.zoom_chat: no sender" in str(missing.value)
    assert "ZOOMORCH_CHAT_SENDER" in str(missing.value)
    chosen = resolve_channels(spec.notifications, env={"ZOOMORCH_CHAT_SENDER": "t@example.org"})
    assert chosen.zoom_chat is not None and chosen.zoom_chat.sender == "t@example.org"
    channel_only = parse_event(seed_with(notifications={"zoom_chat": {
        "sender": "t@example.org", "people": False, "channel": "cues-imrf"}}))
    assert resolve_channels(channel_only.notifications, env={}).names() == [
        "console", "zoom_chat_channel", "board"]


def test_serve_refuses_to_start_when_the_webhook_variable_is_unset(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8") + (
        '\n[notifications.webhook]\nurl_env = "ZOOMORCH_TEST_UNSET_HOOK"\n')
    event = write_toml(tmp_path / "event.toml", text)
    result = CliRunner().invoke(app, ["serve", str(event), "--port", "0"], env={
        "ZOOMORCH_STATE_DIR": str(tmp_path), "ZOOMORCH_BOARD_SECRET": BOARD_KEY,
        "ZOOMORCH_TEST_UNSET_HOOK": ""})
    assert result.exit_code == 2
    assert "notifications.webhook.url_env: ZOOMORCH_TEST_UNSET_HOOK is not set" in result.output


def test_per_person_channels_limit_that_persons_deliveries_but_not_the_board(
        tmp_path: Path) -> None:
    store = store_at(tmp_path)
    start = now() + timedelta(seconds=0.6)
    agenda = quick_agenda(start, speed=240, minutes=(1,), recipients=2)
    first, second = agenda.recipients
    agenda = replace(agenda, recipients=(replace(first, channels=frozenset({"email"})), second))
    console, email = RecordingNotifier("console"), RecordingNotifier("email")
    board = RecordingNotifier("board")
    board.per_person = False  # type: ignore[attr-defined]  # like BoardNotifier
    assert BoardNotifier.per_person is False
    with CueScheduler(store, [console, email, board], [agenda]):
        wait_until(plan_cues(agenda)[-1].due + timedelta(seconds=0.5))
    cues = len(plan_cues(agenda))

    def to(notifier: RecordingNotifier, who: str) -> int:
        return sum(1 for _, m in notifier.received if m.extra["recipient_id"] == who)

    assert (to(console, first.id), to(email, first.id)) == (0, cues)
    assert (to(console, second.id), to(email, second.id)) == (cues, cues)
    assert (to(board, first.id), to(board, second.id)) == (cues, cues)


def test_cues_run_delivers_on_the_event_files_channels(tmp_path: Path,
                                                       receiver: HttpReceiver) -> None:
    text = SEED.read_text(encoding="utf-8").replace(
        "console = true ", "console = false").replace(
        "# [notifications.webhook]\n# url_env", "[notifications.webhook]\nurl_env")
    event = write_toml(tmp_path / "event.toml", text)
    assert load_event(event).notifications.webhook is not None
    start = now() + timedelta(seconds=2)
    env = {**os.environ, "ZOOMORCH_STATE_DIR": str(tmp_path),
           "ZOOMORCH_CUE_WEBHOOK_URL": receiver.url}
    env.pop("ZOOMORCH_STATE_URL", None)
    # At 600× the 30-minute tech check is 3 s before the start; the opening lasts 0.5 s.
    mark_started(event, tmp_path, start)
    process = subprocess.Popen(
        [sys.executable, "-m", "zoomorch.cli.main", "cues", "run", str(event), "--speed", "600",
         "--start-at", start.isoformat()],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(start + timedelta(seconds=1.0))
        deadline = time.monotonic() + 10
        while not any(b["kind"] == "time_up" for b in receiver.bodies):
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "no time_up cue reached the webhook"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=15)
    assert "channels: webhook" in err
    opening_end = [b for b in receiver.bodies if b["kind"] == "time_up"]
    by_person = {b["recipient"]: b["text"] for b in opening_end}
    # The seed's title_es names the segment for Spanish readers; English keeps the title.
    assert by_person["Johanna Sáenz"] == "Palabras de apertura: se acabó el tiempo."
    assert by_person["Technical host (IMRF side events)"] == "Opening Remarks: time is up."


# -- the end of the webinar -------------------------------------------------------------------


def test_a_recorded_end_cancels_every_cue_still_to_come() -> None:
    agenda = agenda_from_event(load_event(SEED))
    start = agenda.scheduled_start
    end = start + timedelta(minutes=53)
    live = LiveState(actual_start=start, ended_at=end)
    cues = plan_cues(agenda, live)
    assert cues and all(c.due < end for c in cues)
    assert not any(c.kind == "hard_stop" for c in cues)  # overruns stop at the end too
    assert not any(c.projected for c in cues)
    before = plan_cues(agenda, LiveState(actual_start=start))
    assert [c.id for c in cues] == [c.id for c in before if c.due < end and not c.projected]


def test_record_end_keeps_the_first_end_and_bumps_the_revision_once(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    first = datetime(2022, 5, 17, 13, 31, tzinfo=UTC)
    record_end(store, "imrf", first)
    again = record_end(store, "imrf", first + timedelta(minutes=1))
    assert again.ended_at == first == load_live(store, "imrf").ended_at
    assert load_live(store, "imrf").adjustments == ()


@pytest.mark.slow
def test_signed_webinar_ended_stops_the_remaining_cues_of_a_running_scheduler(
        tmp_path: Path) -> None:
    store = store_at(tmp_path)
    store.save_binding("ending", webinar_id=81234567890)
    start = now() + timedelta(seconds=0.5)
    # speed 30, manual: the opening ends at +4 s and then overruns every 2 s.
    agenda = quick_agenda(start, "ending", speed=30, minutes=(2, 3), advance="manual")
    record_actual_start(store, agenda.slug, start)
    sink = RecordingNotifier("sink")
    with running_service(store, [agenda], notifiers=[sink], run_scheduler=True) as service:
        # Time is up, then the first overrun: the end comes right after it, 2 s before the
        # next one (the time Zoom's webhook has to reach the scheduler).
        wait_for(lambda: any(m.kind == "overrun" for _, m in sink.received), timeout=15)
        ended = now()
        # Zoom's clock in a speed-60 rehearsal (the sandbox's) shows event time.
        stamped = agenda.to_event_time(ended)
        body = zoom_event("webinar.ended", {
            "id": "81234567890", "end_time": stamped.strftime("%Y-%m-%dT%H:%M:%S.%fZ")})
        response = httpx.post(f"{service.base_url}/zoom/webhook", content=body,
                              headers=signed_headers(body))
        assert response.status_code == 200
        assert service.ctx.events is not None and service.ctx.events.drain()
        wait_until(ended + timedelta(seconds=4.2))  # two more overruns would have fired
        token = service.ctx.tokens.issue(agenda.slug)
        state = httpx.get(f"{service.base_url}/api/events/{agenda.slug}/state",
                          params={"token": token}).json()
    live = load_live(store, agenda.slug)
    assert live.ended_at is not None and abs(live.ended_at - ended) < timedelta(seconds=1)
    kinds = [m.kind for _, m in sink.received]
    assert "time_up" in kinds and "overrun" in kinds
    after_end = [(m.due, m.kind) for _, m in sink.received if m.due >= live.ended_at]
    assert after_end == [], "a cue due after the recorded end went out"
    assert not [d for d in deliveries(store, agenda.slug) if d.kind == "hard_stop"]
    assert state["phase"] == "ended"
    assert live_plan(store, agenda).state == "ended"


def test_cues_end_command_cancels_the_rest_and_status_says_ended(tmp_path: Path) -> None:
    env = {"ZOOMORCH_STATE_DIR": str(tmp_path)}
    runner = CliRunner()
    for step in (["start", "--at", "2022-05-17T08:30:00-04:00"],
                 ["end", "--at", "2022-05-17T09:20:00-04:00"]):
        result = runner.invoke(app, ["cues", step[0], str(SEED), *step[1:]], env=env)
        assert result.exit_code == 0, result.output
    assert "ended at 09:20:00 EDT; remaining cues cancelled" in result.output
    status = json.loads(runner.invoke(app, ["cues", "status", str(SEED), "--json"],
                                      env=env).output)
    assert status["state"] == "ended"
    assert status["ended_at"] == "2022-05-17T13:20:00+00:00"
    assert status["current_segment"] is None
    last = max(datetime.fromisoformat(c["due"]) for c in status["cues"])
    assert last < datetime(2022, 5, 17, 13, 20, tzinfo=UTC)
    assert not [c for c in status["cues"] if c["kind"] == "hard_stop"]
    human = runner.invoke(app, ["cues", "status", str(SEED)], env=env).output
    assert "ended: 09:20:00 EDT (cues from then on cancelled)" in human
    assert "state: ended" in human


# -- retries whose cue leaves the plan ---------------------------------------------------------


class DownAtTimeUp(Notifier):
    """A channel that refuses "time is up" cues until it is repaired (others go through)."""

    name = "flaky"

    def __init__(self) -> None:
        self.repaired = threading.Event()
        self.received: list[Any] = []

    def deliver(self, message: Any) -> None:
        if message.kind == "time_up" and not self.repaired.is_set():
            raise DeliveryError("flaky is down")
        self.received.append(message)


@pytest.mark.slow
@pytest.mark.parametrize("change", ["next", "end"])
def test_a_retry_whose_cue_is_planned_away_is_cancelled_never_sent_and_shown_by_status(
        tmp_path: Path, change: str) -> None:
    from zoomorch.live.state import next_segment

    store = store_at(tmp_path)
    slug = "imrf-2022-latam"  # the seed file's key, so `cues status SEED` reads these rows
    start = now() + timedelta(seconds=0.5)
    agenda = quick_agenda(start, slug, speed=60, minutes=(2, 3), advance="manual",
                          late_grace=timedelta(seconds=10))
    record_actual_start(store, slug, start)
    time_up = next(c for c in plan_cues(agenda, load_live(store, slug))
                   if c.kind == "time_up")
    flaky, sink = DownAtTimeUp(), RecordingNotifier("sink")
    # The retry is planned 3 s after the failure: the watcher (every 0.2 s) has that long to
    # see the change from "another process" and cancel it.
    scheduler = CueScheduler(store, [flaky, sink], [agenda], backoff=timedelta(seconds=3),
                             watch_every=timedelta(seconds=0.2))

    def waiting() -> bool:
        return any(d.cue_id == time_up.id and d.channel == "flaky" and d.status == "retrying"
                   for d in deliveries(store, slug))

    with scheduler:
        wait_until(time_up.due)
        wait_for(waiting, timeout=10)
        # Recorded as of half a second before time was up (`cues next --at …`, or Zoom's
        # webinar.ended arriving after the fact), from "another process": the watcher re-plans.
        at = time_up.due - timedelta(seconds=0.5)
        if change == "next":
            next_segment(store, slug, at=at)
        else:
            record_end(store, slug, at=at)
        flaky.repaired.set()
        # The change is seen (the retry cancelled), then past the retry it had planned.
        wait_for(lambda: not waiting(), timeout=10)
        wait_until(time_up.due + timedelta(seconds=3.5))
    rows = {d.channel: d for d in deliveries(store, slug) if d.cue_id == time_up.id}
    assert rows["sink"].status == "delivered"
    assert rows["flaky"].status == "cancelled" and rows["flaky"].attempts == 1
    reason = rows["flaky"].last_error or ""
    assert reason.startswith("planned away by " + (
        "next/shift/extend/start" if change == "next" else "the end of the webinar"))
    assert "flaky is down" in reason
    assert not [m for m in flaky.received if m.extra["cue_id"] == time_up.id], (
        "sent after it was cancelled")
    assert not [d for d in deliveries(store, slug) if d.status not in FINAL]
    plan = live_plan(store, agenda)
    assert time_up.id not in {c.id for c in plan.cues}
    assert [d.key for d in plan.cancelled()] == [rows["flaky"].key]
    assert rows["flaky"].key not in {f.key for f in plan.failures()}

    runner = CliRunner()
    env = {"ZOOMORCH_STATE_URL": f"sqlite:///{tmp_path / 'state.sqlite3'}"}
    status = json.loads(runner.invoke(app, ["cues", "status", str(SEED), "--json"],
                                      env=env).output)
    assert [(c["key"], c["kind"], c["channel"]) for c in status["cancelled"]] == [
        (rows["flaky"].key, "time_up", "flaky")]
    assert status["channels"]["flaky"].get("cancelled") == 1
    human = runner.invoke(app, ["cues", "status", str(SEED)], env=env).output
    assert "cancelled before delivery (cue planned away): 1" in human
    assert "time_up → mod-0 on flaky: cancelled after 1 attempt(s): planned away by" in human


# -- channels that must not be retried --------------------------------------------------------


def test_team_chat_after_a_lost_answer_is_recorded_failed_and_never_retried(
        tmp_path: Path, sandbox: Sandbox) -> None:
    env = sandbox.env()
    client = ZoomClient(ZoomCredentials(
        account_id=env["ZOOM_ACCOUNT_ID"], client_id=env["ZOOM_CLIENT_ID"],
        client_secret=env["ZOOM_CLIENT_SECRET"], api_base_url=env["ZOOM_API_BASE_URL"],
        oauth_url=env["ZOOM_OAUTH_URL"]))
    # Zoom processes every call, then the connection is cut before the answer arrives.
    sandbox.faults.update({"drop_after_processing_rate": 1.0})
    store = store_at(tmp_path)
    start = now() + timedelta(seconds=0.8)
    agenda = quick_agenda(start, "lost", speed=240, minutes=(1,),
                          late_grace=timedelta(seconds=10))
    sink = RecordingNotifier("sink")
    sandbox.store.put_user("tech@example.org")
    sandbox.store.set_contacts("tech@example.org", [r.email or "" for r in agenda.recipients])
    scheduler = CueScheduler(store, [ZoomChatNotifier(client, sender="tech@example.org"), sink],
                             [agenda],
                             max_attempts=4, backoff=timedelta(milliseconds=50))
    with scheduler:
        wait_until(plan_cues(agenda)[-1].due + timedelta(seconds=1.0))
    rows = [d for d in deliveries(store, agenda.slug) if d.channel == "zoom_chat"]
    assert len(rows) == len(plan_cues(agenda))
    assert {(d.status, d.attempts) for d in rows} == {("failed", 1)}
    assert all((d.last_error or "").startswith("not retried: DeliveryError: zoom_chat:")
               and "may have been sent" in (d.last_error or "") for d in rows)
    chats = httpx.get(f"{sandbox.admin_url}/chat").json()["messages"]
    assert len(chats) == len(rows)  # each landed once, none twice
    assert len(sink.received) == len(rows)  # the other channel was not held up
    failures = live_plan(store, agenda).failures()
    assert {f.channel for f in failures} == {"zoom_chat"}


def test_serve_builds_each_events_channels_from_its_file(tmp_path: Path,
                                                         receiver: HttpReceiver) -> None:
    text = SEED.read_text(encoding="utf-8").replace(
        "# [notifications.webhook]\n# url_env", "[notifications.webhook]\nurl_env")
    event = write_toml(tmp_path / "event.toml", text)
    start = now() + timedelta(seconds=2)
    env = {**os.environ, "ZOOMORCH_STATE_DIR": str(tmp_path),
           "ZOOMORCH_BOARD_SECRET": BOARD_KEY, "ZOOMORCH_CUE_WEBHOOK_URL": receiver.url}
    env.pop("ZOOMORCH_STATE_URL", None)
    mark_started(event, tmp_path, start)
    process = subprocess.Popen(
        [sys.executable, "-m", "zoomorch.cli.main", "serve", str(event), "--port", "0",
         "--speed", "600", "--start-at", start.isoformat(), "--no-console"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while not any(b["kind"] == "segment_start" for b in receiver.bodies):
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "no cue reached the webhook"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=15)
    assert "imrf-2022-latam: channels webhook, board" in err  # --no-console won over the file
    assert receiver.url not in err
