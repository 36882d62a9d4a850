"""Event file validation: every rule names the file, the field and the fix."""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from event_support import SEED, problems_of, seed_data
from zoomorch.event import EventFileError, Role, load_event, parse_event


@pytest.fixture
def seed() -> dict[str, Any]:
    return seed_data()


def person(data: dict[str, Any], person_id: str) -> dict[str, Any]:
    return next(p for p in data["people"] if p["id"] == person_id)


def test_seed_event_loads_completely() -> None:
    spec = load_event(SEED)
    assert spec.key == "imrf-2022-latam"
    assert spec.webinar.start.isoformat() == "2022-05-17T08:30:00-04:00"
    assert spec.webinar.start.astimezone(spec.webinar.zone).utcoffset() is not None
    assert [(s.title, s.minutes) for s in spec.agenda] == [
        ("Opening Remarks", 5), ("Interactive Dialogue", 50), ("Closing Remarks", 5)]
    assert spec.interpretation is not None
    assert spec.interpretation.languages == ["ES", "US", "FR"]
    assert spec.registration.approval_type == 1
    assert [q.field for q in spec.registration.questions] == ["country", "org"]
    assert spec.registration.custom_questions[0].title == "Preferred language"
    assert [p.name for p in spec.tbc_people()] == ["Mexico representative (TBC)"]
    assert {p.id for p in spec.with_role(Role.MODERATOR)} == {"ana-maria-diez"}
    assert all(p.email is None or p.email.endswith("@example.org") for p in spec.people)
    dialogue = spec.schedule()[1]
    assert dialogue.moderator is not None and dialogue.moderator.name == "Ana María Diez"
    assert [p.country for p in dialogue.speakers] == ["Colombia", "Mexico", "Panamá",
                                                      "Argentina"]


def test_readable_language_names_map_to_zoom_codes(seed: dict[str, Any]) -> None:
    seed["interpretation"]["languages"] = ["spanish", "EN", "Français"]
    spec = parse_event(seed)
    assert spec.interpretation is not None
    assert spec.interpretation.languages == ["ES", "US", "FR"]
    assert spec.interpretation.interpreters[0].zoom_languages == "ES,US"


def test_unknown_language_is_refused_with_the_accepted_codes(seed: dict[str, Any]) -> None:
    seed["interpretation"]["languages"].append("Klingon")
    text = problems_of(seed)
    assert "config/x.toml: interpretation.languages[3]: 'Klingon' is not a Zoom " \
           "interpretation language — use one of US (English)" in text


def test_interpreter_pair_must_be_two_different_languages(seed: dict[str, Any]) -> None:
    seed["interpretation"]["interpreters"][1]["languages"] = ["Spanish", "ES"]
    text = problems_of(seed)
    assert "interpretation.interpreters[1].languages: an interpreter pair needs two " \
           "different languages, got ES and ES" in text


def test_language_unreachable_from_floor_is_refused(seed: dict[str, Any]) -> None:
    # Without the English–French interpreters French cannot be reached from Spanish.
    seed["interpretation"]["interpreters"] = seed["interpretation"]["interpreters"][:2]
    for p in seed["people"]:
        if p["id"].startswith("interpreter-en-fr"):
            p["roles"] = ["panelist"]
    text = problems_of(seed)
    assert "interpretation.languages: FR (French) cannot be reached from the floor language " \
           "ES through any interpreter — add an interpreter for FR" in text


def test_more_interpreters_than_zoom_allows_is_refused(seed: dict[str, Any]) -> None:
    for i in range(19):
        seed["people"].append({"id": f"extra-{i}", "name": f"Extra {i}",
                               "email": f"extra{i}@example.org", "roles": ["interpreter"],
                               "timezone": "Europe/Zurich", "languages": ["ES", "US"]})
        seed["interpretation"]["interpreters"].append(
            {"person": f"extra-{i}", "languages": ["ES", "US"]})
    text = problems_of(seed)
    assert "interpretation.interpreters: 23 interpreters; Zoom allows at most 20" in text


def test_agenda_overflow_names_segment_and_fix(seed: dict[str, Any]) -> None:
    seed["agenda"][1]["minutes"] = 55
    text = problems_of(seed)
    assert "config/x.toml: agenda[2].minutes: segments overflow the webinar (65 of 60 " \
           "minutes) — shorten a segment or raise webinar.duration_minutes" in text


def test_agenda_that_ends_early_leaves_a_gap(seed: dict[str, Any]) -> None:
    seed["agenda"][1]["minutes"] = 45
    assert "agenda[2].minutes: segments leave the last 5 of 60 minutes unplanned" \
        in problems_of(seed)


def test_explicit_segment_start_must_meet_previous_end(seed: dict[str, Any]) -> None:
    gap, overlap = copy.deepcopy(seed), copy.deepcopy(seed)
    gap["agenda"][1]["start"] = "08:40"
    assert "agenda[1].start: leaves a 5-minute gap after the previous segment" \
        in problems_of(gap)
    overlap["agenda"][2]["start"] = "09:20"
    assert "agenda[2].start: overlaps the previous segment by 5 minutes" \
        in problems_of(overlap)
    fine = copy.deepcopy(seed)
    fine["agenda"][2]["start"] = "09:25"
    assert parse_event(fine).schedule()[2].start.isoformat() == "2022-05-17T13:25:00+00:00"


