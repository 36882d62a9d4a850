"""The sandbox clock: every timestamp the sandbox emits comes from here."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class SandboxClock:
    """Real time, or ``speed`` × real time from an anchor, shifted by an offset.

    ``now() = anchor + offset + (real_now - real_anchor) * speed``, always tz-aware UTC.
    """

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._real_anchor = time.time()
        start = start if start is not None else datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError("SandboxClock start must be tz-aware (e.g. datetime.now(UTC))")
        self._virtual_anchor = start.astimezone(UTC)
        self._speed = speed
        self._listeners: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return f"SandboxClock(now={self.now().isoformat()}, speed={self._speed})"

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        with self._lock:
            elapsed = time.time() - self._real_anchor
            return self._virtual_anchor + timedelta(seconds=elapsed * self._speed)

    def _reanchor(self, virtual: datetime) -> None:
        self._real_anchor = time.time()
        self._virtual_anchor = virtual

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every jump or speed change (schedulers re-plan their sleep)."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _notify(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    def real_seconds_until(self, moment: datetime) -> float:
        """Real seconds until the clock shows ``moment`` at the current speed (0 if passed,
        ``inf`` if the clock is stopped)."""
        ahead = (moment - self.now()).total_seconds()
        if ahead <= 0:
            return 0.0
        speed = self._speed
        return ahead / speed if speed > 0 else math.inf

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on (time so far is kept)."""
        if speed < 0:
            raise ValueError("clock speed must be >= 0")
        current = self.now()
        with self._lock:
            self._reanchor(current)
            self._speed = speed
        self._notify()

    def advance(self, delta: timedelta | float) -> datetime:
        """Jump forward (or back) by ``delta`` (seconds or timedelta); returns the new now."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        current = self.now()
        with self._lock:
            self._reanchor(current + step)
        self._notify()
        return current + step

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (tz-aware)."""
        if moment.tzinfo is None:
            raise ValueError("SandboxClock.set needs a tz-aware datetime")
        with self._lock:
            self._reanchor(moment.astimezone(UTC))
        self._notify()


def zoom_time(moment: datetime) -> str:
    """Zoom's timestamp format: ``2022-05-17T12:30:00Z`` (UTC, whole seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
