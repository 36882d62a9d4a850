"""Cues that know the time budget (issue 13): a segment that cannot fit before the hard stop is
told its real budget, and the host and moderator hear once per segment how far behind the
agenda is and by when to end the segment in progress. Pure planner tests on the seed event
(one hour: Opening 5 min, Interactive Dialogue 50 min, Closing Remarks 5 min; New York)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from event_support import problems_of, seed_data
from zoomorch.cues import (
    Adjustment,
    Cue,
    CueAgenda,
    CueKind,
    LiveState,
    agenda_from_event,
    plan_cues,
    time_budget,
    with_settings,
)
from zoomorch.event import load_event, parse_event

SEED = Path(__file__).resolve().parents[1] / "config" / "imrf-2022-latam.toml"
M = timedelta(minutes=1)


@pytest.fixture(scope="module")
def seed() -> CueAgenda:
    return agenda_from_event(load_event(SEED))


def at(agenda: CueAgenda, offset_minutes: float) -> datetime:
    return agenda.scheduled_start + offset_minutes * M


def minutes(agenda: CueAgenda, cue: Cue) -> float:
    return (cue.due - agenda.scheduled_start) / M


def demo(agenda: CueAgenda, *more: Adjustment) -> LiveState:
    """Today's demo: started 2 min late, the opening ended on time (7), the dialogue ran
    1 min 30 s past its end (57) until `next` at 58.5; the hard stop is the booked end (60)."""
    return LiveState(actual_start=at(agenda, 2),
                     adjustments=(Adjustment("next", at(agenda, 7)),
                                  Adjustment("next", at(agenda, 58.5)), *more))


def of_segment(cues: list[Cue], index: int) -> list[tuple[float, str]]:
    return [(round((c.due - cues[0].due) / M, 2), str(c.kind)) for c in cues
            if c.segment_index == index]


def closing(agenda: CueAgenda, cues: list[Cue]) -> list[tuple[float, str, str]]:
    return [(minutes(agenda, c), str(c.kind), c.text["en"]) for c in cues
            if c.segment_index == 2]


# -- the real budget ---------------------------------------------------------------------------


def test_the_demos_closing_is_told_its_real_budget_not_a_planned_end_that_never_comes(
        seed: CueAgenda) -> None:
    cues = plan_cues(seed, demo(seed))
    assert closing(seed, cues) == [
        (58.5, "segment_start", "Now: Closing Remarks — speakers Noortje Denkers: 1 min 30 s "
                                "until the hard stop at 09:30 (New York); planned 5 min."),
        (58.5, "behind", "3 min 30 s behind schedule: Closing Remarks has only 1 min 30 s, "
                         "until the hard stop at 09:30 (New York)."),
        # The warning counts down to the hard stop, not to 09:33:30 …
        (59, "warning", "1 min left for Closing Remarks: the hard stop is at 09:30 (New York)."),
    ]
    # … and the hard stop says "time is up": no time-up of the closing after it.
    stop = next(c for c in cues if c.kind == "hard_stop")
    assert minutes(seed, stop) == 60 and stop.text["en"] == (
        "Hard stop: the webinar must end now, at 09:30 (New York).")
    assert not [c for c in cues if c.kind == "time_up" and c.segment_index == 2]
    assert not [c for c in cues if c.due > stop.due]


def test_a_warning_due_before_the_segment_starts_is_dropped_and_grace_counts(
        seed: CueAgenda) -> None:
    agenda = with_settings(seed, warnings={2: (2 * M, M)})
    warned = [minutes(agenda, c) for c in plan_cues(agenda, demo(agenda))
              if c.kind == "warning" and c.segment_index == 2]
    assert warned == [59]  # 2 min before the hard stop is before the closing starts (58.5)
    graced = with_settings(seed, hard_stop_grace=2 * M)
    cues = plan_cues(graced, demo(graced))
    # 2 min of grace: the hard stop is at 62; the closing (58.5–63.5) gets 3 min 30 s.
    start = next(c for c in cues if c.kind == "segment_start" and c.segment_index == 2)
    assert ": 3 min 30 s until the hard stop at 09:32 (New York); planned 5 min." in \
        start.text["en"]
    assert [minutes(graced, c) for c in cues if c.kind == "warning" and c.segment_index == 2] \
        == [61]


def test_a_segment_that_fits_keeps_its_planned_end_and_time_up(seed: CueAgenda) -> None:
    live = LiveState(actual_start=at(seed, 0), adjustments=(Adjustment("next", at(seed, 5)),
                                                            Adjustment("next", at(seed, 55))))
    texts = closing(seed, plan_cues(seed, live))
    assert texts == [
        (55, "segment_start", "Now: Closing Remarks — speakers Noortje Denkers, until 09:30 "
                              "(New York)."),
        (59, "warning", "1 min left for Closing Remarks: it ends at 09:30 (New York)."),
        (60, "time_up", "Closing Remarks: time is up."),
    ]


def test_a_segment_that_would_start_at_or_after_the_hard_stop_gets_nothing(
        seed: CueAgenda) -> None:
    live = LiveState(actual_start=at(seed, 0), adjustments=(Adjustment("next", at(seed, 5)),
                                                            Adjustment("next", at(seed, 60))))
    assert closing(seed, plan_cues(seed, live)) == []


# -- behind schedule ---------------------------------------------------------------------------


def test_behind_comes_once_per_segment_with_its_start_and_the_end_to_aim_for(
        seed: CueAgenda) -> None:
    cues = plan_cues(seed, demo(seed))
    behind = [(minutes(seed, c), c.segment_index, c.audience, c.text["en"]) for c in cues
              if c.kind == "behind"]
    assert behind == [
        (2, 0, ("host", "moderator"),
         "2 min behind schedule: to give the 2 remaining segments their 55 min, end Opening "
         "Remarks by 08:35 (New York)."),
        (7, 1, ("host", "moderator"),
         "2 min behind schedule: to give Closing Remarks its 5 min, end Interactive Dialogue "
         "by 09:25 (New York)."),
        (58.5, 2, ("host", "moderator"),
         "3 min 30 s behind schedule: Closing Remarks has only 1 min 30 s, until the hard stop "
         "at 09:30 (New York)."),
    ]
    # Right after the segment's own start, never before it.
    for cue in (c for c in cues if c.kind == "behind"):
        start = next(c for c in cues if c.kind == "segment_start"
                     and c.segment_index == cue.segment_index and not c.quiet)
        assert cues.index(start) < cues.index(cue) and start.due == cue.due


def test_a_segment_already_told_is_not_told_again_when_a_replan_puts_it_further_behind(
        seed: CueAgenda) -> None:
    extended = LiveState(actual_start=at(seed, 2),
                         adjustments=(Adjustment("next", at(seed, 7)),
                                      Adjustment("extend", at(seed, 20), 3 * M)))
    cues = plan_cues(seed, extended)
    # At 20 the dialogue (7–60) is 5 min behind, but it was told at 7 already; the closing
    # would start at the hard stop: nothing of it is cued.
    assert [(minutes(seed, c), c.segment_index) for c in cues if c.kind == "behind"] == [
        (2, 0), (7, 1)]
    assert not [c for c in cues if c.segment_index == 2]


def test_an_adjustment_that_puts_the_segment_behind_is_answered_at_once(
        seed: CueAgenda) -> None:
    live = LiveState(actual_start=at(seed, 0),
                     adjustments=(Adjustment("next", at(seed, 5)),
                                  Adjustment("extend", at(seed, 20.5), 2 * M)))
    cues = plan_cues(seed, live)
    cue = next(c for c in cues if c.kind == "behind")
    assert (minutes(seed, cue), cue.segment_index) == (20.5, 1)
    assert cue.text["en"] == ("2 min behind schedule: to give Closing Remarks its 5 min, end "
                              "Interactive Dialogue by 09:25 (New York).")
    assert not cue.projected


def test_manual_overrun_is_told_the_moment_the_delay_crosses_the_threshold(
        seed: CueAgenda) -> None:
    # On time; the dialogue (5–55) runs over with no `next`: the closing (5 min) no longer
    # fits 2 minutes past its end: at 57, 3 minutes before the hard stop.
    live = LiveState(actual_start=at(seed, 0), adjustments=(Adjustment("next", at(seed, 5)),))
    cues = plan_cues(seed, live)
    behind = [c for c in cues if c.kind == "behind"]
    assert [(minutes(seed, c), c.segment_index) for c in behind] == [(57, 1)]
    assert behind[0].text["en"] == (
        "2 min behind schedule: end Interactive Dialogue now: the rest needs 5 min, only 3 min "
        "left until the hard stop.")
    # It is one of the overrun's cues: a `next` before it takes it away …
    on_time = plan_cues(seed, LiveState(actual_start=at(seed, 0), adjustments=(
        Adjustment("next", at(seed, 5)), Adjustment("next", at(seed, 56)))))
    assert not [c for c in on_time if c.kind == "behind"]
    # … and a threshold the hard stop comes first for never crosses.
    late = with_settings(seed, behind_after=6 * M)
    assert not [c for c in plan_cues(late, live) if c.kind == "behind"]


def test_a_larger_threshold_waits_for_a_larger_delay(seed: CueAgenda) -> None:
    agenda = with_settings(seed, behind_after=3 * M)
    cues = plan_cues(agenda, demo(agenda))
    # 2 min late is not 3: the dialogue is told only when its overrun makes it 3 (at 58,
    # 1 min over), and the closing, 3 min 30 s behind, with its start.
    assert [(minutes(agenda, c), c.segment_index) for c in cues if c.kind == "behind"] == [
        (58, 1), (58.5, 2)]
    from_event = seed_data()
    from_event["cues"]["behind_after"] = "90s"
    assert agenda_from_event(parse_event(from_event)).settings.behind_after == \
        timedelta(seconds=90)


def test_threshold_zero_turns_it_off_and_the_budget_stays(seed: CueAgenda) -> None:
    data = seed_data()
    data["cues"]["behind_after"] = 0
    agenda = agenda_from_event(parse_event(data))
    assert agenda.settings.behind_after == timedelta(0)
    cues = plan_cues(agenda, demo(agenda))
    assert not [c for c in cues if c.kind == "behind"]
    start = next(c for c in cues if c.kind == "segment_start" and c.segment_index == 2)
    assert "1 min 30 s until the hard stop" in start.text["en"]
    assert seed.settings.behind_after == 2 * M  # the default


def test_a_negative_threshold_is_refused() -> None:
    data = seed_data()
    data["cues"]["behind_after"] = "-1m"
    assert "cues.behind_after: '-1m' is negative — write zero or more" in problems_of(data)


def test_no_room_at_all_says_so_honestly(seed: CueAgenda) -> None:
    # Started 10 min late: the opening's rest (55 min) no longer fits in the 50 minutes left.
    live = LiveState(actual_start=at(seed, 10), adjustments=(Adjustment("next", at(seed, 19)),))
    cues = plan_cues(seed, live)
    first = next(c for c in cues if c.kind == "behind")
    assert (minutes(seed, first), first.segment_index) == (10, 0)
    assert first.text["en"] == ("10 min behind schedule: end Opening Remarks now: the rest "
                                "needs 55 min, only 50 min left until the hard stop.")
    # The opening ran 4 min over: the dialogue starts at 19, 14 min behind, and can still
    # leave the closing its 5 min by ending at 09:25 (36 of its 50 min).
    cue = next(c for c in cues if c.kind == "behind" and c.segment_index == 1)
    assert cue.text["en"] == ("14 min behind schedule: to give Closing Remarks its 5 min, end "
                              "Interactive Dialogue by 09:25 (New York).")


def test_auto_advance_tells_each_segment_with_its_start(seed: CueAgenda) -> None:
    auto = with_settings(seed, advance="auto")
    cues = plan_cues(auto, LiveState(actual_start=at(auto, 2)))
    behind = [(minutes(auto, c), c.segment_index, c.quiet, c.projected) for c in cues
              if c.kind == "behind"]
    assert behind == [(2, 0, False, False), (7, 1, False, False), (57, 2, False, False)]
    assert [(m, k) for m, k, _ in closing(auto, cues)] == [
        (57, "segment_start"), (57, "behind"), (59, "warning")]
    assert closing(auto, cues)[0][2].endswith(
        ": 3 min until the hard stop at 09:30 (New York); planned 5 min.")
    # On time, nothing is behind.
    assert not [c for c in plan_cues(auto) if c.kind == "behind"]


def test_ids_of_unchanged_cues_are_stable(seed: CueAgenda) -> None:
    one = plan_cues(seed, demo(seed))
    assert [c.id for c in one] == [c.id for c in plan_cues(seed, demo(seed))]
    assert len({c.id for c in one}) == len(one)
    assert next(c.id for c in one if c.kind == "behind" and c.segment_index == 1) == \
        "behind/s1@20220517T123700Z"
    # A later adjustment keeps every id before it (the closing's cues included).
    two = plan_cues(seed, demo(seed, Adjustment("shift", at(seed, 59.5), M)))
    assert [c.id for c in one if minutes(seed, c) < 59.5] == [
        c.id for c in two if minutes(seed, c) < 59.5]
    # Before the closing's `next`: the dialogue's cues up to then are the same.
    running = plan_cues(seed, LiveState(actual_start=at(seed, 2),
                                        adjustments=(Adjustment("next", at(seed, 7)),)))
    assert [c.id for c in running if minutes(seed, c) < 58.5 and not c.projected] == [
        c.id for c in one if minutes(seed, c) < 58.5]


def test_kind_order_puts_behind_right_after_the_segment_start(seed: CueAgenda) -> None:
    cues = plan_cues(seed, demo(seed))
    at_start = [str(c.kind) for c in cues if minutes(seed, c) == 58.5]
    assert at_start == ["segment_start", "behind"]
    assert CueKind("behind") is CueKind.BEHIND


# -- the other languages ---------------------------------------------------------------------


def texts_of(agenda: CueAgenda, live: LiveState) -> dict[str, dict[str, str]]:
    """The texts of the closing's start, its warning and every behind cue, by a short name."""
    out: dict[str, dict[str, str]] = {}
    for cue in plan_cues(agenda, live):
        if cue.kind == "behind":
            out[f"behind.{cue.params['variant']}"] = dict(cue.text)
        elif cue.params.get("variant") == "hard_stop":
            out[f"{cue.kind}.hard_stop"] = dict(cue.text)
    return out


