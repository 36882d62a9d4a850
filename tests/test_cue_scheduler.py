"""The cue scheduler against a real state database: on time, once, late or missed, retried,
re-planned live, surviving kill -9, and enforcing through the Zoom API (the sandbox).

No assertion here bounds how fast the machine is: lateness is judged on the scheduler's
injected clock or through what it recorded (due times, late flags, statuses); real time only
decides when to look, with timeouts far from any figure being tested."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cue_agendas import BrokenNotifier, RecordingNotifier, quick_agenda
from service_support import wait_for
from zoomorch.cues import CueAgenda, Recipient, plan_cues
from zoomorch.db.store import StateStore, open_store
from zoomorch.delivery.log import FINAL, deliveries
from zoomorch.delivery.scheduler import CueScheduler
from zoomorch.live.plan import live_plan
from zoomorch.live.state import load_live, next_segment, record_actual_start, record_end
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient, ZoomCredentials

RUNNER = Path(__file__).resolve().parent / "cue_runner.py"


def now() -> datetime:
    return datetime.now(UTC)


def wait_until(moment: datetime) -> None:
    delay = (moment - now()).total_seconds()
    if delay > 0:
        time.sleep(delay)


def store_at(tmp_path: Path) -> StateStore:
    return open_store(f"sqlite:///{tmp_path / 'state.sqlite3'}")


class FrozenClock:
    """The scheduler's clock, stopped at one moment: every late/missed decision is exact."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def settled(store: StateStore, slug: str, cue_ids: set[str], timeout: float = 30.0) -> None:
    """Wait until each of these cues has delivery rows, all final (a timeout, not a bound)."""
    deadline = time.monotonic() + timeout
    while True:
        rows: dict[str, list[str]] = {}
        for d in deliveries(store, slug):
            rows.setdefault(d.cue_id, []).append(d.status)
        if all(rows.get(c) and all(s in FINAL for s in rows[c]) for c in cue_ids):
            return
        assert time.monotonic() < deadline, f"unsettled: {cue_ids - set(rows)}"
        time.sleep(0.05)


def expected_keys(agenda: CueAgenda, channel: str) -> set[str]:
    return {f"{agenda.slug}|{c.id}|{channel}|{r.id}" for c in plan_cues(agenda)
            for r in agenda.recipients_for(c)}


def test_every_cue_reaches_every_recipient_once_on_time_and_never_early(
        tmp_path: Path) -> None:
    store = store_at(tmp_path)
    start = now() + timedelta(seconds=1.0)
    agenda = quick_agenda(start, speed=240, recipients=2)  # 2-minute tech check: 0.5 s ahead
    sink = RecordingNotifier("sink")
    with CueScheduler(store, [sink], [agenda]):
        wait_until(plan_cues(agenda)[-1].due + timedelta(seconds=0.6))
    keys = Counter(m.key for _, m in sink.received)
    assert set(keys) == expected_keys(agenda, "sink")
    assert set(keys.values()) == {1}
    assert all(at >= m.due for at, m in sink.received)  # never early
    log = {d.key: d for d in deliveries(store, agenda.slug)}
    assert {d.status for d in log.values()} == {"delivered"}
    # What each recipient was told about lateness is what the log recorded.
    assert {m.key: m.late for _, m in sink.received} == {k: d.late for k, d in log.items()}
    moderator_texts = [m.text for _, m in sink.received if m.kind == "time_up"]
    assert "Segment 0: se acabó el tiempo." in moderator_texts  # the moderators speak Spanish


