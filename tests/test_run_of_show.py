"""The run-of-show record: each segment's actual start and end, and what ended it, read from
the live state that the start, `next`, `extend`, `shift` and the end were recorded in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from postgres_support import fresh_schema, postgres_server_url
from zoomorch.cues import agenda_from_event, with_settings
from zoomorch.cues.record import EndedBy
from zoomorch.db.store import StateStore, open_store
from zoomorch.event import load_event
from zoomorch.live.record import ZOOM_REPORT, run_of_show
from zoomorch.live.state import (
    LiveSource,
    extend,
    next_segment,
    record_actual_start,
    record_end,
    shift,
)

SEED = Path(__file__).resolve().parent.parent / "config" / "imrf-2022-latam.toml"
M = timedelta(minutes=1)
START = datetime(2022, 5, 17, 12, 30, tzinfo=UTC)  # 08:30 New York
HARD_STOP = START + 60 * M


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    """The record reads the same from SQLite and from the production PostgreSQL (whose
    session zone is far from UTC here, so an instant not kept as UTC would show)."""
    if request.param == "sqlite":
        yield open_store(f"sqlite:///{tmp_path / 'state.db'}")
        return
    with fresh_schema(postgres_server_url()) as url:
        store = open_store(url)
        try:
            yield store
        finally:
            store.engine.dispose()


@pytest.fixture(scope="module")
def agenda():  # type: ignore[no-untyped-def]
    return agenda_from_event(load_event(SEED))


def test_the_demo_shape_late_start_overrun_and_the_hard_stop(store, agenda) -> None:
    """Started 2 min late (Zoom), the board ends the opening on time, the CLI ends the
    dialogue 1:30 over, and the webinar is ended at the hard stop."""
    slug = agenda.slug
    record_actual_start(store, slug, START + 2 * M, by=LiveSource.ZOOM, webinar_id=42)
    next_segment(store, slug, START + 7 * M, agenda=agenda, by=LiveSource.BOARD)
    next_segment(store, slug, START + 58 * M + 30 * timedelta(seconds=1), agenda=agenda,
                 by=LiveSource.CLI)
    record_end(store, slug, HARD_STOP + timedelta(seconds=8), by=LiveSource.ZOOM)

    ros = run_of_show(store, agenda, HARD_STOP + 5 * M)
    assert not ros.estimated and ros.basis == "recorded"
    assert ros.actual_start == START + 2 * M and ros.start_source == "zoom"
    assert ros.start_delay == 2 * M
    assert ros.webinar_id == 42
    opening, dialogue, closing = ros.segments
    assert (opening.run.actual_start, opening.run.actual_end) == (START + 2 * M, START + 7 * M)
    assert opening.ended_by == "next (board)"
    assert opening.run.over == timedelta(0)
    assert dialogue.run.actual_end == START + 58.5 * M
    assert dialogue.run.over == 1.5 * M and dialogue.ended_by == "next (cli)"
    assert closing.run.actual_start == START + 58.5 * M
    assert closing.run.ended_by == EndedBy.HARD_STOP and closing.by is None
    assert closing.run.actual_end == ros.end == HARD_STOP + timedelta(seconds=8)
    assert closing.run.actual_length == timedelta(seconds=98)
    assert ros.hard_stop == HARD_STOP
    assert ros.end_source == "zoom"
    # Planned times are the event file's, whatever happened.
    assert [s.run.planned_start for s in ros.segments] == [START, START + 5 * M, START + 55 * M]
    assert [c.kind for c in ros.changes] == ["next", "next"]
    assert [c.segment for c in ros.changes] == ["Opening Remarks", "Interactive Dialogue"]
    rows = ros.segment_rows()
    assert rows[1]["actual_end"] == "2022-05-17T09:28:30-04:00"
    assert rows[2]["ended_by"] == "hard_stop"


def test_zoom_s_earlier_end_closes_the_record(store, agenda) -> None:
    """A webinar.ended that arrived late does not stretch the last segment past the end
    Zoom's report gives."""
    slug = agenda.slug
    record_actual_start(store, slug, START, by=LiveSource.CLI)
    next_segment(store, slug, START + 5 * M, agenda=agenda, by=LiveSource.CLI)
    record_end(store, slug, START + 40 * M, by=LiveSource.ZOOM)
    ros = run_of_show(store, agenda, START + 50 * M, zoom_end=START + 39 * M)
    dialogue, closing = ros.segments[1:]
    assert dialogue.run.actual_end == ros.end == START + 39 * M
    assert dialogue.run.ended_by == EndedBy.WEBINAR_END
    assert ros.end_source == ZOOM_REPORT
    assert closing.run.ended_by == EndedBy.NOT_HELD and closing.run.actual_start is None


def test_extend_and_shift_are_kept_with_who_made_them(store, agenda) -> None:
    slug = agenda.slug
    record_actual_start(store, slug, START, by=LiveSource.CLI)
    next_segment(store, slug, START + 5 * M, agenda=agenda, by=LiveSource.BOARD)
    extend(store, slug, 3 * M, START + 50 * M, by=LiveSource.BOARD)
    shift(store, slug, 2 * M, START + 51 * M, by=LiveSource.CLI)
    ros = run_of_show(store, agenda, START + 52 * M)
    assert [(c.kind, c.amount, c.by, c.segment) for c in ros.changes] == [
        ("next", timedelta(0), "board", "Opening Remarks"),
        ("extend", 3 * M, "board", "Interactive Dialogue"),
        ("shift", 2 * M, "cli", "Interactive Dialogue")]
    dialogue = ros.segments[1]
    assert dialogue.run.ended_by == EndedBy.RUNNING and dialogue.run.actual_end is None
    assert ros.segments[2].run.ended_by == EndedBy.UPCOMING
    assert ros.end is None


