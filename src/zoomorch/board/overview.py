"""The conference overview: one row per event, computed from each event's board snapshot.

Every event the service runs (or an overview link's events) in one JSON-able snapshot, for
the overview page (``GET /overview``) and ``zoomorch status``:

- ``phase``: the board's phase (:func:`zoomorch.live.plan.phase`) as the overview says it:
  ``before``, ``late``, ``live``, ``overrun`` (live, and the current segment past its end or
  the agenda running past the hard stop), ``ended`` (an end recorded, or the agenda ran out:
  ``board_phase`` keeps ``after`` apart);
- ``current``: the segment in progress (title, start, end), or None;
- ``behind_seconds``: the board's ``behind_seconds`` at ``now`` (its growth since
  ``behind_grows_from`` included; event seconds; negative: time to spare), None once over;
- ``next_cue``: the next cue to go (due, kind, text in the overview's language), or None.

Times are real (wall-clock) instants in UTC, ISO; the page shows them in the viewer's zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast

from zoomorch.board.state import view_of
from zoomorch.cues import CueAgenda, Language, render_text
from zoomorch.db.store import StateStore
from zoomorch.live.plan import LivePlan, Phase, plan_under
from zoomorch.live.state import LiveRecord, load_live_records

OVERVIEW_PHASES = ("before", "late", "live", "overrun", "ended")


def overview_phase(state: dict[str, Any], now: datetime) -> str:
    """The overview's phase of a board snapshot (see the module docstring)."""
    phase = state["phase"]
    if phase == Phase.LIVE:
        end = (state.get("current") or {}).get("end")
        hard_stop = state.get("hard_stop")
        if (end and datetime.fromisoformat(end) < now) or (
                hard_stop and datetime.fromisoformat(hard_stop) < now):
            return "overrun"
        return "live"
    if phase in (Phase.ENDED, Phase.AFTER):
        return "ended"
    return str(phase)


def behind_at(state: dict[str, Any], now: datetime) -> float | None:
    """``behind_seconds`` at ``now``: it grows with the clock from ``behind_grows_from``."""
    behind = state.get("behind_seconds")
    if behind is None:
        return None
    grows = state.get("behind_grows_from")
    if grows:
        since = (now - datetime.fromisoformat(grows)).total_seconds()
        if since > 0:
            behind += since * float(state.get("speed") or 1)
    return float(behind)


def _next_cue(plan: LivePlan, language: str) -> dict[str, Any] | None:
    if plan.live.ended_at is not None:
        return None
    cue = min((c for c in plan.cues if c.due > plan.now and not c.quiet),
              key=lambda c: c.due, default=None)
    if cue is None:
        return None
    return {"due": cue.due.isoformat(), "kind": str(cue.kind),
            "text": render_text(cue, cast(Language, language), plan.agenda.zone),
            "projected": cue.projected}


def overview_row(agenda: CueAgenda, record: LiveRecord, *, language: str = "en",
                 now: datetime | None = None) -> dict[str, Any]:
    """One event's row of the overview at ``now``, from its live record (pure)."""
    now = now or datetime.now(UTC)
    state = view_of(agenda, record, now, language=language, latest=0).state
    current = state.get("current")
    following = state.get("next")
    return {
        "event": agenda.slug,
        "title": agenda.title,
        "zone": str(agenda.zone),
        "scheduled_start": state["scheduled_start"],
        "actual_start": state["actual_start"],
        "hard_stop": state["hard_stop"],
        "phase": overview_phase(state, now),
        "board_phase": state["phase"],
        "revision": state["revision"],
        "current": ({"title": current["title"], "start": current["start"],
                     "end": current["end"]} if current else None),
        "next_segment": ({"title": following["title"], "start": following["start"]}
                         if following else None),
        "behind_seconds": behind_at(state, now),
        "next_cue": _next_cue(plan_under(agenda, record.live, record.revision, (), now),
                              state["language"]),
    }


def overview_state(store: StateStore, agendas: Iterable[CueAgenda], *, language: str = "en",
                   now: datetime | None = None) -> dict[str, Any]:
    """The overview of ``agendas`` at ``now``: every row, in order of scheduled start (one
    read of every event's live record, however many events)."""
    now = now or datetime.now(UTC)
    ordered = sorted(agendas, key=lambda a: (a.real_start, a.slug))
    records = load_live_records(store, [a.slug for a in ordered])
    rows = [overview_row(a, records[a.slug], language=language, now=now) for a in ordered]
    return {"now": now.isoformat(), "language": language, "events": rows}


def behind_text(seconds: float | None) -> str:
    """``3:30`` (minutes:seconds, rounded down), or ``""`` for nothing / none behind."""
    if seconds is None or seconds < 1:
        return ""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