def test_every_text_renders_in_spanish_french_and_german(seed: CueAgenda) -> None:
    # The catalogue's templates, with segments named by their title (the seed's titles per
    # language are tests/test_segment_titles.py's).
    seed = replace(seed, segments=tuple(replace(s, titles={}) for s in seed.segments))
    texts = texts_of(seed, demo(seed))
    texts.update(texts_of(seed, LiveState(actual_start=at(seed, 0), adjustments=(
        Adjustment("next", at(seed, 5)),))))
    assert set(texts) == {"segment_start.hard_stop", "warning.hard_stop", "behind.one",
                          "behind.many", "behind.now", "behind.last"}
    for name, by_language in texts.items():
        assert set(by_language) == {"en", "es", "fr", "de"}, name
        assert not any("{" in text or "}" in text for text in by_language.values()), name
    assert texts["segment_start.hard_stop"]["es"] == (
        "Ahora: Closing Remarks — intervienen Noortje Denkers: 1 min 30 s hasta el cierre "
        "obligatorio a las 09:30 (New York); previsto: 5 min.")
    assert texts["warning.hard_stop"]["es"] == (
        "Queda 1 min para Closing Remarks: el cierre obligatorio es a las 09:30 (New York).")
    assert texts["behind.one"] == {
        "en": "2 min behind schedule: to give Closing Remarks its 5 min, end Interactive "
              "Dialogue by 09:25 (New York).",
        "es": "2 min de retraso: para dar a Closing Remarks sus 5 min, termine Interactive "
              "Dialogue a más tardar a las 09:25 (New York).",
        "fr": "2 min de retard : pour laisser à Closing Remarks ses 5 min, terminez Interactive "
              "Dialogue au plus tard à 09:25 (New York).",
        "de": "2 min hinter dem Zeitplan: Damit Closing Remarks die vollen 5 min bekommt, "
              "beenden Sie Interactive Dialogue bis 09:25 (New York).",
    }
    assert texts["behind.many"]["fr"] == (
        "2 min de retard : pour laisser aux 2 segments restants leurs 55 min, terminez Opening "
        "Remarks au plus tard à 08:35 (New York).")
    assert texts["behind.now"]["es"] == (
        "2 min de retraso: termine Interactive Dialogue ahora: el resto necesita 5 min y solo "
        "quedan 3 min hasta el cierre obligatorio.")
    assert texts["behind.now"]["de"] == (
        "2 min hinter dem Zeitplan: Beenden Sie Interactive Dialogue jetzt: Der Rest braucht "
        "5 min, bis zum harten Stopp bleiben nur 3 min.")
    assert texts["behind.last"]["de"] == (
        "3 min 30 s hinter dem Zeitplan: Closing Remarks hat nur noch 1 min 30 s, bis zum "
        "harten Stopp um 09:30 (New York).")


