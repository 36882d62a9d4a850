"""The live plan: the cues under the stored live state, what became of each, where we are now.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from zoomorch.cues import (
    Cue,
    CueAgenda,
    LiveState,
    current_segment,
    plan_cues,
)
from zoomorch.db.store import StateStore
from zoomorch.delivery.log import DeliveryRecord, deliveries
from zoomorch.live.state import aware_or_now, load_live_revision

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class LivePlan:
    """The plan as it stands, with what became of each cue and where we are now."""

    agenda: CueAgenda
    live: LiveState
    cues: list[Cue]
    deliveries: dict[str, list[DeliveryRecord]]  # cue id -> its deliveries
    current_index: int | None
    current_start: datetime | None
    current_end: datetime | None
    now: datetime
    revision: int  # of the stored live state read

    @property
    def current_segment(self) -> str | None:
        if self.current_index is None:
            return None
        return self.agenda.segments[self.current_index].title

    @property
    def next_segment(self) -> str | None:
        nxt = 0 if self.current_index is None else self.current_index + 1
        if self.current_index is None and self.state not in ("before", "late"):
            return None
        if nxt < len(self.agenda.segments):
            return self.agenda.segments[nxt].title
        return None

    @property
    def started(self) -> bool:
        """Whether the webinar's start is known (recorded, or a ``next`` read as the start)."""
        return self.live.started_by(self.now)

    @property
    def state(self) -> str:
        """``before`` the start, ``late`` (manual advance: past the scheduled start, not
        started yet), ``live``, ``ended`` (recorded end), or ``after`` (past the hard stop
        with no end recorded)."""
        if self.live.ended_at is not None and self.now >= self.live.ended_at:
            return "ended"
        start = self.live.actual_start or self.agenda.real_start
        stop = next((c.due for c in self.cues if c.kind == "hard_stop"), None)
        if self.now < start:
            return "before"
        if self.agenda.settings.advance == "manual" and not self.started and (
                stop is None or self.now <= stop):
            return "late"
        if stop is not None and self.now > stop and self.current_index is None:
            return "after"
        return "live"

    def upcoming(self) -> list[Cue]:
        return [c for c in self.cues if c.due >= self.now and not c.projected and not c.quiet]

    def failures(self) -> list[DeliveryRecord]:
        return [d for rows in self.deliveries.values() for d in rows
                if d.status in ("failed", "retrying")
                or (d.status != "cancelled" and d.attempts > 1 and d.last_error)]

    def fell_back(self) -> list[DeliveryRecord]:
        """Deliveries a channel could not make to that person, who got the cue elsewhere."""
        return [d for rows in self.deliveries.values() for d in rows if d.status == "fell_back"]

    def cancelled(self) -> list[DeliveryRecord]:
        """Deliveries whose cue left the plan before they could be (re)sent."""
        return [d for rows in self.deliveries.values() for d in rows if d.status == "cancelled"]

    def per_channel(self) -> dict[str, dict[str, int]]:
        """channel -> status -> count (``late`` counted among delivered and on its own)."""
        out: dict[str, dict[str, int]] = {}
        for rows in self.deliveries.values():
            for d in rows:
                counts = out.setdefault(d.channel, {})
                counts[d.status] = counts.get(d.status, 0) + 1
                if d.late:
                    counts["late"] = counts.get("late", 0) + 1
        return out


def live_plan(store: StateStore, agenda: CueAgenda, now: datetime | None = None) -> LivePlan:
    """The live plan of an event: cues under the stored live state, deliveries, position."""
    when = aware_or_now(now)
    live, revision = load_live_revision(store, agenda.slug)
    cues = plan_cues(agenda, live)
    by_cue: dict[str, list[DeliveryRecord]] = {}
    for record in deliveries(store, agenda.slug):
        by_cue.setdefault(record.cue_id, []).append(record)
    index, start, end = current_segment(agenda, live, when)
    return LivePlan(agenda, live, cues, by_cue, index, start, end, when, revision)


