"""The cue plan: a pure function of (agenda, actual start, live adjustments).

Nothing here reads a clock, a file or a database. :func:`plan_cues` takes a
:class:`~zoomorch.cues.model.CueAgenda` (built from an event file by
:func:`~zoomorch.cues.from_event.agenda_from_event`) and a
:class:`~zoomorch.cues.model.LiveState` and returns every
:class:`~zoomorch.cues.model.Cue`, each with a stable id, a tz-aware due time, its audience
and what its texts are made of (:mod:`zoomorch.cues.texts` writes them).

How the live adjustments read (all are recorded with the wall time ``at`` they were issued):

- the actual start (``webinar.started``, ``cues start``, or ``next`` while no segment is in
  progress and no start is recorded) re-anchors the agenda and the interpreter hand-overs; tech
  check, doors open and the scheduled-start cue stay where they were (they are about the
  scheduled time), and so does the **hard stop**: a late start eats into the agenda, it does
  not buy time past the booked end (``hard_stop_grace`` in the event file gives room);
- ``shift +3m`` moves every cue still to come by the amount, hard stop included;
- ``next`` ends the current segment at ``at``; the next segment starts then;
- ``extend 2m`` gives the current segment two more minutes (counted from now if it is already
  over time); later segments follow; the hard stop stays.

Segments advance ``manual``-ly by default, the first one included: it begins when the webinar
actually starts (until then its cues are *projected*, and from the scheduled start on the host
gets a "not started yet" cue each ``overrun_every``); after "time is up" the moderator gets an
overrun cue each minute until someone says ``next``; until then the later segments' cues are
projected (shown as if the segment ended on time, not scheduled). ``advance="auto"`` assumes the
webinar starts and every segment ends on time instead (no overrun cues); a recorded start
still moves the agenda.

Nothing of the agenda is cued after the hard stop (``hard_stop`` + ``hard_stop_grace``): that
cue says the webinar must end now. The end of the webinar (``webinar.ended`` or ``cues end``)
cancels every cue due from then on.

The time budget. A segment whose (re-)planned end falls after the hard stop is told its real
budget: its start says "1 min 30 s until the hard stop at 09:30; planned 5 min", its warnings
count down to the hard stop, and it gets no time-up (the hard stop says it). A segment that
would start at or after the hard stop gets nothing. The agenda's *projected finish* while a
segment is on is its end (or now, once it runs over under manual advance) plus the lengths of
the segments after it; when that passes the hard stop by ``behind_after`` (2 min by default; 0:
off), the host and the moderator get a ``behind`` cue, once per segment: with the segment's
start if it is behind already (a late start, an earlier overrun), at the moment an adjustment
puts it behind, or (manual advance) at the moment its overrun crosses the threshold. It says
the delay and by when to end the segment for the rest to keep their planned lengths ("end it
now" when even that leaves too little time). :func:`time_budget` gives the same reading at any
moment (the cue board shows it).

An adjustment never rewrites history: cues due before it keep their place, cues due after it
come from the new timeline. A segment is announced once: when a re-plan (typically a late start
under auto advance) moves the start of the segment people were last told is on, the moved cue
stays in the plan as ``quiet`` (sent to nobody; it still starts the recording if the event asks
for that); that segment's warnings and time-up carry the new end time. A cue's id is derived
from what it is and when it is due, so a re-plan keeps the ids of unchanged cues, and
re-planning after a restart gives the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from zoomorch.cues.model import (
    KIND_ORDER,
    PREPARATION,
    Adjustment,
    AdjustmentKind,
    Audience,
    Cue,
    CueAgenda,
    CueKind,
    LiveState,
    SegmentPlan,
)
from zoomorch.vocab.durations import format_duration


def default_warnings(duration: timedelta) -> tuple[timedelta, ...]:
    """Warnings before a segment's end, scaled with its length (5 and 2 min for 50 min)."""
    minutes = duration.total_seconds() / 60
    if minutes >= 40:
        return (timedelta(minutes=5), timedelta(minutes=2))
    if minutes >= 15:
        return (timedelta(minutes=3), timedelta(minutes=1))
    if minutes >= 3:
        return (timedelta(minutes=1),)
    return ()


@dataclass
class _Span:
    start: datetime
    end: datetime
    determined: bool  # started (manual) or assumed on time (auto)
    ended_by_next: bool = False


