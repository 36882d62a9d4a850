"""Cue languages: a German-interpretation event gets German cues (planner, board words and
`zoomorch cues plan`), and a language without cue texts falls back visibly: a warning with the
person, the field and the fix, and a line in the cue plan."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from event_support import seed_data, write_event
from zoomorch.board.page import BOARD_WORDS, board_page
from zoomorch.cli.main import app
from zoomorch.cues import LANGUAGES, Adjustment, CueKind, LiveState, agenda_from_event, plan_cues
from zoomorch.event import event_warnings, parse_event
from zoomorch.sandbox import Sandbox


def german_event() -> dict[str, Any]:
    """The seed event with German interpretation: a DE⇄EN booth of two interpreters and a
    German-speaking panelist in the dialogue (Berlin)."""
    data = seed_data()
    data["interpretation"]["languages"].append("German")
    for letter in ("a", "b"):
        data["people"].append({
            "id": f"interpreter-en-de-{letter}", "name": f"Dolmetscherin Englisch–Deutsch "
            f"{letter.upper()}", "email": f"interpreter.en-de.{letter}@example.org",
            "roles": ["interpreter"], "location": "Berlin", "timezone": "Europe/Berlin",
            "languages": ["Deutsch", "English"]})
        data["interpretation"]["interpreters"].append(
            {"person": f"interpreter-en-de-{letter}", "languages": "DE-US"})
    data["people"].append({
        "id": "klaus-weber", "name": "Klaus Weber", "email": "klaus.weber@example.org",
        "organisation": "GIZ", "roles": ["panelist"], "location": "Berlin",
        "timezone": "Europe/Berlin", "languages": ["German", "English"]})
    data["agenda"][1]["speakers"].append("klaus-weber")
    return data


def with_person(languages: list[str], *, person_id: str = "min-jun-park",
                name: str = "Min-jun Park") -> dict[str, Any]:
    """The seed event with one more panelist who speaks ``languages``."""
    data = seed_data()
    data["people"].append({
        "id": person_id, "name": name, "email": f"{person_id}@example.org",
        "roles": ["panelist"], "timezone": "Asia/Seoul", "languages": languages})
    return data


def test_a_german_speaker_gets_every_cue_in_german() -> None:
    agenda = agenda_from_event(parse_event(german_event()))
    klaus = next(r for r in agenda.recipients if r.id == "klaus-weber")
    assert klaus.language == "de" and not klaus.spoken
    # Started on time; the opening ended by `next` after 5 minutes: the dialogue is on.
    start = agenda.scheduled_start
    live = LiveState(actual_start=start,
                     adjustments=(Adjustment("next", start + timedelta(minutes=5)),))
    mine = [c for c in plan_cues(agenda, live) if klaus in agenda.recipients_for(c)]
    texts: dict[CueKind, str] = {}
    for cue in mine:  # the first cue of each kind
        texts.setdefault(cue.kind, cue.text_for(klaus))
    assert texts[CueKind.TECH_CHECK] == ("Technik-Check: Bitte jetzt der Übungssitzung "
                                         "beitreten; das Webinar beginnt um 14:30 (Berlin).")
    assert texts[CueKind.SEGMENT_START].startswith(
        "Jetzt: Interactive Dialogue — Moderation Ana María Diez; es sprechen Lucas Gómez")
    assert texts[CueKind.SEGMENT_START].endswith("Klaus Weber, bis 15:25 (Berlin).")
    assert [c.text_for(klaus) for c in mine if c.kind == CueKind.WARNING] == [
        "Noch 5 min für Interactive Dialogue: Ende um 15:25 (Berlin).",
        "Noch 2 min für Interactive Dialogue: Ende um 15:25 (Berlin)."]
    assert texts[CueKind.TIME_UP] == "Interactive Dialogue: Die Zeit ist um."
    assert texts[CueKind.OVERRUN] == "Interactive Dialogue: +1 min überzogen."
    assert event_warnings(parse_event(german_event())) == []


def test_the_german_booth_gets_its_hand_overs_in_german() -> None:
    agenda = agenda_from_event(parse_event(german_event()))
    booth = next(b for b in agenda.booths if b.key == "DE-US")
    assert booth.label == "DE⇄EN"
    interpreter = next(r for r in agenda.recipients if r.id == "interpreter-en-de-a")
    live = LiveState(actual_start=agenda.scheduled_start)
    handover = next(c for c in plan_cues(agenda, live)
                    if c.kind == CueKind.HANDOVER and "booth:DE-US" in c.audience)
    assert interpreter in agenda.recipients_for(handover)
    assert handover.text_for(interpreter) == (
        "Kabine DE⇄EN: Wechsel, Dolmetscherin Englisch–Deutsch B übernimmt von "
        "Dolmetscherin Englisch–Deutsch A.")


def test_cli_cues_plan_in_german(tmp_path: Path) -> None:
    event = write_event(german_event(), tmp_path / "german.toml")
    env = {"ZOOMORCH_STATE_DIR": str(tmp_path / "state")}
    result = CliRunner().invoke(app, ["cues", "plan", str(event), "--lang", "de"], env=env)
    assert result.exit_code == 0, result.output
    assert "Technik-Check: Bitte jetzt der Übungssitzung beitreten" in result.stdout
    assert "Kabine DE⇄EN: Wechsel" in result.stdout
    assert "warning" not in result.stderr and "cue language" not in result.stdout
    as_json = CliRunner().invoke(app, ["cues", "plan", str(event), "--json"], env=env)
    cues = json.loads(as_json.stdout)
    assert cues[0]["texts"]["de"].startswith("Technik-Check:")
    refused = CliRunner().invoke(app, ["cues", "plan", str(event), "--lang", "pt"], env=env)
    assert refused.exit_code != 0 and "use en, de, fr or es" in refused.output


def test_someone_who_speaks_a_language_without_cue_texts_falls_back_visibly() -> None:
    spec = parse_event(with_person(["Korean"]))
    index = next(i for i, p in enumerate(spec.people) if p.id == "min-jun-park")
    warnings = event_warnings(spec)
    assert [w.render("x.toml") for w in warnings] == [
        f"x.toml: people[{index}].languages: Min-jun Park speaks Korean; no Korean cue texts, "
        "nor in their other languages: cues in English — add a language they read to their "
        "languages after Korean (cues exist in English, German, French, Spanish), or accept "
        "English"]
    agenda = agenda_from_event(spec)
    park = next(r for r in agenda.recipients if r.id == "min-jun-park")
    assert park.language == "en" and park.spoken == "Korean"
    assert agenda.language_fallbacks() == [
        "Min-jun Park speaks Korean; no Korean cue texts, nor in their other languages: cues "
        "in English"]


def test_a_later_language_with_cue_texts_is_preferred_and_still_stated() -> None:
    spec = parse_event(with_person(["Portuguese", "Español"]))
    agenda = agenda_from_event(spec)
    person = next(r for r in agenda.recipients if r.id == "min-jun-park")
    assert person.language == "es"
    (warning,) = event_warnings(spec)
    assert "speaks Portuguese; no Portuguese cue texts: cues in Spanish, their next language" \
        in warning.message
    assert "nothing to do if they read Spanish" in warning.fix


def test_cli_cues_plan_prints_the_warning_and_states_the_fallback(tmp_path: Path) -> None:
    event = write_event(with_person(["Russian"], person_id="olga", name="Olga Ivanova"),
                        tmp_path / "russian.toml")
    result = CliRunner().invoke(app, ["cues", "plan", str(event)],
                                env={"ZOOMORCH_STATE_DIR": str(tmp_path / "state")})
    assert result.exit_code == 0, result.output
    assert (f"warning: {event}: people[14].languages: Olga Ivanova speaks Russian; no Russian "
            "cue texts, nor in their other languages: cues in English") in result.stderr
    assert ("cue language: Olga Ivanova speaks Russian; no Russian cue texts, nor in their "
            "other languages: cues in English") in result.stdout
    as_json = CliRunner().invoke(app, ["cues", "plan", str(event), "--json"],
                                 env={"ZOOMORCH_STATE_DIR": str(tmp_path / "state")})
    assert json.loads(as_json.stdout) and "Olga Ivanova speaks Russian" in as_json.stderr


def test_every_cue_language_has_board_words_and_the_page_carries_them() -> None:
    assert set(BOARD_WORDS) == set(LANGUAGES)
    keys = set(BOARD_WORDS["en"])
    assert all(set(words) == keys for words in BOARD_WORDS.values())
    page = board_page("</script><b>x", can_control=True)
    start = page.index("const WORDS = ") + len("const WORDS = ")
    words = json.loads(page[start:page.index(";\n", start)])
    assert words["de"]["next_btn"] == "Nächster Abschnitt ▶"
    assert "</script><b>" not in page


@pytest.mark.parametrize("language", ["de", "es"])
def test_board_link_takes_every_cue_language(tmp_path: Path, language: str) -> None:
    result = CliRunner().invoke(app, ["board-link", "some-event", "--lang", language],
                                env={"ZOOMORCH_STATE_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "/board/some-event?token=" in result.stdout


def test_zoomorch_plan_prints_the_fallback_warning(sandbox: Sandbox, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZOOMORCH_STATE_URL", raising=False)
    event = write_event(with_person(["Japanese"], person_id="aiko", name="Aiko Tanaka"),
                        tmp_path / "japanese.toml")
    env = {**sandbox.env(), "ZOOMORCH_STATE_DIR": str(tmp_path / "state"), "COLUMNS": "100"}
    result = CliRunner().invoke(app, ["plan", str(event), "--start-at", "now+10m"], env=env)
    assert result.exit_code == 0, result.output
    assert (f"warning: {event}: people[14].languages: Aiko Tanaka speaks Japanese; no Japanese "
            "cue texts, nor in their other languages: cues in English — add a language they "
            "read") in result.stdout
    assert "create webinar" in result.stdout
