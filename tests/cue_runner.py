"""Runs the cue scheduler of one quick event until killed (for restart tests and benchmarks).

    python tests/cue_runner.py STATE_URL START_ISO SINK_FILE [SPEED] [LATE_GRACE_SECONDS]

Every delivery is appended (fsync'd) to SINK_FILE, so a test can count what really reached the
channel even when this process dies with kill -9. Its first line is ``ready BEGAN``: the moment
(ISO) its scheduler began to start.
"""

from __future__ import annotations

import signal
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cue_agendas import RecordingNotifier, quick_agenda
from zoomorch.db.store import open_store
from zoomorch.delivery.scheduler import CueScheduler


def main() -> None:
    url, start, sink = sys.argv[1], datetime.fromisoformat(sys.argv[2]), Path(sys.argv[3])
    speed = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
    grace = float(sys.argv[5]) if len(sys.argv) > 5 else 5.0
    agenda = quick_agenda(start, "restart", speed=speed, recipients=2,
                          late_grace=timedelta(seconds=grace))
    store = open_store(url)
    scheduler = CueScheduler(store, [RecordingNotifier("sink", sink)], [agenda],
                             watch_every=timedelta(seconds=0.2))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Said with the moment the scheduler began: cues due before it were due while down.
    began = datetime.now(UTC)
    scheduler.start()
    print(f"ready {began.isoformat()}", flush=True)
    stop.wait()
    scheduler.stop()


if __name__ == "__main__":
    main()