@dataclass
class _Timeline:
    """The event in event time; the planner's mutable working copy."""

    tech_check: datetime
    doors_open: datetime
    start_cue: datetime | None
    start: datetime
    spans: list[_Span]
    handovers: list[tuple[int, int, datetime]]  # (booth index, turn, when)
    hard_stop: datetime
    started: bool = False  # an actual start is known (recorded, or `next` before any start)

    def current(self, at: datetime, advance: str) -> int | None:
        """The segment in progress at ``at`` (manual: the last started and not ended)."""
        if advance == "manual":
            for i in range(len(self.spans) - 1, -1, -1):
                span = self.spans[i]
                if span.determined and span.start <= at:
                    return None if span.ended_by_next else i
            return None
        for i, span in enumerate(self.spans):
            if span.start <= at < span.end and not span.ended_by_next:
                return i
        return None


def _initial(agenda: CueAgenda, start: datetime, keep_pre: _Timeline | None,
             started: bool = False) -> _Timeline:
    """The timeline laid from ``start``; ``keep_pre`` (re-anchoring at an actual start) keeps
    the preparation cues, the hard stop and the segments' planned lengths."""
    s = agenda.settings
    scheduled = agenda.scheduled_start
    manual = s.advance == "manual"
    lengths = ([span.end - span.start for span in keep_pre.spans] if keep_pre is not None
               else [seg.duration for seg in agenda.segments])
    spans: list[_Span] = []
    longer = timedelta(0)  # what extends before the start added to the earlier segments
    for i, (seg, length) in enumerate(zip(agenda.segments, lengths, strict=True)):
        begins = start + seg.offset + longer
        spans.append(_Span(begins, begins + length,
                           determined=(not manual) or (i == 0 and started)))
        longer += length - seg.duration
    if keep_pre is not None:
        tech, doors, start_cue = keep_pre.tech_check, keep_pre.doors_open, keep_pre.start_cue
        if start_cue is not None and start < start_cue:
            start_cue = None  # started early: "start now" would come after the fact
        # The booked end does not move with a late (or early) start; only `shift` moves it.
        hard_stop = keep_pre.hard_stop
    else:
        tech, doors, start_cue = (scheduled - s.tech_check_before,
                                  scheduled - s.doors_open_before, scheduled)
        hard_stop = start + agenda.duration
    handovers: list[tuple[int, int, datetime]] = []
    if s.handover_every > timedelta(0):
        for b, booth in enumerate(agenda.booths):
            if len(booth.interpreters) < 2:
                continue
            turn, when = 1, start + s.handover_every
            while when < hard_stop:
                handovers.append((b, turn, when))
                turn, when = turn + 1, when + s.handover_every
    return _Timeline(tech, doors, start_cue, start, spans, handovers, hard_stop, started)


def _relay(spans: list[_Span], after: int, durations: list[timedelta]) -> None:
    """Lay the segments after ``after`` back to back from its end."""
    for j in range(after + 1, len(spans)):
        spans[j].start = spans[j - 1].end
        spans[j].end = spans[j].start + durations[j]


def _apply(tl: _Timeline, adj: Adjustment, agenda: CueAgenda, at: datetime) -> _Timeline:
    advance = agenda.settings.advance
    durations = [s.end - s.start for s in tl.spans]
    if adj.kind == AdjustmentKind.START:
        return _initial(agenda, at, tl, started=True)
    if adj.kind == AdjustmentKind.SHIFT:
        d = adj.amount

        def moved(p: datetime) -> datetime:
            return max(p + d, at) if p > at else p

        tl.tech_check, tl.doors_open = moved(tl.tech_check), moved(tl.doors_open)
        tl.start_cue = moved(tl.start_cue) if tl.start_cue else None
        tl.start = moved(tl.start)
        for span in tl.spans:
            span.start, span.end = moved(span.start), moved(span.end)
        tl.handovers = [(b, t, moved(w)) for b, t, w in tl.handovers]
        tl.hard_stop = moved(tl.hard_stop)
        return tl
    current = tl.current(at, advance)
    if adj.kind == AdjustmentKind.EXTEND:
        if current is None and not tl.started and (advance == "manual" or at < tl.spans[0].start):
            current = 0  # not started: the first segment is the one to come
        if current is None:
            return tl
        span = tl.spans[current]
        span.end = max(span.end, at) + adj.amount
        _relay(tl.spans, current, durations)
        return tl
    # AdjustmentKind.NEXT
    if current is None and not tl.started:
        # Nothing in progress and no start known: "next" means "we are starting now".
        return _initial(agenda, at, tl, started=True)
    if current is None:
        return tl
    span = tl.spans[current]
    span.end, span.ended_by_next = at, True
    if current + 1 < len(tl.spans):
        tl.spans[current + 1].determined = True
        _relay(tl.spans, current, durations)
    return tl