def test_a_failing_channel_never_blocks_the_others_and_is_retried_with_backoff(
        tmp_path: Path) -> None:
    store = store_at(tmp_path)
    start = now() + timedelta(seconds=1.2)
    agenda = quick_agenda(start, speed=120, minutes=(2,), late_grace=timedelta(seconds=5))
    good, flaky = RecordingNotifier("good"), RecordingNotifier("flaky", fail_times=2)
    scheduler = CueScheduler(store, [good, flaky, BrokenNotifier()], [agenda], max_attempts=3,
                             backoff=timedelta(milliseconds=200))
    with scheduler:
        wait_until(plan_cues(agenda)[-1].due + timedelta(seconds=1.6))
    cues = plan_cues(agenda)
    assert len(good.received) == len(cues)
    assert all(at >= m.due for at, m in good.received)  # never early, never held up
    assert Counter(m.key for _, m in flaky.received) == Counter(
        {k: 1 for k in expected_keys(agenda, "flaky")})
    log = {d.key: d for d in deliveries(store, agenda.slug)}
    retried = [d for d in log.values() if d.channel == "flaky" and d.attempts > 1]
    assert retried and all(d.status == "delivered" and d.last_error for d in retried)
    broken = [d for d in log.values() if d.channel == "broken"]
    assert {d.status for d in broken} == {"failed"}
    assert {d.attempts for d in broken} == {3}
    assert all("connection refused" in (d.last_error or "") for d in broken)
    status = live_plan(store, agenda)
    assert status.per_channel()["broken"] == {"failed": len(cues)}
    assert len([f for f in status.failures() if f.channel == "broken"]) == len(cues)


def test_cues_missed_while_down_are_late_within_grace_and_missed_beyond(
        tmp_path: Path) -> None:
    """The scheduler starts long after the event began (on the wall clock every cue is past);
    on its clock, stopped 2.4 s after the start, each cue is on time, late or missed."""
    store = store_at(tmp_path)
    start = now() - timedelta(minutes=5)
    # speed 60: tech check 2 s before the start, doors open 1 s before, segment 0 ends at +2 s.
    agenda = quick_agenda(start, speed=60, late_grace=timedelta(seconds=3))
    found_at = start + timedelta(seconds=2.4)
    record_end(store, agenda.slug, found_at)  # nothing after this moment is planned
    sink = RecordingNotifier("sink")
    planned = plan_cues(agenda, load_live(store, agenda.slug))
    with CueScheduler(store, [sink], [agenda], clock=FrozenClock(found_at)):
        settled(store, agenda.slug, {c.id for c in planned})
    log = {d.cue_id.split("@")[0]: d for d in deliveries(store, agenda.slug)}
    assert log["tech_check/event"].status == "missed"  # 4.4 s late: beyond the grace
    assert log["doors_open/event"].status == "missed"  # 3.4 s
    assert (log["event_start/event"].status, log["event_start/event"].late) == (
        "delivered", True)  # 2.4 s: within the grace, past late_after (0.5 s)
    assert (log["segment_start/s0"].status, log["segment_start/s0"].late) == ("delivered", True)
    assert (log["time_up/s0"].status, log["time_up/s0"].late) == ("delivered", False)  # 0.4 s
    delivered = {m.key.split("|")[1].split("@")[0]: m for _, m in sink.received}
    assert set(delivered) == {"event_start/event", "segment_start/s0", "time_up/s0",
                              "segment_start/s1"}
    assert delivered["event_start/event"].late and not delivered["time_up/s0"].late


