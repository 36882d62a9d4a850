"""Restart: kill -9 the cue scheduler at random moments of an accelerated event, restart it,
and count deliveries. Every cue must reach each recipient exactly once, or be recorded as
missed (down past the late grace) or interrupted (killed between claim and outcome) — and
no cue may ever arrive twice. Each restart rebuilds the jobs from the delivery log (nothing
about them is stored). Prints each trial's outcome counts, the machine's load during the run
and, as the last line, one JSON object of the figures (keys: docs/benchmarks.md).

    .venv-ci/bin/python benchmarks/bench_cue_restart.py [--trials 3] [--kills 3] [--seed 1]

Exit status 0 when every cue was delivered once or recorded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from benchlib import LoadWatch, emit

from zoomorch.cues import CueAgenda, CueSettings, Recipient, SegmentPlan, plan_cues
from zoomorch.db.store import open_store
from zoomorch.delivery.log import deliveries
from zoomorch.delivery.scheduler import CueScheduler
from zoomorch.notify.base import CueMessage, Notifier

M = timedelta(minutes=1)
SPEED = 60.0  # an event minute per second
MINUTES = (3, 4, 5, 3)


def agenda(start: datetime) -> CueAgenda:
    segments, offset = [], timedelta(0)
    for i, length in enumerate(MINUTES):
        segments.append(SegmentPlan(i, f"Segment {i}", offset, length * M))
        offset += length * M
    audiences = frozenset({"host", "moderator", "panelists", "interpreters",
                           *(f"speakers:{i}" for i in range(len(MINUTES)))})
    people = tuple(Recipient(f"p{n}", f"Person {n}", "es", ZoneInfo("America/Bogota"),
                             audiences) for n in range(2))
    settings = CueSettings(tech_check_before=2 * M, doors_open_before=M, advance="auto",
                           handover_every=timedelta(0), late_grace=timedelta(seconds=2),
                           late_after=timedelta(milliseconds=300))
    return CueAgenda("restart-bench", "Restart bench", ZoneInfo("UTC"), start, offset,
                     tuple(segments), people, (), settings, SPEED)


class FileSink(Notifier):
    """Appends every delivery to a file, fsync'd, so kill -9 cannot hide one."""

    name = "sink"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def deliver(self, message: CueMessage) -> None:
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"key": message.key, "late": message.late}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())


def child(url: str, start: str, sink: str) -> None:
    scheduler = CueScheduler(open_store(url), [FileSink(Path(sink))],
                             [agenda(datetime.fromisoformat(start))],
                             watch_every=timedelta(seconds=0.5))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    scheduler.start()
    print("ready", flush=True)
    stop.wait()
    scheduler.stop()


def launch(url: str, start: datetime, sink: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, __file__, "--child", url, start.isoformat(),
                             str(sink)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()
    return proc


def sleep_until(moment: datetime) -> None:
    delay = (moment - datetime.now(UTC)).total_seconds()
    if delay > 0:
        threading.Event().wait(delay)


def trial(rng: random.Random, kills: int) -> Counter[str]:
    directory = Path(tempfile.mkdtemp(prefix="bench-restart-"))
    url = f"sqlite:///{directory / 'state.sqlite3'}"
    sink = directory / "sink.jsonl"
    sink.touch()
    start = datetime.now(UTC) + timedelta(seconds=3.5)
    plan = plan_cues(agenda(start))
    first, last = plan[0].due, plan[-1].due
    span = (last - first).total_seconds()
    moments = sorted(first + timedelta(seconds=rng.uniform(0, span)) for _ in range(kills))
    proc = launch(url, start, sink)
    for moment in moments:
        sleep_until(moment)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        threading.Event().wait(rng.uniform(0.2, 3.0))  # down: sometimes past the grace
        proc = launch(url, start, sink)
    sleep_until(last + timedelta(seconds=2.5))
    proc.terminate()
    proc.wait(timeout=20)

    received = Counter(json.loads(line)["key"] for line in sink.read_text().splitlines())
    log = {d.key: d for d in deliveries(open_store(url), "restart-bench")}
    a = agenda(start)
    expected = {f"{a.slug}|{c.id}|sink|{r.id}" for c in plan for r in a.recipients_for(c)}
    outcome: Counter[str] = Counter()
    for key in expected:
        row, count = log.get(key), received[key]
        if count > 1:
            outcome["DUPLICATE"] += 1
        elif row is None:
            outcome["UNACCOUNTED"] += 1
        elif row.status == "delivered" and count == 1:
            outcome["delivered late" if row.late else "delivered on time"] += 1
        elif row.status == "missed" and count == 0:
            outcome["missed (recorded)"] += 1
        elif row.status == "interrupted":
            outcome[f"interrupted (reached channel {count}x)"] += 1
        else:
            outcome[f"INCONSISTENT {row.status} x{count}"] += 1
    outcome["total"] = len(expected)
    return outcome


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    overall: Counter[str] = Counter()
    trials = []
    with LoadWatch() as load:
        for n in range(args.trials):
            outcome = trial(rng, args.kills)
            overall += outcome
            trials.append(dict(sorted(outcome.items())))
            print(f"trial {n + 1}: " + ", ".join(f"{k} {v}" for k, v in sorted(outcome.items())))
    bad = sum(v for k, v in overall.items()
              if k.split()[0] in ("DUPLICATE", "UNACCOUNTED", "INCONSISTENT"))
    print("overall: " + ", ".join(f"{k} {v}" for k, v in sorted(overall.items())))
    print("every cue exactly once or recorded:", "yes" if bad == 0 else f"NO ({bad} bad)")
    print(load.line())
    emit({"benchmark": "cue_restart", "trials": args.trials, "kills_per_trial": args.kills,
          "seed": args.seed, "deliveries": overall["total"],
          "outcomes": {k: v for k, v in sorted(overall.items()) if k != "total"},
          "per_trial": trials, "duplicates": overall["DUPLICATE"],
          "unaccounted": overall["UNACCOUNTED"], "bad": bad,
          "every_cue_once_or_recorded": bad == 0, **load.figures()})
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