def _cue_id(kind: CueKind, scope: str, due: datetime) -> str:
    stamp = due.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    if due.microsecond:
        stamp += f".{due.microsecond // 1000:03d}"
    return f"{kind}/{scope}@{stamp}Z"


def _behind_due(tl: _Timeline, agenda: CueAgenda, i: int, stop: datetime,
                open_until: datetime, since: datetime | None) -> datetime | None:
    """When segment ``i`` gets its "behind schedule" cue (event time), or None.

    The agenda's projected finish while ``i`` is on is its end (or the moment, once it runs
    over) plus the lengths of the segments after it. The cue comes with the segment's start
    (or at ``since``, a re-plan's moment, if that falls inside it) when the finish is already
    ``behind_after`` past the hard stop, else at the moment an overrun takes it there (until
    ``open_until``: the hard stop when it may run over, else its end)."""
    threshold = agenda.settings.behind_after
    span = tl.spans[i]
    if threshold <= timedelta(0) or span.start >= stop:
        return None
    rest = sum((s.end - s.start for s in tl.spans[i + 1:]), timedelta(0))
    first = span.start if since is None else max(span.start, since)
    if first > span.start and first >= open_until:
        return None  # over before the re-plan
    if max(span.end, first) + rest - stop >= threshold:
        return first
    crossing = stop + threshold - rest  # later than its end: it is not behind at ``first``
    if max(first, span.end) < crossing < min(open_until, stop):
        return crossing
    return None


def _behind_params(tl: _Timeline, agenda: CueAgenda, i: int, due: datetime,
                   stop: datetime) -> dict[str, Any]:
    """What a "behind schedule" cue says: the delay, and how to catch up (``variant``:
    ``one``/``many`` later segments to make room for, ``now`` no room left, ``last``)."""
    span = tl.spans[i]
    later = tl.spans[i + 1:]
    rest = sum((s.end - s.start for s in later), timedelta(0))
    behind = max(span.end, due) + rest - stop
    params: dict[str, Any] = {"behind": behind, "needs": rest, "count": len(later)}
    if not later:
        return {**params, "variant": "last", "budget": stop - due, "end": stop}
    by = stop - rest  # end it by then, and the rest fits
    if by <= due:
        return {**params, "variant": "now", "available": stop - due, "end": stop}
    variant = "one" if len(later) == 1 else "many"
    return {**params, "variant": variant, "end": by,
            "next": agenda.segments[i + 1].title}