def test_duplicate_email_is_refused(seed: dict[str, Any]) -> None:
    person(seed, "lucas-gomez")["email"] = "Johanna.Saenz@example.org"
    assert "email: johanna.saenz@example.org is also the email of people[3] — each person " \
           "needs their own email address" in problems_of(seed)


def test_invalid_email_is_refused(seed: dict[str, Any]) -> None:
    person(seed, "lucas-gomez")["email"] = "lucas.gomez(at)example.org"
    assert "people[5].email: 'lucas.gomez(at)example.org' is not a valid email address" \
        in problems_of(seed)


def test_person_without_email_must_be_tbc(seed: dict[str, Any]) -> None:
    person(seed, "mexico-tbc")["tbc"] = False
    assert "people[6].email: Mexico representative (TBC) has no email — add their email " \
           "(or mark them tbc = true)" in problems_of(seed)


def test_naive_start_is_refused(seed: dict[str, Any]) -> None:
    seed["webinar"]["start"] = datetime(2022, 5, 17, 8, 30)
    assert "config/x.toml: webinar.start: 2022-05-17T08:30:00 has no UTC offset — write it " \
           "with its offset" in problems_of(seed)


def test_naive_start_in_the_file_is_refused(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8").replace(
        "start = 2022-05-17T08:30:00-04:00", "start = 2022-05-17T08:30:00")
    path = tmp_path / "naive.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EventFileError, match=r"naive.toml: webinar.start: .* no UTC offset"):
        load_event(path)


def test_typo_key_is_refused_with_a_suggestion(seed: dict[str, Any]) -> None:
    seed["webinar"]["titel"] = seed["webinar"]["title"]
    seed["agenda"][0]["speaker"] = ["johanna-saenz"]
    text = problems_of(seed)
    assert "webinar.titel: unknown key 'titel' — did you mean 'title'?" in text
    assert "agenda[0].speaker: unknown key 'speaker' — did you mean 'speakers'?" in text


def test_secrets_in_the_file_are_refused(seed: dict[str, Any]) -> None:
    seed["zoom"] = {"client_secret": "abc123"}
    seed["webinar"]["password"] = "hunter2"
    text = problems_of(seed)
    assert "zoom.client_secret: secrets never go in the event file — remove it and set " \
           "ZOOM_CLIENT_SECRET" in text
    assert "webinar.password: secrets never go in the event file" in text
    assert "abc123" not in text and "hunter2" not in text


def test_unknown_speaker_reference_suggests_the_close_id(seed: dict[str, Any]) -> None:
    seed["agenda"][0]["speakers"] = ["johana-saenz"]
    assert "agenda[0].speakers[0]: no person with id 'johana-saenz' — did you mean " \
           "'johanna-saenz'?" in problems_of(seed)


def test_tbc_panelist_is_allowed(seed: dict[str, Any]) -> None:
    spec = parse_event(seed)
    assert spec.person("mexico-tbc").tbc
    assert spec.person("mexico-tbc").email is None


def test_all_problems_are_reported_together(seed: dict[str, Any]) -> None:
    seed["agenda"][1]["minutes"] = 55
    person(seed, "lucas-gomez")["email"] = "johanna.saenz@example.org"
    with pytest.raises(EventFileError) as caught:
        parse_event(seed, source="config/x.toml")
    assert len(caught.value.problems) == 2


def test_bad_time_zone_names_the_person(seed: dict[str, Any]) -> None:
    person(seed, "walker-sizemore")["timezone"] = "America/Panama_City"
    assert "people[7].timezone: unknown time zone 'America/Panama_City'" in problems_of(seed)


def test_registrant_columns_must_name_zoom_fields(seed: dict[str, Any]) -> None:
    seed["registrants"]["columns"]["organization_name"] = "Org"
    assert "registrants.columns.organization_name: is neither a Zoom registrant field" \
        in problems_of(seed)


def test_registrant_columns_may_map_a_full_name_and_a_status_column(
    seed: dict[str, Any],
) -> None:
    # The list reader understands both; the event file must accept what the reader accepts.
    seed["registrants"]["columns"].update({"name": "Nombre completo", "status": "Estado"})
    spec = parse_event(seed, source="config/x.toml")
    assert spec.registrants.columns["status"] == "Estado"


def test_event_key_must_be_usable_in_urls_files_and_the_state_store(
    seed: dict[str, Any],
) -> None:
    seed["key"] = "IMRF 2022 / Latin America"
    message = problems_of(seed)
    assert "key: 'IMRF 2022 / Latin America' is not a usable event key" in message
    assert "e.g. 'imrf-2022-latam'" in message
    seed["key"] = "x" * 101
    assert "is not a usable event key" in problems_of(seed)


def test_person_id_longer_than_a_hundred_characters_is_refused(seed: dict[str, Any]) -> None:
    seed["people"][0]["id"] = "a" * 101
    assert "people[0].id" in problems_of(seed) and "at most 100" in problems_of(seed)