def test_next_before_any_start_is_the_start(store, agenda) -> None:
    slug = agenda.slug
    next_segment(store, slug, START + 3 * M, by=LiveSource.BOARD)  # no agenda: kept as `next`
    ros = run_of_show(store, agenda, START + 4 * M)
    assert ros.actual_start == START + 3 * M and ros.start_source == "board"
    assert ros.changes == ()  # the start is not a change
    assert ros.segments[0].run.actual_start == START + 3 * M


def test_no_record_is_estimated_from_zoom_s_report(store, agenda) -> None:
    ros = run_of_show(store, agenda, START + 2 * 60 * M, zoom_start=START + 4 * M,
                      zoom_end=START + 61 * M)
    assert ros.estimated and ros.basis == "estimated"
    assert ros.start_source == ZOOM_REPORT and ros.end_source == ZOOM_REPORT
    opening, dialogue, closing = ros.segments
    assert all(s.run.ended_by == EndedBy.PLANNED_LENGTH for s in ros.segments)
    assert (opening.run.actual_start, opening.run.actual_end) == (START + 4 * M, START + 9 * M)
    assert closing.run.actual_end == START + 61 * M  # cut at the webinar's end
    assert dialogue.run.actual_length == 50 * M


def test_a_start_without_any_next_is_estimated_under_manual_advance(store, agenda) -> None:
    """The service recorded Zoom's start and end but nobody said `next`: the record cannot
    tell when the segments changed, so it does not pretend the opening lasted an hour."""
    slug = agenda.slug
    record_actual_start(store, slug, START + M, by=LiveSource.ZOOM)
    record_end(store, slug, START + 59 * M, by=LiveSource.ZOOM)
    ros = run_of_show(store, agenda, START + 70 * M)
    assert ros.estimated and ros.start_source == "zoom"
    assert ros.segments[0].run.actual_end == START + 6 * M
    assert ros.segments[2].run.actual_end == START + 59 * M


def test_auto_advance_ends_segments_by_the_clock(store, agenda) -> None:
    auto = with_settings(agenda, advance="auto")
    record_actual_start(store, auto.slug, START + 2 * M, by=LiveSource.ZOOM)
    ros = run_of_show(store, auto, START + 30 * M)
    assert not ros.estimated
    assert ros.segments[0].run.ended_by == EndedBy.AUTO
    assert ros.segments[0].run.actual_end == START + 7 * M
    assert ros.segments[1].run.ended_by == EndedBy.RUNNING


def test_an_accelerated_rehearsal_reads_in_event_time(store, agenda) -> None:
    """At 60× a real second is an event minute: the record reads as the real event would."""
    wall = datetime.now(UTC).replace(microsecond=0)
    fast = agenda.__class__(**{**agenda.__dict__, "speed": 60.0, "origin": wall})
    record_actual_start(store, fast.slug, wall + timedelta(seconds=2), by=LiveSource.REHEARSAL)
    next_segment(store, fast.slug, wall + timedelta(seconds=7), agenda=fast,
                 by=LiveSource.REHEARSAL)
    ros = run_of_show(store, fast, wall + timedelta(seconds=10))
    assert ros.actual_start == START + 2 * M
    assert ros.segments[0].run.actual_end == START + 7 * M
    assert ros.segments[0].ended_by == "next (rehearsal)"


def test_cues_status_shows_the_record_so_far(tmp_path: Path) -> None:
    """Through the public commands: start, next, extend, shift, end, then `cues status`."""
    import json

    from typer.testing import CliRunner

    from zoomorch.cli.main import app

    env = {"ZOOMORCH_STATE_DIR": str(tmp_path)}
    runner = CliRunner()
    steps = [["start", "--at", "2022-05-17T08:32:00-04:00"],
             ["next", "--at", "2022-05-17T08:37:00-04:00"],
             ["extend", "2m", "--at", "2022-05-17T09:20:00-04:00"],
             ["next", "--at", "2022-05-17T09:29:30-04:00"],
             ["end", "--at", "2022-05-17T09:30:05-04:00"]]
    for step in steps:
        result = runner.invoke(app, ["cues", step[0], str(SEED), *step[1:]], env=env)
        assert result.exit_code == 0, result.output
    human = runner.invoke(app, ["cues", "status", str(SEED)], env=env).output
    assert "run of show (recorded; started +2:00 vs schedule; hard stop 09:30:00" in human
    assert ("Interactive Dialogue: planned 08:35:00–09:25:00, actual 08:37:00–09:29:30 "
            "52:30 (+2:30) · next (cli)") in human
    assert "Closing Remarks: planned 09:25:00–09:30:00, actual 09:29:30–09:30:05 0:35 " \
           "(-4:25) · hard_stop" in human
    assert "09:20:00 extend +2:00 by cli during Interactive Dialogue" in human
    status = json.loads(runner.invoke(app, ["cues", "status", str(SEED), "--json"],
                                      env=env).output)
    record = status["run_of_show"]
    assert record["basis"] == "recorded" and record["start_source"] == "cli"
    assert [s["ended_by"] for s in record["segments"]] == ["next", "next", "hard_stop"]
    assert record["segments"][2]["actual_end"] == "2022-05-17T09:30:05-04:00"
    assert record["end_source"] == "cli"