def _generate(tl: _Timeline, agenda: CueAgenda, since: datetime | None = None,
              cut: datetime | None = None) -> list[Cue]:
    """Every cue of the timeline. ``since`` (event time) and ``cut`` (the same moment, real
    time) are a re-plan's: a segment in progress then that became behind schedule is told
    so at that moment."""
    s = agenda.settings
    zone = agenda.zone
    manual = s.advance == "manual"
    waiting = manual and not tl.started  # the first segment waits for the actual start
    stop = tl.hard_stop + s.hard_stop_grace
    out: list[Cue] = []

    titled = any(s.titles for s in agenda.segments)

    def add(kind: CueKind, scope: str, due_event: datetime, audience: tuple[str, ...],
            segment: SegmentPlan | None = None, projected: bool = False,
            not_before: datetime | None = None, **params: Any) -> None:
        if due_event > stop and kind not in PREPARATION:
            return  # the hard stop says "end now": nothing of the agenda comes after it
        due = agenda.to_real_time(due_event).astimezone(UTC)
        if not_before is not None and due < not_before:
            due = not_before  # the re-plan's moment, lost to rounding between the clocks
        if segment is not None and titled:
            # Its segment's titles per language (and the next one's, which a `behind` cue
            # names), where render_text finds them: every text names them in its language.
            params["titles"] = segment.titles
            if "next" in params and segment.index + 1 < len(agenda.segments):
                params["next_titles"] = agenda.segments[segment.index + 1].titles
        out.append(Cue(_cue_id(kind, scope, due), due, kind, audience,
                       segment.title if segment else None,
                       segment.index if segment else None, projected, False, params, zone))

    everyone = (Audience.HOST, Audience.MODERATOR, Audience.PANELISTS, Audience.INTERPRETERS)
    scheduled = tl.start_cue or tl.start
    add(CueKind.TECH_CHECK, "event", tl.tech_check, everyone, start=scheduled)
    add(CueKind.DOORS_OPEN, "event", tl.doors_open,
        (Audience.HOST, Audience.MODERATOR, Audience.PANELISTS),
        start=scheduled)
    if tl.start_cue is not None:
        add(CueKind.EVENT_START, "event", tl.start_cue, everyone, start=tl.start_cue)
    if waiting and s.overrun_every > timedelta(0):
        n, at = 1, tl.start + s.overrun_every
        while at < tl.hard_stop:
            add(CueKind.NOT_STARTED, f"event-{n}", at, (Audience.HOST,), late=at - tl.start)
            n, at = n + 1, at + s.overrun_every
    for i, (seg, span) in enumerate(zip(agenda.segments, tl.spans, strict=True)):
        projected = not span.determined
        scope = f"s{i}"
        if span.ended_by_next:
            window_end = span.end  # nothing after an explicit end
        elif manual and (i + 1 == len(tl.spans) or not tl.spans[i + 1].determined):
            window_end = tl.hard_stop  # it may run over until `next`
        else:
            window_end = span.end
        # What remains cannot fit: the segment's real budget ends at the hard stop, which says
        # "time is up" for it.
        squeezed = span.end > stop
        if squeezed and span.start >= stop:
            continue  # starts at or after the hard stop: nothing of it is cued
        cut_short: dict[str, Any] = {"variant": "hard_stop"} if squeezed else {}
        budget = {**cut_short, "budget": stop - span.start,
                  "planned": span.end - span.start} if squeezed else {}
        end = stop if squeezed else span.end
        add(CueKind.SEGMENT_START, scope, span.start,
            (Audience.HOST, Audience.MODERATOR, Audience.speakers(i), Audience.INTERPRETERS),
            seg, projected, end=end, moderator=seg.moderator, speakers=seg.speakers, **budget)
        behind = _behind_due(tl, agenda, i, stop,
                             span.end if projected else max(window_end, span.end), since)
        if behind is not None:
            add(CueKind.BEHIND, scope, behind, (Audience.HOST, Audience.MODERATOR), seg,
                projected, not_before=cut if since is not None and behind == since else None,
                **_behind_params(tl, agenda, i, behind, stop))
        timed = (Audience.HOST, Audience.MODERATOR, Audience.speakers(i))
        if not span.ended_by_next:
            warnings = s.warnings.get(i, default_warnings(seg.duration))
            for left in sorted(warnings, reverse=True):
                due = end - left
                if due > span.start:
                    add(CueKind.WARNING, f"{scope}-{format_duration(left).replace(' ', '')}", due,
                        timed, seg, projected, left=left, end=end, **cut_short)
            if not squeezed:
                add(CueKind.TIME_UP, scope, span.end, timed, seg, projected, end=span.end)
        if projected or s.overrun_every <= timedelta(0):
            continue
        n, at = 1, span.end + s.overrun_every
        while at < min(window_end, tl.hard_stop):
            add(CueKind.OVERRUN, f"{scope}-{n}", at, timed, seg, over=at - span.end, end=span.end)
            n, at = n + 1, at + s.overrun_every
    for b, turn, when in tl.handovers:
        booth = agenda.booths[b]
        members = booth.interpreters
        # The interpreters' turns count from the actual start: projected until it is known.
        add(CueKind.HANDOVER, f"{booth.key}-{turn}", when, (Audience.booth(booth.key),),
            projected=waiting, booth=booth.label, to=members[turn % len(members)],
            from_=members[(turn - 1) % len(members)])
    add(CueKind.HARD_STOP, "event", stop, (Audience.HOST, Audience.MODERATOR), end=stop)
    return out


def _announce_once(kept: list[Cue], fresh: list[Cue]) -> list[Cue]:
    """Mark ``quiet`` the re-planned start of the segment people were last told is on."""
    told = [c for c in kept if c.kind == CueKind.SEGMENT_START and not c.projected and not c.quiet]
    if not told:
        return fresh
    last = max(told, key=lambda c: c.due)
    starts = [c for c in fresh if c.kind == CueKind.SEGMENT_START and not c.projected]
    if not starts:
        return fresh
    first = min(starts, key=lambda c: c.due)
    if first.segment_index != last.segment_index:
        return fresh
    return [replace(c, quiet=True) if c is first else c for c in fresh]


def _behind_once(kept: list[Cue], fresh: list[Cue]) -> list[Cue]:
    """Drop the re-planned "behind schedule" cue of a segment that already had one."""
    told = {c.segment_index for c in kept if c.kind == CueKind.BEHIND}
    if not told:
        return fresh
    return [c for c in fresh if not (c.kind == CueKind.BEHIND and c.segment_index in told)]