def test_times_are_in_the_recipients_zone(seed: CueAgenda) -> None:
    cue = next(c for c in plan_cues(seed, demo(seed))
               if c.kind == "behind" and c.segment_index == 1)
    moderator = next(r for r in seed.recipients if r.name == "Ana María Diez")
    host = next(r for r in seed.recipients if r.id == "technical-host")
    assert moderator in seed.recipients_for(cue) and host in seed.recipients_for(cue)
    assert cue.text_for(moderator).endswith("a más tardar a las 08:25 (Bogotá).")
    assert cue.text_for(host).endswith("end Interactive Dialogue by 15:25 (Geneva).")
    speaker = next(r for r in seed.recipients if r.name == "Lucas Gómez")
    assert speaker not in seed.recipients_for(cue)  # to the host and the moderator only


# -- the same reading at any moment (the board's) ----------------------------------------------


def test_time_budget_reads_the_delay_and_each_remaining_segments_budget(
        seed: CueAgenda) -> None:
    live = demo(seed)
    # At 58, the dialogue is 1 min over: 58 + 5 (closing) = 3 min past the hard stop, growing.
    at58 = time_budget(seed, LiveState(live.actual_start, live.adjustments[:1]), at(seed, 58))
    assert at58 is not None
    assert at58.behind == 3 * M and at58.grows_from == at(seed, 58)
    assert [(b.index, b.planned, b.budget, b.current) for b in at58.segments] == [
        (1, 50 * M, 50 * M, True), (2, 5 * M, 2 * M, False)]
    # At 59, in the closing: 3 min 30 s behind, 1 min 30 s of budget.
    at59 = time_budget(seed, live, at(seed, 59))
    assert at59 is not None and at59.behind == 3.5 * M
    assert [(b.index, b.budget) for b in at59.segments] == [(2, 1.5 * M)]
    # Early on: time to spare is a negative delay; before any start it grows from the start.
    early = time_budget(seed, live, at(seed, 3))
    assert early is not None and early.behind == 2 * M and early.grows_from == at(seed, 7)
    before = time_budget(seed, LiveState(), at(seed, -5))
    assert before is not None and before.behind == timedelta(0)
    assert before.grows_from == at(seed, 0) and len(before.segments) == 3
    waiting = time_budget(seed, LiveState(), at(seed, 3))
    assert waiting is not None and waiting.behind == 3 * M
    spare = time_budget(seed, LiveState(at(seed, 0), (Adjustment("next", at(seed, 3)),)),
                        at(seed, 4))
    assert spare is not None and spare.behind == -2 * M
    ended = LiveState(at(seed, 0), ended_at=at(seed, 30))
    assert time_budget(seed, ended, at(seed, 31)) is None


def test_time_budget_agrees_with_the_cues(seed: CueAgenda) -> None:
    live = demo(seed)
    cues: list[Any] = plan_cues(seed, live)
    for cue in (c for c in cues if c.kind == "behind"):
        reading = time_budget(seed, live, cue.due)
        assert reading is not None and reading.behind == cue.params["behind"]
