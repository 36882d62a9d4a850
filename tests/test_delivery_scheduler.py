"""The cue scheduler's own decisions, independent of the machine's speed: what a start rebuilds
from the delivery log (exactly the unsettled cues), on time / late / missed by the scheduler's
injected clock, and a stop that lands while cues fall due (quiet, nothing lost, nothing twice).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from cue_agendas import RecordingNotifier, quick_agenda
from zoomorch.cues import Cue, CueAgenda, plan_cues
from zoomorch.db.store import StateStore, open_store
from zoomorch.db.tables import CueDelivery
from zoomorch.delivery.log import FINAL, DeliveryStatus, deliveries, delivery_key
from zoomorch.delivery.scheduler import CueScheduler


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def store_at(tmp_path: Path) -> StateStore:
    return open_store(f"sqlite:///{tmp_path / 'state.sqlite3'}")


def add_rows(store: StateStore, agenda: CueAgenda, rows: list[tuple[Cue, str, DeliveryStatus,
                                                                   datetime | None]]) -> None:
    """Delivery-log rows as a previous run left them: (cue, recipient, status, next attempt)."""
    with store.session() as session:
        session.execute(insert(CueDelivery), [
            {"key": delivery_key(agenda.slug, cue.id, "sink", who), "event_slug": agenda.slug,
             "cue_id": cue.id, "kind": cue.kind, "segment": cue.segment, "channel": "sink",
             "recipient": who, "due": cue.due, "status": status, "late": False,
             "attempts": 1, "next_attempt_at": retry,
             "updated_at": datetime.now(UTC)}
            for cue, who, status, retry in rows])


def settled(store: StateStore, wanted: list[tuple[CueAgenda, Cue]], timeout: float = 30.0
            ) -> None:
    """Wait until every (event, cue) has delivery rows, all final (a timeout, not a bound)."""
    deadline = time.monotonic() + timeout
    while True:
        rows: dict[tuple[str, str], list[DeliveryStatus]] = {}
        for slug in {a.slug for a, _ in wanted}:
            for d in deliveries(store, slug):
                rows.setdefault((slug, d.cue_id), []).append(d.status)
        if all(rows.get((a.slug, c.id)) and all(s in FINAL for s in rows[(a.slug, c.id)])
               for a, c in wanted):
            return
        assert time.monotonic() < deadline, "cues still unsettled"
        time.sleep(0.05)


def test_a_start_schedules_exactly_the_unsettled_cues_at_their_due_or_retry_time(
        tmp_path: Path) -> None:
    store = store_at(tmp_path)
    # An hour away: nothing fires while the jobs are looked at.
    agenda = quick_agenda(datetime.now(UTC) + timedelta(hours=1), speed=1, recipients=2)
    cues = plan_cues(agenda)
    assert len(cues) >= 8
    delivered, interrupted, half, retrying, missed, other_final = cues[:6]
    retry_at = retrying.due + timedelta(seconds=5)
    D = DeliveryStatus
    add_rows(store, agenda, [
        (delivered, "mod-0", D.DELIVERED, None), (delivered, "mod-1", D.DELIVERED, None),
        # Killed between the claim and the outcome: interrupted at the start, never resent.
        (interrupted, "mod-0", D.DELIVERED, None), (interrupted, "mod-1", D.SENDING, None),
        # Killed while fanning out: one recipient has a row, the other none.
        (half, "mod-0", D.DELIVERED, None),
        (retrying, "mod-0", D.DELIVERED, None), (retrying, "mod-1", D.RETRYING, retry_at),
        (missed, "mod-0", D.MISSED, None), (missed, "mod-1", D.MISSED, None),
        (other_final, "mod-0", D.CANCELLED, None), (other_final, "mod-1", D.FELL_BACK, None),
    ])
    scheduler = CueScheduler(store, [RecordingNotifier("sink")], [agenda])
    with scheduler:
        scheduled = scheduler.scheduled(agenda.slug)
    expected = {c.id: c.due for c in cues if c not in (delivered, interrupted, missed,
                                                         other_final)}
    expected[retrying.id] = retry_at
    assert scheduled == expected
    statuses = {(d.cue_id, d.recipient): d.status for d in deliveries(store, agenda.slug)}
    assert statuses[(interrupted.id, "mod-1")] == DeliveryStatus.INTERRUPTED
    assert statuses[(retrying.id, "mod-1")] == DeliveryStatus.RETRYING  # still waiting


def test_on_time_late_and_missed_are_decided_on_the_schedulers_clock(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    start = datetime(2030, 5, 17, 12, 30, tzinfo=UTC)  # years away on the wall clock
    agenda = quick_agenda(start, speed=1, late_after=timedelta(seconds=30),
                          late_grace=timedelta(minutes=5))
    on_time, late, missed = plan_cues(agenda)[:3]
    clock = ManualClock(start)
    sink = RecordingNotifier("sink")
    scheduler = CueScheduler(store, [sink], [agenda], clock=clock)
    scheduler.reschedule(agenda)  # the plan, without starting APScheduler: we fire by hand
    for cue, found_at in ((on_time, on_time.due),
                          (late, late.due + timedelta(seconds=30, milliseconds=1)),
                          (missed, missed.due + timedelta(minutes=5, milliseconds=1))):
        clock.now = found_at
        scheduler.fire(agenda.slug, cue.id)
        settled(store, [(agenda, cue)])  # before the clock moves on
    scheduler.stop()
    rows = {d.cue_id: d for d in deliveries(store, agenda.slug)}
    assert (rows[on_time.id].status, rows[on_time.id].late) == (DeliveryStatus.DELIVERED, False)
    assert (rows[late.id].status, rows[late.id].late) == (DeliveryStatus.DELIVERED, True)
    assert rows[late.id].delivered_at == late.due + timedelta(seconds=30, milliseconds=1)
    assert rows[missed.id].status == DeliveryStatus.MISSED
    assert sorted((m.extra["cue_id"], m.late) for _, m in sink.received) == sorted(
        [(on_time.id, False), (late.id, True)])


@pytest.mark.slow
def test_a_stop_while_many_cues_fall_due_logs_nothing_and_loses_nothing(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The stop lands just before, at or just after the moment 40 jobs fall due, eight times:
    no error and no traceback in any thread; each cue once (before the stop or after the
    last restart), never twice."""
    crashed: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", crashed.append)
    caplog.set_level(logging.INFO)
    store = store_at(tmp_path)
    start = datetime.now(UTC) + timedelta(seconds=1.5)
    # 20 events x ("start now" + the first segment) due at the same instant; a long grace so
    # that whatever the stops leave is delivered (late) by the last run.
    agendas = [quick_agenda(start + timedelta(seconds=0.3 * (n // 20)), f"ev{n:02d}", speed=60,
                            late_grace=timedelta(minutes=5)) for n in range(160)]
    sinks: list[RecordingNotifier] = []
    offsets = [-0.004, -0.002, -0.001, 0.0, 0.0005, 0.001, 0.002, 0.004]
    for run, offset in enumerate(offsets):
        batch = agendas[run * 20:(run + 1) * 20]
        due = batch[0].scheduled_start
        sink = RecordingNotifier("sink")
        sinks.append(sink)
        scheduler = CueScheduler(store, [sink], batch)
        scheduler.start()
        wait = (due + timedelta(seconds=offset) - datetime.now(UTC)).total_seconds()
        if wait > 0:
            time.sleep(wait)
        scheduler.stop()
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
        assert not crashed, crashed[0].exc_value
    last = RecordingNotifier("sink")
    due_now = [(a, c) for a in agendas for c in plan_cues(a) if c.due <= datetime.now(UTC)]
    with CueScheduler(store, [last], agendas):
        settled(store, due_now)
    received = Counter(m.key for s in [*sinks, last] for _, m in s.received)
    assert received and set(received.values()) == {1}, "a cue reached the channel twice"
    for agenda, cue in due_now:
        key = delivery_key(agenda.slug, cue.id, "sink", "mod-0")
        assert received[key] == 1, key
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert not crashed
