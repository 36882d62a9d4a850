"""The run-of-show record: what really happened during a live event, read from its live state.

Every transition is stored once, in the event's live-state row (:mod:`zoomorch.live.state`):
the actual start and who or what recorded it, each ``next`` / ``extend`` / ``shift`` with who
made it and when, the end and its source, and the control room's messages to the presenter.
Each segment's actual start and end, and what ended it, follow from those by the planner's
rules (:func:`zoomorch.cues.record.segment_runs`).

``zoomorch cues status`` shows the record so far, ``zoomorch report`` puts it beside the
attendance (planned vs actual), and the demo writes it into ``demo-summary.json``.

An event run without the service has no record. Then the segments are *estimated*: placed on
the start Zoom reports (or the recorded start) with their planned lengths and cut at the end,
and labelled so (:attr:`RunOfShow.estimated`), never passed off as actual. So are the segments
of a manual-advance event whose start was recorded but where nobody ever said ``next``: the
record cannot tell when its segments changed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from zoomorch.cues import AdjustmentKind, CueAgenda, current_segment
from zoomorch.cues.record import EndedBy, SegmentRun, SegmentRuns, estimated_runs, segment_runs
from zoomorch.db.store import StateStore
from zoomorch.live.state import LiveRecord, PresenterMessage, aware_or_now, load_live_record

# Where a start or an end came from when the live state has none: Zoom's own report.
ZOOM_REPORT = "zoom report"


@dataclass(frozen=True)
class RecordedSegment:
    """A segment's run and who said the ``next`` that ended it (None: not ended by one)."""

    run: SegmentRun
    by: str | None = None

    @property
    def ended_by(self) -> str:
        """How it ended, with who when someone said ``next`` (``"next (board)"``)."""
        how = str(self.run.ended_by)
        return f"{how} ({self.by})" if self.by else how


@dataclass(frozen=True)
class RecordedChange:
    """One ``next`` / ``extend`` / ``shift`` as recorded: when (event time), how much, who,
    and the segment that was on."""

    kind: AdjustmentKind
    at: datetime
    amount: timedelta
    by: str
    segment: str | None


@dataclass(frozen=True)
class RunOfShow:
    """What happened, in event time (tz-aware UTC; :attr:`zone` is the event's zone)."""

    event_slug: str
    zone: ZoneInfo
    estimated: bool  # True: the segments' boundaries are estimated, not recorded
    scheduled_start: datetime
    actual_start: datetime | None
    start_source: str | None  # a LiveSource value, or ZOOM_REPORT
    segments: tuple[RecordedSegment, ...]
    changes: tuple[RecordedChange, ...]
    hard_stop: datetime
    end: datetime | None
    end_source: str | None
    webinar_id: int | None = None
    # The control room's messages to the presenter posted by ``now``, oldest first (their
    # times in event time, like the rest).
    messages: tuple[PresenterMessage, ...] = ()

    @property
    def basis(self) -> str:
        """How the boundaries are known, in a word for labels: recorded / estimated."""
        return "estimated" if self.estimated else "recorded"

    @property
    def start_delay(self) -> timedelta | None:
        return None if self.actual_start is None else self.actual_start - self.scheduled_start

    @property
    def ended_at_hard_stop(self) -> bool:
        return any(s.run.ended_by == EndedBy.HARD_STOP for s in self.segments)

    def _iso(self, at: datetime | None) -> str | None:
        return at.astimezone(self.zone).isoformat() if at is not None else None

    def segment_rows(self) -> list[dict[str, Any]]:
        """One ``{segment, planned_start, planned_end, actual_start, actual_end, ended_by,
        by}`` per segment, ISO 8601 with the event zone's offset (``demo-summary.json``)."""
        return [{"segment": s.run.title, "planned_start": self._iso(s.run.planned_start),
                 "planned_end": self._iso(s.run.planned_end),
                 "actual_start": self._iso(s.run.actual_start),
                 "actual_end": self._iso(s.run.actual_end),
                 "ended_by": str(s.run.ended_by), "by": s.by} for s in self.segments]

    def as_json(self) -> dict[str, Any]:
        """The whole record (``EVENT-run-of-show.json``, ``cues status --json``)."""
        return {
            "event": self.event_slug, "basis": self.basis, "zone": self.zone.key,
            "scheduled_start": self._iso(self.scheduled_start),
            "actual_start": self._iso(self.actual_start), "start_source": self.start_source,
            "start_delay_seconds": (self.start_delay.total_seconds()
                                    if self.start_delay is not None else None),
            "hard_stop": self._iso(self.hard_stop), "end": self._iso(self.end),
            "end_source": self.end_source, "webinar_id": self.webinar_id,
            "segments": self.segment_rows(),
            "changes": [{"kind": str(c.kind), "at": self._iso(c.at),
                         "seconds": c.amount.total_seconds(), "by": c.by,
                         "segment": c.segment} for c in self.changes],
            "messages": [{**m.as_json(), "at": self._iso(m.at),
                          "acknowledged_at": self._iso(m.acknowledged_at)}
                         for m in self.messages],
        }


