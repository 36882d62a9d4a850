"""The cue plan as a pure function: the seed agenda, each live adjustment, texts and zones."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from zoomorch.cli.main import app
from zoomorch.cues import (
    Adjustment,
    Cue,
    CueAgenda,
    LiveState,
    agenda_from_event,
    current_segment,
    default_warnings,
    parse_amount,
    plan_cues,
    with_settings,
)
from zoomorch.event import load_event

SEED = Path(__file__).resolve().parents[1] / "config" / "imrf-2022-latam.toml"
M = timedelta(minutes=1)


@pytest.fixture(scope="module")
def seed() -> CueAgenda:
    return agenda_from_event(load_event(SEED))


def minutes(agenda: CueAgenda, cue: Cue) -> float:
    return (cue.due - agenda.scheduled_start) / M


def table(agenda: CueAgenda, cues: list[Cue], *, overruns: bool = False) -> list[tuple]:
    return [(minutes(agenda, c), c.kind, c.segment_index, c.projected) for c in cues
            if overruns or c.kind not in ("overrun", "not_started")]


def at(agenda: CueAgenda, offset_minutes: float) -> datetime:
    return agenda.scheduled_start + offset_minutes * M


def test_seed_plan_before_the_start_waits_for_the_webinar_to_start(seed: CueAgenda) -> None:
    cues = plan_cues(seed)
    assert seed.scheduled_start == datetime(2022, 5, 17, 12, 30, tzinfo=UTC)
    # Manual advance: the first segment begins when the webinar actually starts, so until
    # then its cues (and the interpreters' turns) are projected like the later segments'.
    assert table(seed, cues) == [
        (-30, "tech_check", None, False),
        (-10, "doors_open", None, False),
        (0, "event_start", None, False),
        (0, "segment_start", 0, True),
        (4, "warning", 0, True),
        (5, "time_up", 0, True),
        (5, "segment_start", 1, True),
        (30, "handover", None, True),
        (30, "handover", None, True),
        (50, "warning", 1, True),
        (53, "warning", 1, True),
        (55, "time_up", 1, True),
        (55, "segment_start", 2, True),
        (59, "warning", 2, True),
        (60, "time_up", 2, True),
        (60, "hard_stop", None, False),
    ]
    late = [c for c in cues if c.kind == "not_started"]
    assert [minutes(seed, c) for c in late] == list(range(1, 60))  # each minute, to the stop
    assert all(c.audience == ("host",) and not c.projected for c in late)
    assert not any(c.kind == "overrun" for c in cues)


def test_seed_plan_started_on_time_has_exact_due_times_relative_to_the_start(
        seed: CueAgenda) -> None:
    cues = plan_cues(seed, LiveState(actual_start=seed.scheduled_start))
    assert not any(c.kind == "not_started" for c in cues)
    assert table(seed, cues) == [
        (-30, "tech_check", None, False),
        (-10, "doors_open", None, False),
        (0, "event_start", None, False),
        (0, "segment_start", 0, False),
        (4, "warning", 0, False),           # 5-minute segment: one 1-minute warning
        (5, "time_up", 0, False),
        (5, "segment_start", 1, True),      # manual advance: waits for `next`
        # Still no `next` 2 minutes over: the dialogue and the closing (55 min) would end 2
        # minutes past the hard stop (behind_after = 2): the host and moderator are told once.
        (7, "behind", 0, False),
        (30, "handover", None, False),      # two booths, every 30 minutes
        (30, "handover", None, False),
        (50, "warning", 1, True),           # 50-minute panel: 5 and 2 minutes
        (53, "warning", 1, True),
        (55, "time_up", 1, True),
        (55, "segment_start", 2, True),
        (59, "warning", 2, True),
        (60, "time_up", 2, True),
        (60, "hard_stop", None, False),
    ]
    overruns = [minutes(seed, c) for c in cues if c.kind == "overrun"]
    assert overruns == list(range(6, 60))  # each minute until `next` or the hard stop
    assert all(c.segment_index == 0 for c in cues if c.kind == "overrun")
    assert all(c.due.tzinfo is not None for c in cues)


def test_plan_is_deterministic_and_ids_are_unique(seed: CueAgenda) -> None:
    first, second = plan_cues(seed), plan_cues(seed)
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)


def test_default_warnings_scale_with_segment_length() -> None:
    assert default_warnings(50 * M) == (5 * M, 2 * M)
    assert default_warnings(5 * M) == (M,)
    assert default_warnings(20 * M) == (3 * M, M)
    assert default_warnings(M) == ()


def test_per_segment_warnings_override_the_defaults(seed: CueAgenda) -> None:
    agenda = with_settings(seed, warnings={1: (10 * M, 5 * M, M)})
    warned = [minutes(agenda, c) for c in plan_cues(agenda)
              if c.kind == "warning" and c.segment_index == 1]
    assert warned == [45, 50, 54]


def test_texts_follow_the_recipients_language_and_zone(seed: CueAgenda) -> None:
    cue = next(c for c in plan_cues(seed, LiveState(actual_start=seed.scheduled_start))
               if c.kind == "segment_start" and c.segment_index == 1)
    moderator = next(r for r in seed.recipients if r.name == "Ana María Diez")
    host = next(r for r in seed.recipients if r.id == "technical-host")
    interpreter = next(r for r in seed.recipients if r.id == "interpreter-en-fr-a")
    assert moderator in seed.recipients_for(cue) and host in seed.recipients_for(cue)
    assert moderator.language == "es"
    assert cue.text_for(moderator).startswith("Ahora: Diálogo interactivo — modera Ana María")
    assert "hasta las 08:25 (Bogotá)" in cue.text_for(moderator)  # her location
    assert cue.text_for(host).startswith("Now: Interactive Dialogue — moderator Ana María Diez")
    assert "until 15:25 (Geneva)" in cue.text_for(host)
    assert cue.text["fr"].startswith("Maintenant : Dialogue interactif")
    assert "09:25 (New York)" in cue.text["fr"]  # the event's zone when no recipient
    assert interpreter.language == "fr"  # their first language


def test_handover_goes_to_its_booth_and_alternates_interpreters(seed: CueAgenda) -> None:
    handovers = [c for c in plan_cues(seed) if c.kind == "handover"]
    es_en = next(c for c in handovers if c.audience == ("booth:ES-US",))
    names = {r.name for r in seed.recipients_for(es_en)}
    assert names == {"Interpreter Spanish–English A", "Interpreter Spanish–English B"}
    assert "B takes over from Interpreter Spanish–English A" in es_en.text["en"]


def test_hard_stop_grace_moves_the_hard_stop(seed: CueAgenda) -> None:
    agenda = with_settings(seed, hard_stop_grace=2 * M)
    stop = next(c for c in plan_cues(agenda) if c.kind == "hard_stop")
    assert minutes(agenda, stop) == 62


def test_actual_start_moves_the_agenda_but_not_the_preparation_nor_the_hard_stop(
        seed: CueAgenda) -> None:
    before = plan_cues(seed)
    after = plan_cues(seed, LiveState(actual_start=at(seed, 2)))
    by_kind = {(c.kind, c.segment_index): c for c in after
               if c.kind not in ("overrun", "not_started")}
    assert minutes(seed, by_kind["tech_check", None]) == -30
    assert minutes(seed, by_kind["event_start", None]) == 0
    assert minutes(seed, by_kind["segment_start", 0]) == 2
    assert not by_kind["segment_start", 0].projected
    assert minutes(seed, by_kind["time_up", 0]) == 7
    # The booked end stays: a late start eats into the agenda (hard_stop_grace gives room).
    assert minutes(seed, by_kind["hard_stop", None]) == 60
    assert sorted(minutes(seed, c) for c in after if c.kind == "handover") == [32, 32]
    # Cues due before the actual start keep their ids (already delivered, not repeated).
    old = {c.id for c in before if minutes(seed, c) < 2 and not c.projected}
    assert old <= {c.id for c in after}


def test_shift_moves_every_cue_still_to_come(seed: CueAgenda) -> None:
    seed = with_settings(seed, advance="auto")
    base = plan_cues(seed)
    shifted = plan_cues(seed, LiveState(adjustments=(Adjustment("shift", at(seed, 10), 3 * M),)))
    assert [c for c in base if minutes(seed, c) < 10] == [
        c for c in shifted if minutes(seed, c) < 10]
    future = table(seed, [c for c in base if minutes(seed, c) >= 10])
    moved = table(seed, [c for c in shifted if minutes(seed, c) >= 10])
    assert moved == [(m + 3, k, s, p) for m, k, s, p in future]
    assert max(m for m, k, *_ in moved if k == "hard_stop") == 63


def test_shift_before_the_start_moves_the_start(seed: CueAgenda) -> None:
    cues = plan_cues(seed, LiveState(adjustments=(Adjustment("shift", at(seed, -20), 5 * M),)))
    kinds = {(c.kind, c.segment_index): minutes(seed, c) for c in cues if c.kind != "overrun"}
    assert kinds["tech_check", None] == -30  # already past when the shift came
    assert kinds["doors_open", None] == -5
    assert kinds["event_start", None] == 5
    assert kinds["hard_stop", None] == 65


def test_late_next_ends_the_overrun_and_shifts_the_rest(seed: CueAgenda) -> None:
    cues = plan_cues(seed, LiveState(actual_start=at(seed, 0),
                                     adjustments=(Adjustment("next", at(seed, 7.5)),)))
    overruns = [(minutes(seed, c), c.segment_index) for c in cues if c.kind == "overrun"]
    # Opening ran over until `next`; the panel, now current, runs over only past its end.
    assert overruns == [(6, 0), (7, 0), (58.5, 1), (59.5, 1)]
    assert table(seed, [c for c in cues if minutes(seed, c) > 5]) == [
        (7, "behind", 0, False),            # 2 min over with 55 min to go: end it now
        (7.5, "segment_start", 1, False),
        (7.5, "behind", 1, False),          # 2 min 30 s behind: end it by 09:25
        (30, "handover", None, False),
        (30, "handover", None, False),
        (52.5, "warning", 1, False),
        (55.5, "warning", 1, False),
        (57.5, "time_up", 1, False),
        # The closing would end at 62.5: its cues count down to the hard stop instead.
        (57.5, "segment_start", 2, True),
        (57.5, "behind", 2, True),
        (59, "warning", 2, True),
        (60, "hard_stop", None, False),     # the hard stop does not move; nothing after it
    ]
    closing = next(c for c in cues if c.kind == "segment_start" and c.segment_index == 2)
    assert closing.text["en"].endswith(
        ": 2 min 30 s until the hard stop at 09:30 (New York); planned 5 min.")


def test_early_next_drops_the_rest_of_the_segment(seed: CueAgenda) -> None:
    cues = plan_cues(seed, LiveState(actual_start=at(seed, 0),
                                     adjustments=(Adjustment("next", at(seed, 3)),)))
    seg0 = [(minutes(seed, c), c.kind) for c in cues if c.segment_index == 0]
    assert seg0 == [(0, "segment_start")]
    assert minutes(seed, next(c for c in cues if c.kind == "segment_start"
                              and c.segment_index == 1)) == 3


def test_next_of_every_segment_makes_nothing_projected(seed: CueAgenda) -> None:
    live = LiveState(actual_start=at(seed, 0),
                     adjustments=(Adjustment("next", at(seed, 5)),
                                  Adjustment("next", at(seed, 55)),
                                  Adjustment("next", at(seed, 60))))
    cues = plan_cues(seed, live)
    assert not any(c.projected for c in cues)
    assert not any(c.kind == "overrun" for c in cues)
    assert [(minutes(seed, c), c.kind) for c in cues if c.segment_index == 2] == [
        (55, "segment_start"), (59, "warning")]


def test_extend_gives_the_current_segment_more_time_and_keeps_the_hard_stop(
        seed: CueAgenda) -> None:
    live = LiveState(actual_start=at(seed, 0),
                     adjustments=(Adjustment("next", at(seed, 5)),
                                  Adjustment("extend", at(seed, 20), 2 * M)))
    cues = plan_cues(seed, live)
    seg1 = [(minutes(seed, c), c.kind) for c in cues if c.segment_index == 1]
    # The extension leaves the closing 2 minutes past the hard stop: "behind" when it is given.
    assert seg1 == [(5, "segment_start"), (20, "behind"), (52, "warning"), (55, "warning"),
                    (57, "time_up"), (58, "overrun"), (59, "overrun")]
    assert minutes(seed, next(c for c in cues if c.kind == "hard_stop")) == 60
    closing = next(c for c in cues if c.kind == "segment_start" and c.segment_index == 2)
    assert minutes(seed, closing) == 57


def test_extend_while_over_time_counts_from_now(seed: CueAgenda) -> None:
    cues = plan_cues(seed, LiveState(actual_start=at(seed, 0),
                                     adjustments=(Adjustment("extend", at(seed, 7), 2 * M),)))
    seg0 = [(minutes(seed, c), c.kind) for c in cues if c.segment_index == 0]
    # At 7, 2 minutes over, the rest (55 min) no longer fits: "behind", with the extension.
    assert seg0[:7] == [(0, "segment_start"), (4, "warning"), (5, "time_up"), (6, "overrun"),
                        (7, "behind"), (8, "warning"), (9, "time_up")]
    assert seg0[7] == (10, "overrun")


def test_a_replan_keeps_the_ids_of_unchanged_cues(seed: CueAgenda) -> None:
    started = at(seed, 0)
    one = plan_cues(seed, LiveState(started, (Adjustment("next", at(seed, 5)),)))
    two = plan_cues(seed, LiveState(started, (Adjustment("next", at(seed, 5)),
                                              Adjustment("shift", at(seed, 40), M))))
    before_shift = [c.id for c in one if minutes(seed, c) < 40]
    assert before_shift == [c.id for c in two if minutes(seed, c) < 40]
    assert {c.id for c in one if minutes(seed, c) > 40}.isdisjoint(
        {c.id for c in two if minutes(seed, c) > 40})


def test_auto_advance_assumes_segments_end_on_time(seed: CueAgenda) -> None:
    cues = plan_cues(with_settings(seed, advance="auto"))
    assert not any(c.projected or c.kind == "overrun" for c in cues)
    assert len(cues) == 16


def test_current_segment_follows_next(seed: CueAgenda) -> None:
    live = LiveState(actual_start=at(seed, 0), adjustments=(Adjustment("next", at(seed, 6)),))
    assert current_segment(seed, live, at(seed, 5.5))[0] == 0
    index, start, end = current_segment(seed, live, at(seed, 7))
    assert (index, start, end) == (1, at(seed, 6), at(seed, 56))
    assert current_segment(seed, live, at(seed, -1))[0] is None


def test_accelerated_agenda_runs_event_minutes_in_seconds(seed: CueAgenda) -> None:
    fast = agenda_from_event(load_event(SEED), speed=60)
    cues = plan_cues(fast)
    stop = next(c for c in cues if c.kind == "hard_stop")
    assert (stop.due - fast.scheduled_start).total_seconds() == pytest.approx(60)
    assert "09:30 (New York)" in stop.text["en"]  # texts keep showing event time


@pytest.mark.parametrize(("text", "seconds"), [
    ("+3m", 180), ("3", 180), ("-2m", -120), ("90s", 90), ("1h30m", 5400), ("2.5m", 150)])
def test_parse_amount(text: str, seconds: float) -> None:
    assert parse_amount(text).total_seconds() == seconds


def test_parse_amount_names_the_fix() -> None:
    with pytest.raises(ValueError, match=r"write e\.g\. "):
        parse_amount("soon")


def test_cli_plan_json_lists_due_kind_segment_audience_text(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["cues", "plan", str(SEED), "--json",
                                      "--start-at", "2030-01-10T09:00:00+01:00"],
                                env={"ZOOMORCH_STATE_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    cues = json.loads(result.output)
    first = cues[0]
    assert {"due", "kind", "segment", "audience", "text"} <= first.keys()
    assert first["kind"] == "tech_check"
    assert datetime.fromisoformat(first["due"]) == datetime(2030, 1, 10, 7, 30, tzinfo=UTC)
    assert first["due"].endswith("-05:00")  # the event's zone (New York)
    start = next(c for c in cues if c["kind"] == "segment_start")
    assert start["segment"] == "Opening Remarks"


def test_cli_live_control_is_reflected_in_status(tmp_path: Path) -> None:
    env = {"ZOOMORCH_STATE_DIR": str(tmp_path)}
    runner = CliRunner()
    start = "2022-05-17T08:31:00-04:00"
    steps = [["start", "--at", start], ["next", "--at", "2022-05-17T08:37:00-04:00"],
             ["extend", "2m", "--at", "2022-05-17T08:50:00-04:00"],
             ["shift", "+1m", "--at", "2022-05-17T08:51:00-04:00"]]
    for step in steps:
        result = runner.invoke(app, ["cues", step[0], str(SEED), *step[1:]], env=env)
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["cues", "status", str(SEED), "--json"], env=env)
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["actual_start"] == datetime(2022, 5, 17, 12, 31, tzinfo=UTC).isoformat()
    assert [a["kind"] for a in status["adjustments"]] == ["next", "extend", "shift"]
    cues = status["cues"]
    seg1_end = next(c for c in cues if c["kind"] == "time_up" and c["segment_index"] == 1)
    # started 08:37, 50 minutes, +2 extend, +1 shift
    assert seg1_end["due"] == "2022-05-17T09:30:00-04:00"
    stop = next(c for c in cues if c["kind"] == "hard_stop")
    assert stop["due"] == "2022-05-17T09:31:00-04:00"  # scheduled end (a late start does
    # not move it) + the 1-minute shift
    human = runner.invoke(app, ["cues", "status", str(SEED)], env=env)
    assert "actual start: 08:31:00 EDT" in human.output
    assert "failures: 0" in human.output


def test_cli_rejects_a_bad_amount(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["cues", "shift", str(SEED), "soon"],
                                env={"ZOOMORCH_STATE_DIR": str(tmp_path)})
    assert result.exit_code != 0
    assert "write e.g. +3m" in result.output


def test_zone_of_json_due_is_the_events(seed: CueAgenda) -> None:
    cue = plan_cues(seed)[0]
    assert cue.as_json()["due"] == "2022-05-17T08:00:00-04:00"
    assert cue.as_json(ZoneInfo("Europe/Zurich"))["due"] == "2022-05-17T14:00:00+02:00"


# -- a late start ----------------------------------------------------------------------------


def _segment_starts(agenda: CueAgenda, cues: list[Cue]) -> list[tuple[float, int | None, bool]]:
    return [(minutes(agenda, c), c.segment_index, c.quiet) for c in cues
            if c.kind == "segment_start" and not c.projected]


def test_manual_late_start_cues_the_host_each_minute_then_starts_the_first_segment_once(
        seed: CueAgenda) -> None:
    before = plan_cues(seed)
    cues = plan_cues(seed, LiveState(actual_start=at(seed, 2.5)))
    late = [(minutes(seed, c), c.text["en"]) for c in cues if c.kind == "not_started"]
    assert late == [(1, "The webinar has not started yet: +1 min late."),
                    (2, "The webinar has not started yet: +2 min late.")]
    es = next(c for c in cues if c.kind == "not_started")
    assert es.text["es"] == "El webinar aún no ha empezado: +1 min de retraso."
    assert es.text["fr"] == "Le webinaire n'a pas encore commencé : +1 min de retard."
    # One "Now: Opening Remarks", at the actual start, never at the scheduled one.
    assert _segment_starts(seed, cues) == [(2.5, 0, False)]
    first = next(c for c in cues if c.kind == "segment_start")
    assert first.text["en"].startswith("Now: Opening Remarks") and "until 08:38 (New" in \
        first.text["en"]
    # What went out before the start keeps its id; nothing projected was ever scheduled.
    assert {c.id for c in before if c.due < at(seed, 2.5) and not c.projected} <= {
        c.id for c in cues}
    assert minutes(seed, next(c for c in cues if c.kind == "hard_stop")) == 60
    # The later segments still wait for `next`; the first runs over until then.
    assert [minutes(seed, c) for c in cues if c.kind == "overrun"][:2] == [8.5, 9.5]


def test_auto_late_start_moves_the_agenda_without_announcing_the_segment_twice(
        seed: CueAgenda) -> None:
    auto = with_settings(seed, advance="auto")
    cues = plan_cues(auto, LiveState(actual_start=at(auto, 2)))
    assert not any(c.kind in ("not_started", "overrun") or c.projected for c in cues)
    # Announced at the scheduled start; the one moved by the start is kept quiet.
    assert _segment_starts(auto, cues) == [(0, 0, False), (2, 0, True), (7, 1, False),
                                           (57, 2, False)]
    quiet = next(c for c in cues if c.quiet)
    assert quiet.as_json()["quiet"] is True
    # Its warning and time-up carry the new end.
    warning = next(c for c in cues if c.kind == "warning" and c.segment_index == 0)
    assert minutes(auto, warning) == 6 and "it ends at 08:37 (New York)." in warning.text["en"]
    # The closing runs into the fixed hard stop: nothing of it is cued after "end now"; its
    # warning counts down to the hard stop, which says "time is up" for it.
    assert [(minutes(auto, c), c.kind) for c in cues if minutes(auto, c) >= 59] == [
        (59, "warning"), (60, "hard_stop")]


def test_auto_start_later_than_a_whole_segment_announces_the_segment_that_is_really_on(
        seed: CueAgenda) -> None:
    auto = with_settings(seed, advance="auto")
    cues = plan_cues(auto, LiveState(actual_start=at(auto, 6)))
    # At 5 the clock said "Interactive Dialogue"; at 6 the webinar starts with the opening:
    # that is news, so it is announced (and the dialogue again when it really begins).
    assert _segment_starts(auto, cues)[:4] == [(0, 0, False), (5, 1, False), (6, 0, False),
                                               (11, 1, False)]


def test_next_before_any_start_means_we_are_starting_now(seed: CueAgenda) -> None:
    by_next = plan_cues(seed, LiveState(adjustments=(Adjustment("next", at(seed, 2.5)),)))
    by_start = plan_cues(seed, LiveState(actual_start=at(seed, 2.5)))
    assert table(seed, by_next, overruns=True) == table(seed, by_start, overruns=True)
    early = plan_cues(seed, LiveState(adjustments=(Adjustment("next", at(seed, -1)),)))
    assert _segment_starts(seed, early) == [(-1, 0, False)]
    assert not any(c.kind in ("event_start", "not_started") for c in early)  # started early
    # Once started, `next` ends the segment in progress as before.
    two = plan_cues(seed, LiveState(adjustments=(Adjustment("next", at(seed, 1)),
                                                 Adjustment("next", at(seed, 4)))))
    assert _segment_starts(seed, two) == [(1, 0, False), (4, 1, False)]


def test_auto_next_after_the_scheduled_start_ends_the_segment_by_the_clock(
        seed: CueAgenda) -> None:
    auto = with_settings(seed, advance="auto")
    cues = plan_cues(auto, LiveState(adjustments=(Adjustment("next", at(auto, 3)),)))
    assert _segment_starts(auto, cues)[:2] == [(0, 0, False), (3, 1, False)]


# -- texts -----------------------------------------------------------------------------------


def test_minute_counts_agree_in_number_in_every_language(seed: CueAgenda) -> None:
    agenda = with_settings(seed, warnings={0: (2 * M, M)})
    live = LiveState(actual_start=seed.scheduled_start)
    warnings = [c for c in plan_cues(agenda, live)
                if c.kind == "warning" and c.segment_index == 0]
    two, one = warnings
    assert two.text["es"].startswith("Quedan 2 min para Palabras de apertura")
    assert one.text["es"].startswith("Queda 1 min para Palabras de apertura")
    assert one.text["en"].startswith("1 min left for") and two.text["en"].startswith("2 min")
    assert one.text["fr"].startswith("Il reste 1 min pour")
    assert two.text["fr"].startswith("Il reste 2 min pour")
    assert one.text["de"].startswith("Noch 1 min für Opening Remarks")
    overrun = next(c for c in plan_cues(seed, live) if c.kind == "overrun")
    assert overrun.text == {"en": "Opening Remarks: +1 min over time.",
                            "es": "Palabras de apertura: +1 min fuera de tiempo.",
                            "fr": "Allocutions d'ouverture : +1 min de dépassement.",
                            "de": "Opening Remarks: +1 min überzogen."}
    odd = with_settings(seed, warnings={0: (timedelta(seconds=90),)})
    ninety = next(c for c in plan_cues(odd, live) if c.kind == "warning")
    assert ninety.text["es"].startswith("Quedan 1 min 30 s para")


def test_times_read_as_minutes_with_a_place_and_the_spanish_article_agrees(
        seed: CueAgenda) -> None:
    # Started at 01:31:31 in Bogotá (06:31:31 UTC): the texts say 01:32, "a la 01:32".
    start = datetime(2022, 5, 17, 6, 31, 31, tzinfo=UTC)
    agenda = agenda_from_event(load_event(SEED, start_at=start.isoformat()))
    cues = plan_cues(agenda)
    moderator = next(r for r in agenda.recipients if r.name == "Ana María Diez")
    tech = cues[0]
    assert tech.text_for(moderator).endswith("el webinar empieza a la 01:32 (Bogotá).")
    begin = next(c for c in cues if c.kind == "event_start")
    assert begin.text_for(moderator) == "Es la 01:32 (Bogotá): comience el webinar ahora."
    host = next(r for r in agenda.recipients if r.id == "technical-host")
    assert begin.text_for(host) == "It is 08:32 (Geneva): start the webinar now."
    later = plan_cues(agenda_from_event(load_event(SEED)))
    assert next(c for c in later if c.kind == "event_start").text_for(moderator) == \
        "Son las 07:30 (Bogotá): comience el webinar ahora."


def test_a_zone_without_a_city_reads_as_a_utc_offset() -> None:
    from zoomorch.cues import place_of

    assert place_of(ZoneInfo("Etc/GMT+5")) == "UTC−05:00"
    assert place_of(ZoneInfo("UTC")) == "UTC"
    assert place_of(ZoneInfo("America/Argentina/Buenos_Aires")) == "Buenos Aires"
    assert place_of(ZoneInfo("America/Bogota"), "Bogotá") == "Bogotá"


def test_cli_next_before_the_start_records_the_start_and_the_first_start_stands(
        tmp_path: Path) -> None:
    env = {"ZOOMORCH_STATE_DIR": str(tmp_path), "ZOOMORCH_STATE_URL": None}
    runner = CliRunner()
    late = runner.invoke(app, ["cues", "status", str(SEED), "--json"], env=env)
    assert json.loads(late.output)["state"] == "after"  # 2022: past its hard stop, unstarted
    started = runner.invoke(app, ["cues", "next", str(SEED), "--at",
                                  "2022-05-17T08:32:00-04:00"], env=env)
    assert started.exit_code == 0, started.output
    assert "started at 08:32:00 EDT (`next` before the start)" in started.output
    again = runner.invoke(app, ["cues", "start", str(SEED), "--at",
                                "2022-05-17T08:33:00-04:00"], env=env)
    assert "already started at 08:32:00 EDT; unchanged" in again.output
    status = json.loads(runner.invoke(app, ["cues", "status", str(SEED), "--json"],
                                      env=env).output)
    assert status["actual_start"] == "2022-05-17T12:32:00+00:00"
    assert status["adjustments"] == []
    first = next(c for c in status["cues"] if c["kind"] == "segment_start")
    assert (first["due"], first["projected"]) == ("2022-05-17T08:32:00-04:00", False)
    fixed = runner.invoke(app, ["cues", "start", str(SEED), "--replace", "--at",
                                "2022-05-17T08:31:00-04:00"], env=env)
    assert "started at 08:31:00 EDT" in fixed.output
