"""Segment titles per language: the event file's ``title_es`` / ``title_fr`` / ``title_de`` /
``title_en`` name a segment in the cues and on the boards of that language; a language
without one uses ``title``, and so do the report and the run-of-show record."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from event_support import SEED, problems_of, seed_data
from service_support import store_at
from zoomorch.board.state import board_state
from zoomorch.cues import (
    Adjustment,
    CueKind,
    LiveState,
    SegmentPlan,
    agenda_from_event,
    plan_cues,
)
from zoomorch.delivery.scheduler import CueScheduler
from zoomorch.event import load_event, parse_event
from zoomorch.live.record import from_record
from zoomorch.live.state import LiveSource, load_live_record, next_segment, record_actual_start

M = timedelta(minutes=1)


def seed_agenda():  # type: ignore[no-untyped-def]
    return agenda_from_event(load_event(SEED))


def test_the_event_file_gives_titles_per_language() -> None:
    agenda = seed_agenda()
    dialogue = agenda.segments[1]
    assert dialogue.title == "Interactive Dialogue"
    assert dict(dialogue.titles) == {"es": "Diálogo interactivo", "fr": "Dialogue interactif"}
    assert dialogue.title_in("es") == "Diálogo interactivo"
    assert dialogue.title_in("fr") == "Dialogue interactif"
    assert dialogue.title_in("en") == dialogue.title_in("de") == "Interactive Dialogue"
    assert SegmentPlan(0, "Q&A", M, M).title_in("es") == "Q&A"  # none given: the title


def test_each_recipient_reads_the_segment_in_their_language() -> None:
    agenda = seed_agenda()
    start = agenda.scheduled_start
    live = LiveState(actual_start=start, adjustments=(Adjustment("next", start + 5 * M),))
    cues = plan_cues(agenda, live)
    time_up = next(c for c in cues if c.kind == CueKind.TIME_UP and c.segment_index == 1)
    by_id = {r.id: r for r in agenda.recipients}
    # The Spanish moderator and the English host get the same cue, each in their language.
    assert time_up.text_for(by_id["ana-maria-diez"]) == \
        "Diálogo interactivo: se acabó el tiempo."
    assert time_up.text_for(by_id["technical-host"]) == "Interactive Dialogue: time is up."
    assert time_up.segment == "Interactive Dialogue"  # the record keeps the title
    french = next(c for c in cues if c.kind == CueKind.SEGMENT_START and c.segment_index == 1)
    assert french.text_for(by_id["interpreter-en-fr-a"]).startswith(
        "Maintenant : Dialogue interactif — modération Ana María Diez")
    # The planner itself gives the titles: whatever renders a planned cue (the scheduler,
    # the board, `cues plan`, a rehearsal's timeline) names the segment in each language.
    assert time_up.params["titles"] == {"es": "Diálogo interactivo",
                                        "fr": "Dialogue interactif"}


def test_a_behind_cue_names_the_next_segment_in_the_readers_language() -> None:
    data = seed_data()
    data["cues"]["behind_after"] = 1
    agenda = agenda_from_event(parse_event(data))
    start = agenda.scheduled_start
    # Started 2 minutes late: the dialogue must end early for the closing to get its time.
    live = LiveState(actual_start=start + 2 * M,
                     adjustments=(Adjustment("next", start + 7 * M),))
    behind = next(c for c in plan_cues(agenda, live)
                  if c.kind == CueKind.BEHIND and c.segment_index == 1)
    by_id = {r.id: r for r in agenda.recipients}
    assert behind.params["next"] == "Closing Remarks"
    moderator = behind.text_for(by_id["ana-maria-diez"])
    assert "Palabras de clausura" in moderator and "Diálogo interactivo" in moderator
    host = behind.text_for(by_id["technical-host"])
    assert "Closing Remarks" in host and "Interactive Dialogue" in host


def test_the_scheduler_delivers_the_localised_texts(tmp_path: Path) -> None:
    agenda = seed_agenda()
    store = store_at(tmp_path)
    record_actual_start(store, agenda.slug, agenda.scheduled_start, by=LiveSource.CLI)
    scheduler = CueScheduler(store, [], [agenda])
    try:
        cues = scheduler.reschedule(agenda)
    finally:
        scheduler.stop()
        store.close()
    start = next(c for c in cues if c.kind == CueKind.SEGMENT_START and c.segment_index == 0)
    es = next(r for r in agenda.recipients if r.id == "johanna-saenz")
    assert start.text_for(es).startswith("Ahora: Palabras de apertura")


def test_the_board_names_segments_in_its_language(tmp_path: Path) -> None:
    agenda = seed_agenda()
    store = store_at(tmp_path)
    start = agenda.scheduled_start
    record_actual_start(store, agenda.slug, start, by=LiveSource.CLI)
    next_segment(store, agenda.slug, start + 5 * M, by=LiveSource.CLI)
    now = start + 51 * M  # the dialogue ends at +55: its 5-minute warning is out
    es = board_state(store, agenda, now=now, language="es")
    en = board_state(store, agenda, now=now, language="en")
    fr = board_state(store, agenda, now=now, language="fr")
    assert (es["current"]["title"], es["next"]["title"]) == (
        "Diálogo interactivo", "Palabras de clausura")
    assert (en["current"]["title"], en["next"]["title"]) == (
        "Interactive Dialogue", "Closing Remarks")
    assert fr["current"]["title"] == "Dialogue interactif"
    assert [b["title"] for b in es["budgets"]] == ["Diálogo interactivo", "Palabras de clausura"]
    warning = next(c for c in es["latest"] if c["kind"] == "warning")
    assert warning["segment"] == "Diálogo interactivo"
    assert warning["text"].startswith("Quedan 5 min para Diálogo interactivo")
    assert next(c for c in en["latest"] if c["kind"] == "warning")["segment"] == \
        "Interactive Dialogue"
    # The run-of-show record keeps the event file's title.
    ros = from_record(load_live_record(store, agenda.slug), agenda, now)
    assert [s.run.title for s in ros.segments][:2] == ["Opening Remarks", "Interactive Dialogue"]
    store.close()


@pytest.mark.parametrize(("key", "value", "says"), [
    ("title_es", "  ", "agenda[1].title_es: title_es is empty — write the segment's title in "
                       "'es' or remove title_es"),
    ("title_fr", 3, "agenda[1].title_fr: title_fr must be text"),
    ("title_pt", "Diálogo interativo", "agenda[1]: title_pt: there are no cue texts in 'pt'"),
])
def test_a_bad_title_names_the_field_and_the_fix(key: str, value: object, says: str) -> None:
    data = seed_data()
    data["agenda"][1][key] = value
    assert says in problems_of(data)
