"""What the cue board shows, computed from the live plan: a JSON-able snapshot.

Times are real (wall-clock) instants in UTC; ``speed`` tells the page how fast event time
runs (1 for a real event), so an accelerated rehearsal counts down in event minutes. Amounts
(``*_seconds``) are event seconds.

The schedule against the hard stop (:func:`zoomorch.cues.time_budget`): ``behind_seconds`` is
the agenda's projected finish minus the hard stop (negative: time to spare); from
``behind_grows_from`` on (a manual segment running over, a webinar not started yet) it grows
with the clock, and the page counts it up. ``budgets`` has the current and each remaining
segment: its planned length and the time it really gets before the hard stop
(``budget_seconds``); a remaining segment's ``room_seconds`` (from its start to the hard stop)
shrinks with the same growth, so the page can keep its budget up to date between snapshots.

Segments are named in the board's language where the event file gives a title in it
(``title_es`` …; :meth:`~zoomorch.cues.SegmentPlan.title_in`): ``current``, ``next``,
``budgets`` and the ``latest`` cues' segments and texts.

Messages from the control room to the presenter (:class:`~zoomorch.live.state.PresenterMessage`):
``messages`` are the newest :data:`MESSAGES_SHOWN`, newest first, each ``{"id", "text", "at",
"by", "acknowledged", "acknowledged_at"}``; ``message`` is the newest one not acknowledged
yet (the page highlights it until a board acknowledges it), or None.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from zoomorch.cues import (
    LANGUAGES,
    Cue,
    CueAgenda,
    TimeBudget,
    default_warnings,
    render_text,
    time_budget,
)
from zoomorch.db.store import StateStore
from zoomorch.db.tables import CueDelivery
from zoomorch.delivery.log import DeliveryStatus
from zoomorch.live.plan import LivePlan, Phase, PlanCache, plan_under
from zoomorch.live.state import LiveRecord, PresenterMessage, aware_or_now, read_live_record

# A segment without warnings still turns red shortly before its end.
_RED_FALLBACK = timedelta(seconds=30)
# The messages a snapshot lists (newest first); the newest unacknowledged one always shows.
MESSAGES_SHOWN = 5


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def segment_thresholds(agenda: CueAgenda, index: int) -> tuple[float, float]:
    """(amber, red) in event-time seconds before the segment's end."""
    segment = agenda.segments[index]
    warnings = agenda.settings.warnings.get(index) or default_warnings(segment.duration)
    if not warnings:
        amber = min(segment.duration / 5, timedelta(minutes=1))
        return amber.total_seconds(), min(_RED_FALLBACK, amber / 2).total_seconds()
    amber = max(warnings)
    red = min(warnings) if len(warnings) > 1 else min(_RED_FALLBACK, amber / 2)
    return amber.total_seconds(), red.total_seconds()


def _segment_start_cue(plan: LivePlan, index: int) -> Cue | None:
    return next((c for c in plan.cues
                 if c.kind == "segment_start" and c.segment_index == index), None)


def _segment_json(agenda: CueAgenda, index: int, language: str) -> dict[str, Any]:
    segment = agenda.segments[index]
    return {"index": index, "title": segment.title_in(language),
            "moderator": segment.moderator, "speakers": list(segment.speakers)}


@dataclass(frozen=True)
class BoardView:
    """A board snapshot and the next moment at which it changes by the clock alone (a cue
    falls due, a segment ends, the start); None: not before something is recorded."""

    state: dict[str, Any]
    changes_at: datetime | None


def board_state(store: StateStore, agenda: CueAgenda, *, now: datetime | None = None,
                language: str = "en", latest: int = 8) -> dict[str, Any]:
    """The board snapshot of one event at ``now``, from the one live-state record.

    ``phase`` (:func:`zoomorch.live.plan.phase`): ``before`` the start, ``late`` (manual
    advance: the scheduled start has passed and the webinar has not started; a controller's
    Next starts it), ``live``, ``after`` (the agenda ran out), ``ended`` (an end recorded:
    Zoom's webinar.ended or `zoomorch cues end`)."""
    return board_view(store, agenda, now=now, language=language, latest=latest).state


def board_view(store: StateStore, agenda: CueAgenda, *, now: datetime | None = None,
               language: str = "en", latest: int = 8,
               plans: PlanCache | None = None) -> BoardView:
    """:func:`board_state` and when it next changes by the clock.

    One transaction reads what a snapshot needs: the live-state row (the state, its revision
    and the messages, consistent with each other) and, for the ``latest`` cues, which cues
    were delivered. A board is recomputed at every change of its event, on every replica."""
    when = aware_or_now(now)
    with store.session() as session:
        record = read_live_record(session, agenda.slug)
        delivered: set[str] = set()
        if latest:
            delivered = set(session.scalars(
                select(CueDelivery.cue_id).where(
                    CueDelivery.event_slug == agenda.slug,
                    CueDelivery.status == DeliveryStatus.DELIVERED).distinct()))
    return view_of(agenda, record, when, language=language, latest=latest,
                   delivered=delivered, plans=plans)


def view_of(agenda: CueAgenda, record: LiveRecord, now: datetime, *, language: str = "en",
            latest: int = 8, delivered: Collection[str] = (),
            plans: PlanCache | None = None) -> BoardView:
    """The board snapshot from what was read of the event (pure): its live record and the
    ids of its cues delivered (``plans``: plans kept from earlier snapshots)."""
    plan = plan_under(agenda, record.live, record.revision, (), now, cache=plans)
    state = _state(plan, agenda, language, latest, delivered)
    state.update(_messages(record.messages))
    return BoardView(state, _changes_at(plan))


