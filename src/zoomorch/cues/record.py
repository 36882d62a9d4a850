"""What really happened to each segment: its actual start and end, and what ended it.

Pure, like the planner, and derived by the planner's own rules (:mod:`zoomorch.cues.planner`)
from the same :class:`~zoomorch.cues.model.LiveState`, so the run-of-show record and the cues
can never tell two stories. Nothing is stored twice: the live state keeps each transition once
(the start, every ``next``, ``extend`` and ``shift``, the end) and a segment's boundaries are
read from it.

All times out of here are *event* time (a rehearsal at 80× reads as the real event would),
tz-aware UTC; the live state's instants are wall time and go through
:meth:`~zoomorch.cues.model.CueAgenda.to_event_time`.

How a segment ended (:class:`EndedBy`):

- ``next``: someone said ``next`` (the CLI, the board, a rehearsal's host);
- ``auto``: automatic advance ended it at its (re-planned) end;
- ``hard_stop``: it was still on when the webinar ended at the hard stop (within
  :data:`HARD_STOP_TOLERANCE` of it, or :data:`REAL_LATENCY` of real time in a rehearsal);
- ``webinar_end``: it was still on when the webinar ended, away from the hard stop;
- ``running``: it is still on (no end known yet);
- ``planned_length``: estimated, not recorded: its planned length from where it was placed;
- ``not_held``: the webinar ended before it began; ``upcoming``: it has not begun yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from zoomorch.cues.model import Adjustment, AdjustmentKind, CueAgenda, LiveState
from zoomorch.cues.planner import _apply, _initial

# A webinar ended this close to the hard stop was ended by it (Zoom's webinar.ended comes a
# few seconds after the host, or the enforcement, ends it; a host may end it on "time is up").
# Those seconds are real ones: an accelerated rehearsal allows as many real seconds as
# REAL_LATENCY, in event time.
HARD_STOP_TOLERANCE = timedelta(seconds=60)
REAL_LATENCY = timedelta(seconds=0.5)


class EndedBy(StrEnum):
    """How a segment ended (see the module docstring)."""

    NEXT = "next"
    AUTO = "auto"
    HARD_STOP = "hard_stop"
    WEBINAR_END = "webinar_end"
    RUNNING = "running"
    PLANNED_LENGTH = "planned_length"
    NOT_HELD = "not_held"
    UPCOMING = "upcoming"


@dataclass(frozen=True)
class SegmentRun:
    """One segment, planned and actual (event time). ``next_position``: where in
    ``LiveState.adjustments`` the ``next`` that ended it is (who said it is kept there)."""

    index: int
    title: str
    planned_start: datetime
    planned_end: datetime
    actual_start: datetime | None
    actual_end: datetime | None
    ended_by: EndedBy
    next_position: int | None = None

    @property
    def planned_length(self) -> timedelta:
        return self.planned_end - self.planned_start

    @property
    def actual_length(self) -> timedelta | None:
        if self.actual_start is None or self.actual_end is None:
            return None
        return self.actual_end - self.actual_start

    @property
    def over(self) -> timedelta | None:
        """Actual minus planned length (negative: under); None until it has ended."""
        length = self.actual_length
        return None if length is None else length - self.planned_length

    @property
    def held(self) -> bool:
        return self.actual_start is not None


@dataclass(frozen=True)
class SegmentRuns:
    """Every segment's run and the event's own moments (event time).

    ``start_position``: the position in ``LiveState.adjustments`` of a ``next`` that was read
    as the start (None: the start is the recorded one, or unknown). ``end``: the end that
    closed the record (recorded, or given by the caller), None while running.
    """

    segments: tuple[SegmentRun, ...]
    scheduled_start: datetime
    actual_start: datetime | None
    hard_stop: datetime
    end: datetime | None
    start_position: int | None = None

    @property
    def start_delay(self) -> timedelta | None:
        if self.actual_start is None:
            return None
        return self.actual_start - self.scheduled_start


def planned_windows(agenda: CueAgenda) -> list[tuple[datetime, datetime]]:
    """(start, end) of each segment as planned, event time."""
    return [(agenda.scheduled_start + s.offset, agenda.scheduled_start + s.offset + s.duration)
            for s in agenda.segments]


def segment_runs(agenda: CueAgenda, live: LiveState, now: datetime,
                 end: datetime | None = None) -> SegmentRuns:
    """Each segment as it ran under ``live``, as of wall instant ``now``.

    ``end`` (wall time) is the webinar's end when the live state has none (e.g. Zoom's report
    says when it ended), or an earlier one than the recorded end (Zoom's end time, when the
    webhook that recorded it came late): the earliest known end closes the record, and no
    segment ends after it.
    """
    ends = [e for e in (live.ended_at, end) if e is not None]
    end_wall = min(ends) if ends else None
    cutoff = min(now, end_wall) if end_wall is not None else now
    advance = agenda.settings.advance

    # The planner's epochs, keeping each adjustment's position (who made it is stored there).
    items: list[tuple[Adjustment, int | None]] = [
        (a, i) for i, a in enumerate(live.adjustments)]
    if live.actual_start is not None:
        items.append((Adjustment(AdjustmentKind.START, live.actual_start), None))
    items.sort(key=lambda item: item[0].at)

    tl = _initial(agenda, agenda.scheduled_start, None)
    ended_by_next: dict[int, int] = {}
    start_position: int | None = None
    for adj, position in items:
        if adj.at > cutoff:
            break
        at = agenda.to_event_time(adj.at)
        if adj.kind == AdjustmentKind.NEXT:
            current = tl.current(at, advance)
            if current is None and not tl.started:
                start_position = position
            elif current is not None and position is not None:
                ended_by_next[current] = position
        elif adj.kind == AdjustmentKind.START:
            start_position = None
        tl = _apply(tl, adj, agenda, at)

    cut = agenda.to_event_time(cutoff)
    end_event = agenda.to_event_time(end_wall) if end_wall is not None else None
    hard_stop = tl.hard_stop + agenda.settings.hard_stop_grace
    tolerance = max(HARD_STOP_TOLERANCE, REAL_LATENCY * agenda.speed)
    over = end_event is not None or cut >= hard_stop
    started = tl.started or advance == "auto"
    runs: list[SegmentRun] = []
    for (i, seg), span, (p_start, p_end) in zip(enumerate(agenda.segments), tl.spans,
                                                 planned_windows(agenda), strict=True):
        held = started and span.determined and span.start <= cut and (
            end_event is None or span.start < end_event)
        if not held:
            runs.append(SegmentRun(i, seg.title, p_start, p_end, None, None,
                                   EndedBy.NOT_HELD if over else EndedBy.UPCOMING))
            continue
        actual_end: datetime | None
        if span.ended_by_next:
            actual_end, how = span.end, EndedBy.NEXT
        elif advance == "auto" and span.end <= cut:
            actual_end, how = span.end, EndedBy.AUTO
        elif end_event is not None:
            actual_end = end_event
            how = (EndedBy.HARD_STOP if abs(end_event - hard_stop) <= tolerance
                   else EndedBy.WEBINAR_END)
        else:
            actual_end, how = None, EndedBy.RUNNING
        if actual_end is not None and end_event is not None and actual_end > end_event:
            actual_end = end_event
        runs.append(SegmentRun(i, seg.title, p_start, p_end, span.start, actual_end, how,
                               ended_by_next.get(i) if how == EndedBy.NEXT else None))
    return SegmentRuns(tuple(runs), agenda.scheduled_start, tl.start if started else None,
                       hard_stop, end_event, start_position)


def estimated_runs(agenda: CueAgenda, start: datetime, end: datetime | None) -> SegmentRuns:
    """The segments placed on a known start (event time; e.g. Zoom's report) with their
    planned lengths, clipped to the known end: an estimate, never passed off as actual."""
    shift = start - agenda.scheduled_start
    hard_stop = agenda.scheduled_start + agenda.duration + agenda.settings.hard_stop_grace
    runs: list[SegmentRun] = []
    for (i, seg), (p_start, p_end) in zip(enumerate(agenda.segments), planned_windows(agenda),
                                          strict=True):
        a_start, a_end = p_start + shift, p_end + shift
        if end is not None and a_start >= end:
            runs.append(SegmentRun(i, seg.title, p_start, p_end, None, None, EndedBy.NOT_HELD))
            continue
        if end is not None and a_end > end:
            a_end = end
        runs.append(SegmentRun(i, seg.title, p_start, p_end, a_start, a_end,
                               EndedBy.PLANNED_LENGTH))
    return SegmentRuns(tuple(runs), agenda.scheduled_start, start, hard_stop, end)