def run_of_show(store: StateStore, agenda: CueAgenda, now: datetime | None = None, *,
                zoom_start: datetime | None = None,
                zoom_end: datetime | None = None) -> RunOfShow:
    """The event's run of show from its stored live state (see :func:`from_record`)."""
    return from_record(load_live_record(store, agenda.slug), agenda, now,
                       zoom_start=zoom_start, zoom_end=zoom_end)


def from_record(record: LiveRecord, agenda: CueAgenda, now: datetime | None = None, *,
                zoom_start: datetime | None = None,
                zoom_end: datetime | None = None) -> RunOfShow:
    """The run of show of one live-state record as of ``now`` (wall time; default: now).

    ``zoom_start`` / ``zoom_end``: the webinar's start and end as Zoom's report gives them
    (event time). The end closes the record when none was recorded, or when Zoom's is earlier
    (a late ``webinar.ended``); the start places the segments when nothing was recorded.
    """
    when = aware_or_now(now)
    live = record.live
    end_wall = agenda.to_real_time(zoom_end) if zoom_end is not None else None
    runs = segment_runs(agenda, live, when, end_wall)
    recorded_end = live.ended_at is not None and (
        end_wall is None or live.ended_at <= end_wall)
    end_source = (str(record.end_source or "unknown") if recorded_end
                  else ZOOM_REPORT if runs.end is not None else None)

    started = live.started_by(when)
    manual = agenda.settings.advance == "manual"
    said_next = any(a.kind == AdjustmentKind.NEXT for a in live.adjustments)
    estimated = not started or (manual and len(agenda.segments) > 1 and not said_next
                                and runs.start_position is None)
    if started:
        start = runs.actual_start
        if runs.start_position is not None:
            start_source: str | None = str(record.adjustments[runs.start_position].by)
        else:
            start_source = str(record.start_source or "unknown")
    elif zoom_start is not None:
        start, start_source = zoom_start, ZOOM_REPORT
    else:
        start, start_source = None, None
    if estimated and start is not None:
        runs = _estimate(agenda, start, runs)

    segments = tuple(
        RecordedSegment(r, str(record.adjustments[r.next_position].by)
                        if r.next_position is not None else None)
        for r in runs.segments)
    changes = []
    for position, entry in enumerate(record.adjustments):
        adj = entry.adjustment
        if position == runs.start_position or adj.at > when:
            continue
        index, _start, _end = current_segment(agenda, live, adj.at - timedelta(microseconds=1))
        changes.append(RecordedChange(
            adj.kind, agenda.to_event_time(adj.at), adj.amount, str(entry.by),
            agenda.segments[index].title if index is not None else None))
    return RunOfShow(agenda.slug, agenda.zone, estimated, agenda.scheduled_start, start,
                     start_source, segments, tuple(changes), runs.hard_stop, runs.end,
                     end_source, record.webinar_id, _messages(agenda, record, when))


def _messages(agenda: CueAgenda, record: LiveRecord, when: datetime
              ) -> tuple[PresenterMessage, ...]:
    """The messages posted by ``when`` (wall time), their times in event time like the rest
    of the record; an acknowledgement after ``when`` is not there yet."""
    out = []
    for m in record.messages:
        if m.at > when:
            continue
        acked = m.acknowledged_at if m.acknowledged_at and m.acknowledged_at <= when else None
        out.append(replace(m, at=agenda.to_event_time(m.at),
                           acknowledged_at=agenda.to_event_time(acked) if acked else None,
                           acknowledged_by=m.acknowledged_by if acked else None))
    return tuple(out)


def _estimate(agenda: CueAgenda, start: datetime, recorded: SegmentRuns) -> SegmentRuns:
    """Planned lengths from the start, cut at the end; the hard stop stays the plan's."""
    estimate = estimated_runs(agenda, start, recorded.end)
    return SegmentRuns(estimate.segments, recorded.scheduled_start, start,
                       recorded.hard_stop, recorded.end)
