"""Zoom's rate limits per (account, label): a strict sliding 1-second window plus daily pools.

Why a strict sliding window: Zoom does not document how it counts within a second. A window
that refuses a call whenever N calls were already accepted in the preceding 1.0 s is the
strictest reading, so a client that never gets 429 here will not get it from Zoom either.
Resource-intensive limits are per minute, so their window is 60 s.

The windows run on real (monotonic) time even when the sandbox clock runs faster: a client
paces itself in real time, as it would against Zoom. Daily pools reset at 00:00 UTC on the
sandbox clock.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from zoomorch.rate_labels import (
    DAILY,
    PER_SECOND,
    Plan,
    RateLabel,
    daily_pool,
    next_utc_midnight,
)
from zoomorch.sandbox.clock import SandboxClock, zoom_time


@dataclass
class Verdict:
    """Outcome of one admission check, with the headers Zoom sends."""

    allowed: bool
    limit_type: str  # "QPS" or "Daily-limit"
    headers: dict[str, str]


class RateLimiter:
    """Admission control for /v2 calls (see the module docstring for the counting rules)."""

    def __init__(self, plan: Plan, clock: SandboxClock, account_id: str,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.plan = plan
        self.monotonic = monotonic
        self.clock = clock
        self.account_id = account_id
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, RateLabel], deque[float]] = {}
        self._daily: dict[str, int] = {}
        self._day = ""

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
            self._daily.clear()

    @staticmethod
    def window_of(plan: Plan, label: RateLabel) -> tuple[int, float]:
        """(calls allowed, window seconds) for a label."""
        per_second = PER_SECOND[plan][label]
        if per_second >= 1:
            return int(per_second), 1.0
        return round(per_second * 60), 60.0

    def admit(self, label: RateLabel) -> Verdict:
        now_dt = self.clock.now()
        now = self.monotonic()
        limit, window = self.window_of(self.plan, label)
        with self._lock:
            day = now_dt.date().isoformat()
            if day != self._day:
                self._daily.clear()
                self._day = day
            pool = daily_pool(self.plan, label)
            daily_limit = DAILY[self.plan][label]
            used_today = self._daily.get(pool, 0)
            if daily_limit is not None and used_today >= daily_limit:
                return Verdict(False, "Daily-limit", {
                    "X-RateLimit-Category": label.value, "X-RateLimit-Type": "Daily-limit",
                    "X-RateLimit-Limit": str(daily_limit), "X-RateLimit-Remaining": "0",
                    # Zoom sends a date-time (the next 00:00 UTC) here, not seconds.
                    "Retry-After": zoom_time(next_utc_midnight(now_dt))})
            calls = self._windows.setdefault((self.account_id, label), deque())
            while calls and calls[0] <= now - window:
                calls.popleft()
            if len(calls) >= limit:
                reset_in = max(1, math.ceil(calls[0] + window - now))
                return Verdict(False, "QPS", {
                    "X-RateLimit-Category": label.value, "X-RateLimit-Type": "QPS",
                    "X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(reset_in)})
            calls.append(now)
            # Accepted calls carry the per-second window's numbers (and no X-RateLimit-Type,
            # which Zoom only sends with a 429).
            headers = {"X-RateLimit-Category": label.value, "X-RateLimit-Limit": str(limit),
                       "X-RateLimit-Remaining": str(limit - len(calls))}
            if daily_limit is not None:
                self._daily[pool] = used_today + 1
            return Verdict(True, "QPS", headers)

    def burst_verdict(self, label: RateLabel) -> Verdict:
        """A fault-injected per-second 429 with the usual headers."""
        limit, _ = self.window_of(self.plan, label)
        return Verdict(False, "QPS", {
            "X-RateLimit-Category": label.value, "X-RateLimit-Type": "QPS",
            "X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "1"})

    def set_daily_used(self, label: RateLabel, used: int) -> None:
        """Test hook: pretend ``used`` calls of ``label``'s pool were made today."""
        with self._lock:
            self._day = self.clock.now().date().isoformat()
            self._daily[daily_pool(self.plan, label)] = used