def _message_json(message: PresenterMessage) -> dict[str, Any]:
    return {"id": message.id, "text": message.text, "at": message.at.isoformat(),
            "by": message.by.value, "acknowledged": message.acknowledged,
            "acknowledged_at": _iso(message.acknowledged_at)}


def _messages(messages: tuple[PresenterMessage, ...]) -> dict[str, Any]:
    """``messages`` (newest first, at most :data:`MESSAGES_SHOWN`) and ``message`` (the newest
    unacknowledged one, or None)."""
    waiting = next((m for m in reversed(messages) if not m.acknowledged), None)
    return {"messages": [_message_json(m) for m in reversed(messages[-MESSAGES_SHOWN:])],
            "message": _message_json(waiting) if waiting is not None else None}


def _changes_at(plan: LivePlan) -> datetime | None:
    """The first moment after ``plan.now`` at which the snapshot changes by the clock."""
    start = plan.live.actual_start or plan.agenda.real_start
    moments = [c.due for c in plan.cues] + [start]
    if plan.current_end is not None:
        moments.append(plan.current_end)
    return min((m for m in moments if m > plan.now), default=None)


def _schedule(plan: LivePlan, agenda: CueAgenda, phase: Phase, language: str
              ) -> dict[str, Any]:
    """``behind_seconds``, ``behind_grows_from`` and ``budgets`` (see the module docstring);
    nothing (None, []) once the agenda has run out or the webinar has ended."""
    reading: TimeBudget | None = None
    if phase not in (Phase.ENDED, Phase.AFTER):
        reading = time_budget(agenda, plan.live, plan.now)
    if reading is None:
        return {"behind_seconds": None, "behind_grows_from": None, "budgets": []}
    grows = reading.grows_from
    return {
        "behind_seconds": reading.behind.total_seconds(),
        "behind_grows_from": _iso(agenda.to_real_time(grows)) if grows is not None else None,
        "budgets": [
            {**_segment_json(agenda, b.index, language), "current": b.current,
             "planned_seconds": b.planned.total_seconds(),
             "budget_seconds": b.budget.total_seconds(),
             "room_seconds": (None if b.current
                              else (reading.hard_stop - b.start).total_seconds())}
            for b in reading.segments],
    }


def _state(plan: LivePlan, agenda: CueAgenda, language: str, latest: int,
           delivered: Collection[str]) -> dict[str, Any]:
    lang = language if language in LANGUAGES else "en"
    phase = plan.state
    ended_at = plan.live.ended_at
    start = plan.live.actual_start or agenda.real_start
    current: dict[str, Any] | None = None
    if phase == Phase.LIVE and plan.current_index is not None:
        amber, red = segment_thresholds(agenda, plan.current_index)
        current = {**_segment_json(agenda, plan.current_index, lang),
                   "start": _iso(plan.current_start), "end": _iso(plan.current_end),
                   "amber_seconds": amber, "red_seconds": red}
    following: dict[str, Any] | None = None
    next_index = 0 if plan.current_index is None else plan.current_index + 1
    if phase != Phase.ENDED and next_index < len(agenda.segments) and (
            plan.current_index is not None or plan.now < start or phase == Phase.LATE):
        cue = _segment_start_cue(plan, next_index)
        following = {**_segment_json(agenda, next_index, lang),
                     "start": _iso(cue.due if cue else None),
                     "projected": bool(cue and cue.projected)}
    hard_stop = plan.hard_stop
    past = [c for c in plan.cues if not c.projected and not c.quiet and c.due <= plan.now]
    return {
        "event": agenda.slug,
        "title": agenda.title,
        "zone": str(agenda.zone),
        "language": lang,
        "speed": agenda.speed,
        "now": plan.now.isoformat(),
        "revision": plan.revision,
        "phase": phase.value,
        "scheduled_start": agenda.real_start.isoformat(),  # wall time, like every time here
        "actual_start": _iso(plan.live.actual_start),
        "started": plan.started,
        "ended_at": _iso(ended_at),
        "hard_stop": _iso(hard_stop),
        **_schedule(plan, agenda, phase, lang),
        "current": current,
        "next": following,
        "latest": [
            {"id": c.id, "due": c.due.isoformat(), "kind": c.kind,
             "segment": (agenda.segments[c.segment_index].title_in(lang)
                         if c.segment_index is not None else c.segment),
             "text": render_text(c, lang, agenda.zone),
             "delivered": c.id in delivered}
            for c in reversed(past[-latest:])
        ],
    }


def fingerprint(state: dict[str, Any]) -> tuple[Any, ...]:
    """What must change for a board to need a new snapshot (the clock alone does not). A
    cue's ``delivered`` flag alone does not either: it is brought up to date with the next
    snapshot (the page does not show it), so recording deliveries wakes no board."""
    return (state["revision"], state["phase"], state["ended_at"],
            (state["current"] or {}).get("index"), (state["current"] or {}).get("end"),
            (state["next"] or {}).get("index"), (state["next"] or {}).get("start"),
            tuple(c["id"] for c in state["latest"]),
            tuple((m["id"], m["acknowledged"]) for m in state.get("messages", ())))
