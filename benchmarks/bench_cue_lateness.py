"""Cue lateness: 500 concurrent events x 20 cues in one scheduler process.

Every cue is due within the next few seconds; a timestamping in-memory channel records when
each one arrived (after the scheduler's claim in the delivery log is committed, as for every
channel). Prints lateness (arrival - due) p50 / p99 / max, how many arrived early (must be 0)
or twice (must be 0), the machine's load during the run and, as the last line, one JSON object
of the figures (keys: docs/benchmarks.md). Target: p99 <= 20 ms, never early, no duplicates,
with the machine busy (run it beside a test run and read the load figures).

    .venv-ci/bin/python benchmarks/bench_cue_lateness.py [--events 500] [--window 20]

Exit status 0 when the target holds, 1 when it does not.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from benchlib import LoadWatch, emit, rounded

from zoomorch.cues import Booth, CueAgenda, CueSettings, Recipient, SegmentPlan, plan_cues
from zoomorch.db.store import open_store
from zoomorch.delivery.log import deliveries
from zoomorch.delivery.scheduler import CueScheduler
from zoomorch.notify.base import CueMessage, Notifier

M = timedelta(minutes=1)


class StampingNotifier(Notifier):
    """Remembers when each message arrived."""

    name = "stamp"

    def __init__(self) -> None:
        self.arrivals: list[tuple[datetime, datetime, str]] = []
        self._lock = threading.Lock()

    def deliver(self, message: CueMessage) -> None:
        at = datetime.now(UTC)
        with self._lock:
            self.arrivals.append((at, message.due, message.key))


def twenty_cue_event(slug: str, start: datetime, speed: float) -> CueAgenda:
    """5 segments of 4 minutes, one hand-over: 3 + 5x3 + 1 + 1 = 20 cues."""
    segments = tuple(SegmentPlan(i, f"Segment {i}", i * 4 * M, 4 * M) for i in range(5))
    everyone = frozenset({"host", "moderator", "panelists", "interpreters", "booth:ES-US",
                          *(f"speakers:{i}" for i in range(5))})
    person = Recipient("op", "Operator", "en", ZoneInfo("UTC"), everyone)
    settings = CueSettings(tech_check_before=2 * M, doors_open_before=M, advance="auto",
                           handover_every=10 * M, late_grace=timedelta(seconds=30))
    return CueAgenda(slug, slug, ZoneInfo("UTC"), start, 20 * M, segments, (person,),
                     (Booth("ES-US", "ES⇄EN", ("A", "B")),), settings, speed)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--window", type=float, default=20.0,
                        help="seconds over which the events' cues fall due")
    parser.add_argument("--lead", type=float, default=0.0,
                        help="seconds before the first cue (default: enough for the setup)")
    parser.add_argument("--target-p99-ms", type=float, default=20.0)
    args = parser.parse_args()
    load = LoadWatch().__enter__()
    rng = random.Random(7)
    directory = Path(tempfile.mkdtemp(prefix="bench-cues-"))
    store = open_store(f"sqlite:///{directory / 'state.sqlite3'}")
    channel = StampingNotifier()
    # Each event spans 22 event-minutes; squeeze it into half the window and start the events
    # spread over the other half, so cues from all events interleave.
    event_seconds = args.window / 2
    speed = 22 * 60 / event_seconds
    lead = args.lead or 3.0 + args.events * 0.006  # the setup plans every event first
    t0 = datetime.now(UTC) + timedelta(seconds=lead)
    agendas = []
    for n in range(args.events):
        offset = timedelta(seconds=rng.uniform(0, args.window / 2))
        # The scheduled start is 2 event-minutes after the tech check.
        agendas.append(twenty_cue_event(f"ev{n:04d}", t0 + offset + 2 * M / speed, speed))
    total = sum(len(plan_cues(a)) for a in agendas)
    scheduler = CueScheduler(store, [channel], agendas, watch_every=timedelta(seconds=5))
    began = time.monotonic()
    scheduler.start()
    setup = time.monotonic() - began
    first_due = min(plan_cues(a)[0].due for a in agendas)
    first_due_after_setup = (first_due - datetime.now(UTC)).total_seconds()
    if first_due_after_setup < 0:
        print(f"WARNING: the first cues fell due {-first_due_after_setup:.1f} s before the "
              "setup was over: give a longer --lead")
    last_due = max(plan_cues(a)[-1].due for a in agendas)
    print(f"{args.events} events x {total // args.events} cues = {total} cues, due from "
          f"{(first_due - datetime.now(UTC)).total_seconds():+.1f} s to "
          f"{(last_due - datetime.now(UTC)).total_seconds():+.1f} s; setup {setup:.1f} s")
    deadline = last_due + timedelta(seconds=30)
    while len(channel.arrivals) < total and datetime.now(UTC) < deadline:
        time.sleep(0.2)
    scheduler.stop()
    lateness_ms = [(at - due).total_seconds() * 1000 for at, due, _ in channel.arrivals]
    early = sum(1 for v in lateness_ms if v < 0)
    keys = [k for _, _, k in channel.arrivals]
    log = [d for a in agendas[:50] for d in deliveries(store, a.slug)]
    print(f"delivered {len(lateness_ms)} of {total}; duplicates {len(keys) - len(set(keys))}; "
          f"early {early}")
    if lateness_ms:
        print(f"lateness ms: p50 {percentile(lateness_ms, 50):.1f}  "
              f"p99 {percentile(lateness_ms, 99):.1f}  max {max(lateness_ms):.1f}  "
              f"mean {statistics.fmean(lateness_ms):.1f}")
    print(f"log sample (50 events): {sum(d.status == 'delivered' for d in log)} delivered, "
          f"{sum(d.late for d in log)} marked late")
    p99 = percentile(lateness_ms, 99) if lateness_ms else None
    ok = (len(lateness_ms) == total and early == 0 and len(keys) == len(set(keys))
          and p99 is not None and p99 <= args.target_p99_ms)
    print(f"target p99 <= {args.target_p99_ms:g} ms, never early, no duplicates:",
          "met" if ok else "NOT met")
    print(load.line())
    emit({"benchmark": "cue_lateness", "job_store": "memory", "events": args.events,
          "cues": total, "window_s": args.window, "setup_s": rounded(setup),
          "first_due_after_setup_s": rounded(first_due_after_setup),
          "delivered": len(lateness_ms), "duplicates": len(keys) - len(set(keys)),
          "early": early,
          "lateness_ms": {"p50": rounded(percentile(lateness_ms, 50), 1),
                          "p99": rounded(percentile(lateness_ms, 99), 1),
                          "max": rounded(max(lateness_ms), 1),
                          "mean": rounded(statistics.fmean(lateness_ms), 1)}
          if lateness_ms else None,
          "target_p99_ms": args.target_p99_ms, "target_met": ok, **load.figures()})
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