def plan_cues(agenda: CueAgenda, live: LiveState | None = None) -> list[Cue]:
    """Every cue of the event under the live state, in due order (ties by id)."""
    live = live or LiveState()
    tl = _initial(agenda, agenda.scheduled_start, None)
    plan = _generate(tl, agenda)
    for adj in live.epochs():
        at = agenda.to_event_time(adj.at)
        tl = _apply(tl, adj, agenda, at)
        cut = adj.at.astimezone(UTC)
        kept = [c for c in plan if c.due < cut and not c.projected]
        fresh = [c for c in _generate(tl, agenda, at, cut) if c.due >= cut]
        plan = kept + _behind_once(kept, _announce_once(kept, fresh))
    if live.ended_at is not None:
        # The webinar is over: overruns, hand-overs and the hard stop would only be noise.
        plan = [c for c in plan if c.due < live.ended_at and not c.projected]
    return sorted(plan, key=lambda c: (c.due, KIND_ORDER[c.kind], c.id))


def _timeline_at(agenda: CueAgenda, live: LiveState, now: datetime) -> _Timeline:
    """The timeline as the adjustments recorded up to ``now`` (real time) leave it."""
    tl = _initial(agenda, agenda.scheduled_start, None)
    for adj in live.epochs():
        if adj.at > now:
            break
        tl = _apply(tl, adj, agenda, agenda.to_event_time(adj.at))
    return tl


def current_segment(agenda: CueAgenda, live: LiveState, now: datetime) -> tuple[
        int | None, datetime | None, datetime | None]:
    """(segment index, its start, its end) in progress at ``now`` (real times), or Nones."""
    if live.ended_at is not None and now >= live.ended_at:
        return None, None, None
    tl = _timeline_at(agenda, live, now)
    at = agenda.to_event_time(now)
    index = tl.current(at, agenda.settings.advance)
    if index is None:
        return None, None, None
    span = tl.spans[index]
    return index, agenda.to_real_time(span.start), agenda.to_real_time(span.end)


@dataclass(frozen=True)
class SegmentBudget:
    """A segment still to run (or running) against the hard stop, event time.

    ``planned`` is its length as (re-)planned; ``start``/``end`` where it falls if the segments
    before it keep their planned lengths in order (the current one: where it is); ``budget``
    the time it really gets, from its start to its end or the hard stop, whichever is first.
    """

    index: int
    start: datetime
    end: datetime
    planned: timedelta
    budget: timedelta
    current: bool = False


@dataclass(frozen=True)
class TimeBudget:
    """Where the agenda stands against the hard stop at one moment, event time.

    ``finish`` is the agenda's projected finish: the current segment's end (or now, once it
    runs over under manual advance), or the start while none has begun, plus the planned
    lengths of the segments after it. ``behind`` is ``finish`` minus the hard stop (its grace
    included): negative while there is time to spare. From ``grows_from`` on (None: never,
    until something is recorded) the delay grows with the clock: a manual segment running
    over, or a webinar that has not started yet.
    """

    hard_stop: datetime
    finish: datetime
    behind: timedelta
    grows_from: datetime | None
    segments: tuple[SegmentBudget, ...]


def time_budget(agenda: CueAgenda, live: LiveState, now: datetime) -> TimeBudget | None:
    """The agenda against the hard stop at ``now`` (real time); None once the webinar has
    ended or the agenda has run out."""
    if live.ended_at is not None and now >= live.ended_at:
        return None
    tl = _timeline_at(agenda, live, now)
    at = agenda.to_event_time(now)
    manual = agenda.settings.advance == "manual"
    stop = tl.hard_stop + agenda.settings.hard_stop_grace
    index = tl.current(at, agenda.settings.advance)
    grows_from: datetime | None = None
    budgets: list[SegmentBudget] = []
    if index is not None:
        span = tl.spans[index]
        floor = span.end
        if manual:
            floor = max(span.end, at)
            grows_from = floor
        budgets.append(SegmentBudget(index, span.start, span.end, span.end - span.start,
                                     max(min(span.end, stop) - span.start, timedelta(0)),
                                     current=True))
        first = index + 1
    elif manual and not tl.started:
        floor = max(tl.spans[0].start, at)  # the first segment starts when the webinar does
        grows_from = floor
        first = 0
    else:
        later = [i for i, span in enumerate(tl.spans) if span.start >= at]
        if not later:
            return None
        first, floor = later[0], tl.spans[later[0]].start
    for j in range(first, len(tl.spans)):
        span = tl.spans[j]
        length = span.end - span.start
        begins = max(span.start, floor)
        budgets.append(SegmentBudget(j, begins, begins + length, length,
                                     max(min(begins + length, stop) - begins, timedelta(0))))
        floor = begins + length
    return TimeBudget(stop, floor, floor - stop, grows_from, tuple(budgets))
