"""Client-side pacing per rate-limit label, and reading Zoom's 429 answers.

Zoom limits calls per account, per label (Light, Medium, Heavy, Resource-intensive), per
second and for some labels per day. Pacing each label slightly below its per-second limit
keeps large jobs from provoking 429s at all; the 429 handling is the safety net.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from zoomorch.rate_labels import PER_SECOND, Plan, RateLabel

DEFAULT_SAFETY = 0.97


class TokenBucket:
    """A thread-safe token bucket (as GCRA): ``rate`` tokens a second, ``burst`` at once.

    Each caller reserves the next free slot under the lock and sleeps outside it, so
    threads sharing one bucket are served in arrival order without busy-waiting.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0")
        if burst < 1:
            raise ValueError("burst must be >= 1")
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._rate = float(rate)
        self._burst = burst
        # Theoretical arrival time of the next call: slots are spaced 1/rate apart.
        self._tat = clock()

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float) -> None:
        """Change the pace from the next reservation on."""
        if rate <= 0:
            raise ValueError("rate must be > 0")
        with self._lock:
            self._rate = float(rate)

    def pause_until(self, moment: float) -> None:
        """Hold every caller until ``moment`` (monotonic seconds), e.g. after a 429."""
        with self._lock:
            self._tat = max(self._tat, moment)

    def reserve(self) -> float:
        """Reserve a slot; returns how long the caller must wait before using it."""
        with self._lock:
            now = self._clock()
            interval = 1.0 / self._rate
            tat = max(self._tat, now)
            allowed_at = tat - (self._burst - 1) * interval
            self._tat = tat + interval
            return max(0.0, allowed_at - now)

    def acquire(self) -> float:
        """Block until a call may be made; returns the seconds waited."""
        delay = self.reserve()
        if delay > 0:
            self._sleep(delay)
        return delay


class RateLimiter:
    """One token bucket per label, paced at ``safety`` × the plan's per-second limit."""

    def __init__(
        self,
        plan: Plan | str = Plan.PRO,
        *,
        safety: float = DEFAULT_SAFETY,
        limits: Mapping[RateLabel, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0 < safety <= 1:
            raise ValueError("safety must be in (0, 1]")
        self.plan = Plan(plan)
        self.safety = safety
        self._clock = clock
        self._limits: dict[RateLabel, float] = dict(PER_SECOND[self.plan])
        if limits:
            self._limits.update(limits)
        self._buckets = {
            label: TokenBucket(limit * safety, clock=clock, sleep=sleep)
            for label, limit in self._limits.items()
        }
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RateLimiter(plan={self.plan.value!r}, safety={self.safety})"

    def limit(self, label: RateLabel) -> float:
        """The per-second limit currently assumed for ``label``."""
        return self._limits[label]

    def pace(self, label: RateLabel) -> float:
        """Calls per second the client actually allows itself for ``label``."""
        return self._buckets[label].rate

    def acquire(self, label: RateLabel) -> float:
        """Wait for ``label``'s next slot; returns the seconds waited."""
        return self._buckets[label].acquire()

    def pause(self, label: RateLabel, seconds: float) -> None:
        """Hold all calls of ``label`` for ``seconds`` (Zoom said: slow down)."""
        self._buckets[label].pause_until(self._clock() + max(0.0, seconds))

    def observe_limit(self, label: RateLabel, server_limit: float) -> bool:
        """Adopt a lower per-second limit announced by Zoom; True if the pace changed."""
        with self._lock:
            if not 0 < server_limit < self._limits[label]:
                return False
            self._limits[label] = server_limit
            self._buckets[label].set_rate(server_limit * self.safety)
            return True


@dataclass(frozen=True)
class RateLimitAnswer:
    """What a 429 (or any answer's X-RateLimit-* headers) says."""

    limit_type: str | None  # "QPS" or "Daily-limit"
    category: str | None
    limit: float | None
    remaining: float | None
    retry_after: float | None  # seconds from now, when Zoom said
    resets_at: datetime | None  # absolute UTC moment, when Zoom said

    @property
    def is_daily(self) -> bool:
        return (self.limit_type or "").lower().startswith("daily")


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


def parse_moment(value: str | None, now: datetime) -> datetime | None:
    """A Retry-After / X-RateLimit-Reset value as an absolute UTC moment.

    Accepts delta seconds, epoch seconds or milliseconds, an HTTP date or an ISO 8601 date.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    number = _number(text)
    if number is not None:
        if number > 1e12:  # epoch milliseconds
            return datetime.fromtimestamp(number / 1000, UTC)
        if number > 1e9:  # epoch seconds
            return datetime.fromtimestamp(number, UTC)
        return now + timedelta(seconds=max(0.0, number))
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def read_rate_limit_headers(
    headers: Mapping[str, str], now: datetime | None = None
) -> RateLimitAnswer:
    """Parse Retry-After and the X-RateLimit-* headers of an answer."""
    now = now or datetime.now(UTC)
    resets_at = parse_moment(headers.get("Retry-After"), now) or parse_moment(
        headers.get("X-RateLimit-Reset"), now
    )
    retry_after = None if resets_at is None else max(0.0, (resets_at - now).total_seconds())
    return RateLimitAnswer(
        limit_type=headers.get("X-RateLimit-Type"),
        category=headers.get("X-RateLimit-Category"),
        limit=_number(headers.get("X-RateLimit-Limit")),
        remaining=_number(headers.get("X-RateLimit-Remaining")),
        retry_after=retry_after,
        resets_at=resets_at,
    )
