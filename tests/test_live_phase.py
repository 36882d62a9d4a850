"""The one phase function (before / late / live / ended / after): what it says in each
situation of a live event, and that `cues status` (LivePlan.state) and the cue board read the
same phase from the same stored live state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cue_agendas import quick_agenda
from zoomorch.board.state import board_state
from zoomorch.cues import CueAgenda, current_segment, plan_cues
from zoomorch.db.store import StateStore, open_store
from zoomorch.live.plan import Phase, live_plan, phase
from zoomorch.live.state import (
    LiveSource,
    load_live,
    next_segment,
    record_actual_start,
    record_end,
)

S = datetime(2030, 5, 17, 12, 30, tzinfo=UTC)  # the scheduled start
M = timedelta(minutes=1)

Steps = Callable[[StateStore, str], object]


def nothing(_store: StateStore, _slug: str) -> None:
    return None


def started_at(at: datetime) -> Steps:
    return lambda store, slug: record_actual_start(store, slug, at, by=LiveSource.ZOOM)


def ended_at(start: datetime, end: datetime) -> Steps:
    def steps(store: StateStore, slug: str) -> None:
        record_actual_start(store, slug, start, by=LiveSource.ZOOM)
        record_end(store, slug, end, by=LiveSource.ZOOM)
    return steps


def every_segment_ended_by_next(store: StateStore, slug: str) -> None:
    record_actual_start(store, slug, S, by=LiveSource.CLI)
    for minute in (1, 2, 3):  # segments of 2, 3 and 2 minutes, each cut short
        next_segment(store, slug, S + minute * M, by=LiveSource.BOARD)


def next_before_the_start(store: StateStore, slug: str) -> None:
    # Stored as a `next` (no agenda given): the planner reads it as "we are starting now".
    next_segment(store, slug, S - 2 * M, by=LiveSource.BOARD)


CASES = [
    # (name, advance, what happened, now, phase)
    ("before the start", "manual", nothing, S - M, Phase.BEFORE),
    ("before the start, auto", "auto", nothing, S - M, Phase.BEFORE),
    ("past the scheduled start, not started", "manual", nothing, S + M, Phase.LATE),
    ("on the clock", "auto", nothing, S + M, Phase.LIVE),
    ("started late, in the first segment", "manual", started_at(S + M), S + 2 * M, Phase.LIVE),
    ("started early, before the scheduled start", "manual", started_at(S - 3 * M),
     S - 2 * M, Phase.LIVE),
    ("a next before the scheduled start", "manual", next_before_the_start, S - M, Phase.LIVE),
    ("end recorded", "manual", ended_at(S, S + 5 * M), S + 6 * M, Phase.ENDED),
    ("end recorded with a stamp ahead of our clock", "manual", ended_at(S, S + 5 * M),
     S + 3 * M, Phase.ENDED),
    ("never started, past the hard stop", "manual", nothing, S + 10 * M, Phase.AFTER),
    ("the agenda ran out", "auto", nothing, S + 8 * M, Phase.AFTER),
    ("every segment ended by next before the hard stop", "auto", every_segment_ended_by_next,
     S + 4 * M, Phase.AFTER),
]


def agenda_for(slug: str, advance: str) -> CueAgenda:
    return quick_agenda(S, slug, speed=1, minutes=(2, 3, 2), advance=advance)


@pytest.mark.parametrize(("name", "advance", "steps", "now", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_the_phase_of_each_situation_is_the_same_for_status_and_the_board(
        tmp_path: Path, name: str, advance: str, steps: Steps, now: datetime,
        expected: Phase) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    agenda = agenda_for("ev", advance)
    steps(store, agenda.slug)
    live = load_live(store, agenda.slug)
    index = current_segment(agenda, live, now)[0]
    hard_stop = next((c.due for c in plan_cues(agenda, live) if c.kind == "hard_stop"), None)

    assert phase(agenda, live, now, index, hard_stop) == expected
    assert live_plan(store, agenda, now).state == expected
    board = board_state(store, agenda, now=now)
    assert board["phase"] == expected.value
    # The board shows a segment in progress exactly when the phase is live.
    assert (board["current"] is not None) == (expected == Phase.LIVE)
    assert (board["ended_at"] is not None) == (expected == Phase.ENDED)


def test_status_and_board_agree_every_half_minute_through_a_whole_event(
        tmp_path: Path) -> None:
    """A late start, a next and (in one of the two stores) the end, read every 30 s from
    before the start to after the hard stop: one phase function, one answer."""
    agenda = agenda_for("walk", "auto")  # manual: the last segment would overrun forever
    walks: dict[str, list[Phase]] = {}
    for name in ("ended", "not ended"):
        store = open_store(f"sqlite:///{tmp_path / name.replace(' ', '-')}.sqlite3")
        record_actual_start(store, agenda.slug, S + 2 * M, by=LiveSource.ZOOM)
        next_segment(store, agenda.slug, S + 3 * M, by=LiveSource.BOARD)
        if name == "ended":
            record_end(store, agenda.slug, S + 6 * M, by=LiveSource.ZOOM)
        walks[name] = []
        for step in range(-4, 24):
            now = S + step * M / 2
            status = live_plan(store, agenda, now).state
            assert board_state(store, agenda, now=now)["phase"] == status.value, (name, now)
            walks[name].append(status)
    assert set(walks["ended"]) == {Phase.ENDED}  # a recorded end is the end
    phases = walks["not ended"]
    # Before the scheduled start; then the segments (on the clock, then from the recorded
    # start); then the agenda ran out — in that order, never back.
    assert phases[:4] == [Phase.BEFORE] * 4 and phases[-1] == Phase.AFTER
    order = [Phase.BEFORE, Phase.LIVE, Phase.AFTER]
    assert set(phases) == set(order)
    assert [order.index(p) for p in phases] == sorted(order.index(p) for p in phases)


def test_the_board_shows_how_far_behind_and_what_each_segment_still_gets(
        tmp_path: Path) -> None:
    """Segments of 2, 3 and 2 minutes, hard stop at +7; started 2 minutes late (manual)."""
    store = open_store(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    agenda = agenda_for("behind", "manual")
    record_actual_start(store, agenda.slug, S + 2 * M, by=LiveSource.ZOOM)
    board = board_state(store, agenda, now=S + 3 * M)
    # The first segment ends at +4, the other two need 5 minutes: +9, 2 minutes past +7; it
    # grows from +4 on if nobody says next.
    assert board["behind_seconds"] == 120
    assert board["behind_grows_from"] == (S + 4 * M).isoformat()
    assert [(b["index"], b["current"], b["planned_seconds"], b["budget_seconds"],
             b["room_seconds"]) for b in board["budgets"]] == [
        (0, True, 120, 120, None), (1, False, 180, 180, 180), (2, False, 120, 0, 0)]
    over = board_state(store, agenda, now=S + 5 * M)  # a minute over: 3 minutes behind
    assert over["behind_seconds"] == 180 and over["behind_grows_from"] == (S + 5 * M).isoformat()
    assert [b["budget_seconds"] for b in over["budgets"]] == [120, 120, 0]
    record_end(store, agenda.slug, S + 6 * M, by=LiveSource.ZOOM)
    ended = board_state(store, agenda, now=S + 6 * M)
    assert (ended["behind_seconds"], ended["budgets"]) == (None, [])
