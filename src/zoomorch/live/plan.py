"""The live plan: the cues under the stored live state, what became of each, where we are now —
and the one phase function (before / late / live / ended / after) that ``cues status``, the
cue board and the service all read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from zoomorch.cues import (
    Cue,
    CueAgenda,
    LiveState,
    current_segment,
    plan_cues,
)
from zoomorch.db.store import StateStore
from zoomorch.delivery.log import DeliveryRecord, DeliveryStatus, deliveries
from zoomorch.live.state import aware_or_now, load_live_revision

log = logging.getLogger(__name__)


class Phase(StrEnum):
    """Where an event is, as the board and ``cues status`` say it."""

    BEFORE = "before"  # before the start
    LATE = "late"  # manual advance: past the scheduled start, not started yet
    LIVE = "live"  # a segment is in progress
    ENDED = "ended"  # an end is recorded (webinar.ended, `cues end`)
    AFTER = "after"  # the agenda ran out, no end recorded


def phase(agenda: CueAgenda, live: LiveState, now: datetime, current_index: int | None,
          hard_stop: datetime | None) -> Phase:
    """The phase of an event at ``now``: the one definition.

    ``current_index`` is the segment in progress (:func:`~zoomorch.cues.current_segment`),
    ``hard_stop`` the due time of the plan's hard stop (None: the plan has none, e.g. an end
    was recorded before it). An end recorded is the end, whatever its stamp: Zoom says the
    webinar is over, or the host did.
    """
    if live.ended_at is not None:
        return Phase.ENDED
    if current_index is not None:
        return Phase.LIVE
    if now < (live.actual_start or agenda.real_start):
        return Phase.BEFORE
    if agenda.settings.advance == "manual" and not live.started_by(now) and (
            hard_stop is None or now <= hard_stop):
        return Phase.LATE
    return Phase.AFTER


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
        if self.current_index is None and self.state not in (Phase.BEFORE, Phase.LATE):
            return None
        if nxt < len(self.agenda.segments):
            return self.agenda.segments[nxt].title
        return None

    @property
    def started(self) -> bool:
        """Whether the webinar's start is known (recorded, or a ``next`` read as the start)."""
        return self.live.started_by(self.now)

    @property
    def hard_stop(self) -> datetime | None:
        """When the plan's hard stop is due (None: no hard stop left in the plan)."""
        return next((c.due for c in self.cues if c.kind == "hard_stop"), None)

    @property
    def state(self) -> Phase:
        """The event's :class:`Phase` at :attr:`now` (:func:`phase`)."""
        return phase(self.agenda, self.live, self.now, self.current_index, self.hard_stop)

    def upcoming(self) -> list[Cue]:
        return [c for c in self.cues if c.due >= self.now and not c.projected and not c.quiet]

    def failures(self) -> list[DeliveryRecord]:
        return [d for rows in self.deliveries.values() for d in rows
                if d.status in (DeliveryStatus.FAILED, DeliveryStatus.RETRYING)
                or (d.status != DeliveryStatus.CANCELLED and d.attempts > 1 and d.last_error)]

    def fell_back(self) -> list[DeliveryRecord]:
        """Deliveries a channel could not make to that person, who got the cue elsewhere."""
        return [d for rows in self.deliveries.values() for d in rows
                if d.status == DeliveryStatus.FELL_BACK]

    def cancelled(self) -> list[DeliveryRecord]:
        """Deliveries whose cue left the plan before they could be (re)sent."""
        return [d for rows in self.deliveries.values() for d in rows
                if d.status == DeliveryStatus.CANCELLED]

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
    return plan_under(agenda, live, revision, deliveries(store, agenda.slug), when)


class PlanCache:
    """The last plan of each event, kept while its agenda and live state stay the same: a
    board is computed again at every cue falling due, and the plan only changes with the
    live state. Safe across threads (a plan is replaced whole, never changed)."""

    def __init__(self) -> None:
        self._plans: dict[str, tuple[CueAgenda, LiveState, list[Cue]]] = {}

    def cues(self, agenda: CueAgenda, live: LiveState) -> list[Cue]:
        kept = self._plans.get(agenda.slug)
        if kept is not None and kept[0] is agenda and kept[1] == live:
            return kept[2]
        cues = plan_cues(agenda, live)
        self._plans[agenda.slug] = (agenda, live, cues)
        return cues


def plan_under(agenda: CueAgenda, live: LiveState, revision: int,
               records: Iterable[DeliveryRecord], now: datetime, *,
               cache: PlanCache | None = None) -> LivePlan:
    """The live plan of an event from what was read of it (pure): its cues under ``live``
    (at ``revision``), ``records`` of its delivery log, where it is at ``now``."""
    by_cue: dict[str, list[DeliveryRecord]] = {}
    for record in records:
        by_cue.setdefault(record.cue_id, []).append(record)
    index, start, end = current_segment(agenda, live, now)
    cues = cache.cues(agenda, live) if cache is not None else plan_cues(agenda, live)
    return LivePlan(agenda, live, cues, by_cue, index, start, end, now, revision)
