"""Zoom's per-day rules (docs/sandbox.md, "Per-day rules") and today's counts against them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zoomorch.sandbox.errors import ZoomApiError
from zoomorch.sandbox.store.context import StoreContext

MAX_ADDS_PER_DAY = 3
MAX_WEBINAR_WRITES_PER_DAY = 100
MAX_STATUS_UPDATES_PER_DAY = 10


@dataclass(frozen=True)
class DailyRule:
    """One of Zoom's per-day rules (docs/sandbox.md has the sources).

    Zoom answers all of them with HTTP 429 and body code 429, in wording of its own; the host
    rule's answer carries X-RateLimit-Category/-Limit/-Remaining but no X-RateLimit-Type and
    no Retry-After (facts.md). The per-registrant rules get the same headers here (their headers
    are unconfirmed): a client must tell them apart by the message, not by a header.
    """

    kind: str
    limit: int
    category: str  # the rate-limit label of the calls it counts
    message: str  # format fields: {limit}, {who}

    def headers(self) -> dict[str, str]:
        return {"X-RateLimit-Category": self.category, "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": "0"}


# The same person (email) registered at most 3 times a day, across every webinar of the
# account, through the single or the batch endpoint. Zoom words the refusal after the endpoint.
REGISTRANT_ADD = DailyRule(
    "registrant_add", MAX_ADDS_PER_DAY, "Light",
    "You have exceeded the daily rate limit of ({limit}) for Add a webinar registrant API "
    "requests for the registrant ({who}). You may resume these requests at GMT 00:00:00.")
REGISTRANT_BATCH = DailyRule(
    "registrant_add", MAX_ADDS_PER_DAY, "Heavy",
    "You have exceeded the daily rate limit ({limit}) of Webinar Batch Registration API "
    "requests permitted for ({who}) this particular registrant. You may resume these requests "
    "at GMT 00:00:00.")
WEBINAR_WRITE = DailyRule(
    "webinar_write", MAX_WEBINAR_WRITES_PER_DAY, "Light",
    "You have exceeded the daily rate limit ({limit}) of Meeting Create/Update API requests "
    "permitted for this particular user. You may resume these requests at GMT 00:00:00.")
REGISTRANT_STATUS = DailyRule(
    "registrant_status", MAX_STATUS_UPDATES_PER_DAY, "Medium",
    "You have exceeded the daily rate limit ({limit}) of Update registrant's status API "
    "requests permitted for ({who}) this particular registrant. You may resume these requests "
    "at GMT 00:00:00.")


class DailyCounts:
    """Today's uses per rule and key; a new day (00:00 UTC on the sandbox clock) starts at 0."""

    def __init__(self, ctx: StoreContext) -> None:
        self.ctx = ctx
        self.clear()

    def clear(self) -> None:
        self.day = ""
        self.counts: dict[str, int] = {}

    def count(self, rule: DailyRule, key: str, *, who: str = "") -> None:
        """Count one more use (caller holds the lock); past the rule's limit, refuse with
        Zoom's 429 (body code 429, its own wording; resets 00:00 UTC)."""
        day = self.ctx.now().date().isoformat()
        if day != self.day:
            self.counts = {}
            self.day = day
        slot = f"{rule.kind}|{key}"
        used = self.counts.get(slot, 0)
        if used >= rule.limit:
            raise ZoomApiError(429, 429, rule.message.format(limit=rule.limit, who=who),
                               headers=rule.headers())
        self.counts[slot] = used + 1

    def registrations_today(self, email: str) -> int:
        """How many times ``email`` was registered today, across every webinar (admin view)."""
        with self.ctx.lock:
            if self.day != self.ctx.now().date().isoformat():
                return 0
            return self.counts.get(f"{REGISTRANT_ADD.kind}|{email.strip().lower()}", 0)

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day, "counts": dict(self.counts)}

    def restore(self, raw: dict[str, Any]) -> None:
        self.day = raw.get("day", "")
        self.counts = dict(raw.get("counts", {}))
