"""Small accelerated agendas and a recording channel for the cue scheduler's tests."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from zoomorch.cues import Booth, CueAgenda, CueSettings, Recipient, SegmentPlan
from zoomorch.notify.base import CueMessage, DeliveryError, Notifier

M = timedelta(minutes=1)


def quick_agenda(start: datetime, slug: str = "quick", *, speed: float = 60.0,
                 minutes: tuple[int, ...] = (2, 3, 2), advance: str = "auto",
                 recipients: int = 1, **settings: object) -> CueAgenda:
    """A small event in event-time minutes; at speed 60 a minute passes in a second."""
    segments = []
    offset = timedelta(0)
    for i, length in enumerate(minutes):
        segments.append(SegmentPlan(i, f"Segment {i}", offset, length * M,
                                    speakers=(f"Speaker {i}",)))
        offset += length * M
    people = [Recipient(f"mod-{n}", f"Moderator {n}", "es", ZoneInfo("America/Bogota"),
                        frozenset({"moderator"}), f"mod{n}@example.org")
              for n in range(recipients)]
    defaults: dict[str, object] = {
        "tech_check_before": 2 * M, "doors_open_before": M, "advance": advance,
        "handover_every": timedelta(0), "late_grace": timedelta(seconds=3),
        "late_after": timedelta(milliseconds=500),
    }
    defaults.update(settings)
    return CueAgenda(slug=slug, title=f"Event {slug}", zone=ZoneInfo("America/New_York"),
                     scheduled_start=start.astimezone(UTC), duration=offset,
                     segments=tuple(segments), recipients=tuple(people),
                     booths=(Booth("ES-US", "ES⇄EN", ("A", "B")),),
                     settings=CueSettings(**defaults),  # type: ignore[arg-type]
                     speed=speed)


class RecordingNotifier(Notifier):
    """Keeps every message with the moment it arrived; optionally appends to a file."""

    def __init__(self, name: str = "recording", path: Path | None = None,
                 fail_times: int = 0) -> None:
        self.name = name
        self.path = path
        self.fail_times = fail_times
        self.received: list[tuple[datetime, CueMessage]] = []
        self.failures = 0
        self._lock = threading.Lock()

    def deliver(self, message: CueMessage) -> None:
        now = datetime.now(UTC)
        with self._lock:
            if self.failures < self.fail_times:
                self.failures += 1
                raise DeliveryError(f"{self.name} is down (failure {self.failures})")
            self.received.append((now, message))
            if self.path is not None:
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps({"key": message.key, "at": now.isoformat(),
                                         "due": message.due.isoformat(),
                                         "late": message.late}) + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())


class BrokenNotifier(Notifier):
    """A channel that never works."""

    name = "broken"

    def deliver(self, message: CueMessage) -> None:
        raise DeliveryError("connection refused")
