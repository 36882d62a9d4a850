"""Runs the cue scheduler of one quick event with 40 people on two channels, until killed —
or until it kills itself with SIGKILL in the middle of a cue's fan-out (issue 16, item 1).

    python tests/fanout_runner.py STATE_URL START_ISO SINK_DIR [KILL_AT_CUE]

KILL_AT_CUE (a cue id prefix, e.g. ``segment_start/s0``): the process SIGKILLs itself as soon
as the delivery log has committed the first claims of that cue, before any channel is called:
the moment a cue is half claimed if its claims are committed in several transactions. To make
that window as wide as on a busy machine, each single hand-off to the delivery log's writer
is followed by a 2 ms pause (the firing thread descheduled). Every delivery is appended
(fsync'd) to SINK_DIR/CHANNEL.jsonl, so a test counts what really reached each channel.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cue_agendas import RecordingNotifier, quick_agenda
from zoomorch.cues import CueAgenda
from zoomorch.db.store import open_store
from zoomorch.delivery import log as delivery_log
from zoomorch.delivery.scheduler import CueScheduler

CHANNELS = ("sink", "sink2")
PEOPLE = 40


def fanout_agenda(start: datetime) -> CueAgenda:
    return quick_agenda(start, "fanout", speed=60, recipients=PEOPLE,
                        late_grace=timedelta(seconds=5))


def arm(kill_at: str) -> None:
    """SIGKILL this process right after the first commit that holds a claim of ``kill_at``."""
    write = delivery_log.DeliveryLog._write
    enqueue = delivery_log.DeliveryLog._enqueue

    def write_then_die(self: Any, conn: Any, batch: list[Any]) -> list[Any]:
        results = write(self, conn, batch)  # committed when this returns
        if any(op is delivery_log.LogOp.CLAIM and params.get("cue_id", "").startswith(kill_at)
               for op, params, _ in batch):
            os.kill(os.getpid(), signal.SIGKILL)
        return results

    def slow_enqueue(self: Any, op: Any, params: Any, future: Any) -> None:
        enqueue(self, op, params, future)
        if op is delivery_log.LogOp.CLAIM:
            time.sleep(0.002)

    delivery_log.DeliveryLog._write = write_then_die  # type: ignore[method-assign]
    delivery_log.DeliveryLog._enqueue = slow_enqueue  # type: ignore[method-assign]


def main() -> None:
    url, start, sinks = sys.argv[1], datetime.fromisoformat(sys.argv[2]), Path(sys.argv[3])
    if len(sys.argv) > 4:
        arm(sys.argv[4])
    agenda = fanout_agenda(start)
    scheduler = CueScheduler(open_store(url),
                             [RecordingNotifier(name, sinks / f"{name}.jsonl")
                              for name in CHANNELS],
                             [agenda], watch_every=timedelta(seconds=0.2))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    scheduler.start()
    print("ready", flush=True)
    stop.wait()
    scheduler.stop()


if __name__ == "__main__":
    main()