def test_next_from_another_process_is_picked_up_while_running(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    start = now() + timedelta(seconds=0.3)
    agenda = quick_agenda(start, speed=60, minutes=(3, 2), advance="manual")
    sink = RecordingNotifier("sink")
    with CueScheduler(store, [sink], [agenda], watch_every=timedelta(seconds=0.1)):
        record_actual_start(store, agenda.slug, start)
        wait_until(start + timedelta(seconds=0.5))
        pressed = now()
        next_segment(open_store(store.url), agenda.slug, pressed)  # a second handle, like the CLI

        def next_started() -> dict[str, tuple[datetime, Any]]:
            return {m.key.split("|")[1].split("@")[0]: (at, m) for at, m in sink.received}

        wait_for(lambda: "segment_start/s1" in next_started())
        at, message = next_started()["segment_start/s1"]
        assert message.due == pressed  # moved from its planned +3 s to the moment of `next`
        assert at >= pressed
        wait_until(start + timedelta(seconds=3.3))
    kinds = [m.key.split("|")[1].split("@")[0] for _, m in sink.received]
    assert "time_up/s0" not in kinds  # planned away by `next`
    assert "warning/s0-1min" not in kinds
    assert "segment_start/s1" in kinds


def test_enforcement_ends_the_webinar_and_starts_recording_through_zoom(
        tmp_path: Path, sandbox: Sandbox) -> None:
    env = sandbox.env()
    client = ZoomClient(ZoomCredentials(
        account_id=env["ZOOM_ACCOUNT_ID"], client_id=env["ZOOM_CLIENT_ID"],
        client_secret=env["ZOOM_CLIENT_SECRET"], api_base_url=env["ZOOM_API_BASE_URL"],
        oauth_url=env["ZOOM_OAUTH_URL"]))
    webinar = client.create_webinar({"topic": "Cue enforcement", "type": 5, "duration": 2,
                                     "start_time": now().strftime("%Y-%m-%dT%H:%M:%SZ")})
    sandbox.store.start_webinar(webinar.id)
    store = store_at(tmp_path)
    start = now() + timedelta(seconds=0.8)
    agenda = quick_agenda(start, speed=120, minutes=(1, 1), end_webinar_at_hard_stop=True)
    sink = RecordingNotifier("sink")
    with CueScheduler(store, [sink], [agenda], zoom=client,
                      webinar_ids={agenda.slug: webinar.id}):
        wait_until(start + timedelta(seconds=1.8))
    zoom_rows = [d for d in deliveries(store, agenda.slug) if d.channel == "zoom"]
    assert sorted((d.recipient, d.status) for d in zoom_rows) == [("end_webinar", "delivered")]
    calls = [(r["method"], r["path"]) for r in sandbox.requests_log()]
    assert ("PUT", f"/v2/webinars/{webinar.id}/status") in calls
    # Recording is the webinar's auto_recording setting: no in-meeting control is sent.
    assert not [path for _, path in calls if "/live_meetings/" in path]
    assert sandbox.store.webinar(webinar.id).status != "started"


@pytest.mark.slow
def test_kill_9_and_restart_delivers_each_cue_once_or_records_it_missed(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    sink = tmp_path / "sink.jsonl"
    start = now() + timedelta(seconds=2.5)
    agenda = quick_agenda(start, "restart", speed=60, recipients=2,
                          late_grace=timedelta(seconds=5))

    def launch() -> tuple[subprocess.Popen[str], datetime]:
        proc = subprocess.Popen([sys.executable, str(RUNNER), url, start.isoformat(), str(sink)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        word, began = proc.stdout.readline().split()
        assert word == "ready"
        return proc, datetime.fromisoformat(began)

    first, _ = launch()
    # Killed well before the end of segment 0 (due at +2 s) and down well past it, with slack
    # for a busy machine: the kill itself or the restart may take a second.
    wait_until(start + timedelta(seconds=0.5))
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    killed = now()
    time.sleep(2.5)
    second, up = launch()  # up: when its scheduler began; back: when it said it was ready
    back = now()
    wait_until(plan_cues(agenda)[-1].due + timedelta(seconds=1.0))
    second.terminate()
    second.wait(timeout=10)

    received = Counter(json.loads(line)["key"] for line in sink.read_text().splitlines())
    assert set(received.values()) == {1}, "a cue reached the channel twice"
    log = {d.key: d for d in deliveries(open_store(url), agenda.slug)}
    assert set(log) == expected_keys(agenda, "sink")
    for key, row in log.items():
        if row.status == "delivered":
            assert received[key] == 1
        else:
            assert row.status in ("missed", "interrupted"), (key, row.status)
            assert received[key] <= 1
    late_after = agenda.settings.late_after
    for row in log.values():
        # Due while it was down, by more than late_after before the new scheduler began (on a
        # busy machine the restart itself takes a while): late, or missed past the grace.
        if killed < row.due < up - late_after:
            assert (row.status == "delivered" and row.late) or row.status == "missed", row
        elif row.due > back:  # due after the restart was up: delivered
            assert row.status == "delivered", row
    assert {d.cue_id.split("@")[0] for d in log.values() if killed < d.due < back} >= {
        "time_up/s0", "segment_start/s1"}


def test_stopping_while_cues_come_due_logs_no_error_and_the_jobs_fire_after_restart(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    crashed: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", crashed.append)
    store = store_at(tmp_path)
    start = now() + timedelta(seconds=0.6)
    # A long grace: what the stop leaves behind is still delivered (late) after the restart.
    agenda = quick_agenda(start, speed=60, recipients=3, late_grace=timedelta(minutes=1))
    due_at_start = {c.id for c in plan_cues(agenda) if c.due == agenda.scheduled_start}
    assert len(due_at_start) == 2  # "start now" and the first segment
    first, second = RecordingNotifier("sink"), RecordingNotifier("sink")
    caplog.set_level(logging.INFO)
    scheduler = CueScheduler(store, [first], [agenda])
    scheduler.start()
    wait_until(start - timedelta(milliseconds=1))
    scheduler.stop()  # exactly while the start's cues come due
    time.sleep(0.1)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert not crashed, crashed[0].exc_value
    before = {m.extra["cue_id"] for _, m in first.received}
    with CueScheduler(store, [second], [agenda]):
        settled(store, agenda.slug, due_at_start)
    after = {m.extra["cue_id"] for _, m in second.received}
    # Each cue due at the stop went out once: before it, or after the restart.
    assert due_at_start <= before | after
    assert not before & after
    keys = Counter(m.key for _, m in first.received + second.received)
    assert set(keys.values()) == {1}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert not crashed


@pytest.mark.slow
@pytest.mark.parametrize("advance", ["manual", "auto"])
def test_a_late_start_announces_the_first_segment_once(tmp_path: Path, advance: str) -> None:
    store = store_at(tmp_path)
    start = now() + timedelta(seconds=0.5)
    # speed 60: the host starts 1.5 event minutes (1.5 s) late; segment 0 lasts 3 minutes.
    agenda = quick_agenda(start, speed=60, minutes=(3, 2), advance=advance)
    host = Recipient("host", "Host", "es", ZoneInfo("America/Bogota"), frozenset({"host"}))
    agenda = replace(agenda, recipients=(*agenda.recipients, host))
    sink = RecordingNotifier("sink")
    started = start + timedelta(seconds=1.5)
    with CueScheduler(store, [sink], [agenda], watch_every=timedelta(seconds=0.1)):
        wait_until(started)
        # e.g. `zoomorch cues start`, from another process
        record_actual_start(open_store(store.url), agenda.slug, started)
        # Segment 0 now ends 3 s after the recorded start (manual) or the scheduled one (auto);
        # its 1-minute warning comes 1 s before.
        wait_for(lambda: any(m.kind == "warning" and m.recipient_name == "Moderator 0"
                             for _, m in sink.received), timeout=10)
    starts = [(at, m) for at, m in sink.received if m.kind == "segment_start"
              and m.segment == "Segment 0" and m.recipient_name == "Moderator 0"]
    assert len(starts) == 1, [m.text for _, m in starts]
    late = [m.text for _, m in sink.received if m.kind == "not_started"]
    assert all(m.recipient_name == "Host" for _, m in sink.received
               if m.kind == "not_started")
    if advance == "manual":
        # Told at +1 min that it had not started; the segment began with the webinar.
        assert late == ["El webinar aún no ha empezado: +1 min de retraso."]
        assert starts[0][1].due == started
    else:
        assert late == []  # auto: announced on the clock, the moved one stays quiet
        assert starts[0][1].due == start
    assert all(at >= m.due for at, m in starts)
    warnings = [m.text for _, m in sink.received
                if m.kind == "warning" and m.recipient_name == "Moderator 0"]
    assert len(warnings) == 1 and "termina a las" in warnings[0]  # the new end
