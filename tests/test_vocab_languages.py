"""The one language table: every name of a language leads back to it, it agrees with Zoom's
description and the sandbox, and every place that meets a language reads it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, get_args

import pytest

from event_support import problems_of, seed_data
from zoomorch.board.page import BOARD_WORDS
from zoomorch.cues import CATALOGUES, LANGUAGES, Language
from zoomorch.event import ZOOM_LANGUAGES, language_name, parse_event
from zoomorch.registrants.values import Language as ListLanguage
from zoomorch.registrants.values import parse_language
from zoomorch.sandbox.store.accounts import INTERPRETATION_LANGUAGES
from zoomorch.vocab import languages as table
from zoomorch.vocab.languages import (
    CUE_LANGUAGES,
    by_iso,
    by_zoom_code,
    cue_language,
    fold,
    language_in_answer,
    language_in_event,
)

SPEC = Path(__file__).resolve().parents[2] / "shared" / "zoom-api" / "ZoomMeetingAPISpec.json"
ROWS = pytest.mark.parametrize("lang", table.LANGUAGES, ids=lambda lang: lang.iso)


@ROWS
def test_codes_lead_back_to_their_row(lang: table.Lang) -> None:
    assert by_iso(lang.iso) is lang and by_iso(lang.iso.upper()) is lang
    assert by_zoom_code(lang.zoom_code) is lang and by_zoom_code(lang.zoom_code.lower()) is lang
    assert language_in_event(lang.zoom_code) is lang
    assert language_in_event(lang.iso) is lang and language_in_answer(lang.iso) is lang
    assert ZOOM_LANGUAGES[lang.zoom_code] == lang.name == language_name(lang.zoom_code)


@ROWS
def test_every_name_in_any_case_and_without_accents_leads_back(lang: table.Lang) -> None:
    for name in lang.names:
        for written in (name, name.upper(), name.lower(), fold(name), f"  {name}: "):
            assert language_in_event(written) is lang, written
            assert language_in_answer(written) is lang, written


def test_a_lists_answer_may_be_a_locale_or_start_with_the_language() -> None:
    assert language_in_answer("es-ES") is by_iso("es")
    assert language_in_answer("English (US)") is by_iso("en")
    assert language_in_answer("Français / French") is by_iso("fr")
    # In a list "US" or "CN" is a country; only the event file takes Zoom's codes.
    assert language_in_answer("US") is None and language_in_answer("CN") is None
    assert language_in_event("US") is by_iso("en")
    # The event file is exact: a longer answer is not a language there.
    assert language_in_event("Spanish sign language") is None


def test_folding_ignores_case_accents_and_punctuation_but_keeps_other_scripts() -> None:
    assert fold("FRANÇAISE") == fold("francaise") == "francaise"
    assert fold("en_US") == "en us"
    assert fold("中文") == "中文" and fold("Русский") != ""
    assert fold(" - ") == ""


def test_a_word_given_to_two_languages_is_refused_when_the_table_is_built() -> None:
    english, german = by_iso("en"), by_iso("de")
    with pytest.raises(ValueError, match="gives 'Deutsch' to both German and English"):
        table._index([("Deutsch", german), ("deutsch", german), ("Deutsch", english)])


def test_the_table_is_zooms_interpretation_languages_in_zooms_order() -> None:
    assert tuple(lang.name for lang in table.LANGUAGES) == INTERPRETATION_LANGUAGES
    assert [lang.zoom_code for lang in table.LANGUAGES] == [
        "US", "CN", "JP", "DE", "FR", "RU", "PT", "ES", "KR"]


def _enums(document: Any, field: str) -> list[list[str]]:
    found: list[list[str]] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key == field and isinstance(value, dict):
                enum = value.get("enum") or (value.get("items") or {}).get("enum")
                if enum:
                    found.append(enum)
            found.extend(_enums(value, field))
    elif isinstance(document, list):
        for item in document:
            found.extend(_enums(item, field))
    return found


@pytest.mark.skipif(not SPEC.exists(), reason="Zoom's OpenAPI description is not here")
def test_names_and_locales_are_zooms_own() -> None:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    interpretation = {tuple(e) for e in _enums(spec, "languages") if "English" in e
                      and "American" not in e}
    assert interpretation == {tuple(lang.name for lang in table.LANGUAGES)}
    locales = {value for enum in _enums(spec, "language") for value in enum}
    assert {lang.zoom_locale for lang in table.LANGUAGES} <= locales


def test_cue_texts_board_words_and_the_language_type_are_the_tables() -> None:
    written = {lang.iso for lang in CUE_LANGUAGES}
    assert written == {"en", "es", "fr", "de"}
    assert set(LANGUAGES) == written == set(get_args(Language))
    assert set(CATALOGUES) == written == set(BOARD_WORDS)


def test_the_cue_language_is_the_first_listed_with_texts_else_english() -> None:
    german = cue_language(["DE", "US"])
    assert german.cues.iso == "de" and not german.fallback and german.explain() == ""
    relay = cue_language(["PT", "FR", "ES"])
    assert (relay.cues.iso, relay.fallback, relay.listed) == ("fr", True, True)
    alone = cue_language(["JP"])
    assert (alone.cues.iso, alone.fallback, alone.listed) == ("en", True, False)
    assert alone.explain() == ("no Japanese cue texts, nor in their other languages: cues in "
                               "English")


def test_the_event_file_takes_any_name_of_the_table() -> None:
    data = seed_data()
    data["interpretation"]["languages"] = ["Español", "inglés", "Französisch"]
    spec = parse_event(data)
    assert spec.interpretation is not None
    assert spec.interpretation.languages == ["ES", "US", "FR"]


def test_the_event_file_refuses_a_language_zoom_cannot_interpret() -> None:
    data = seed_data()
    data["people"][0]["languages"] = ["Italian"]
    assert ("config/x.toml: people[0].languages[0]: 'Italian' is not a Zoom interpretation "
            "language — use one of US (English), CN (Chinese), JP (Japanese), DE (German), "
            "FR (French), RU (Russian), PT (Portuguese), ES (Spanish), KR (Korean)"
            ) in problems_of(data)


@pytest.mark.parametrize(("written", "expected"), [
    ("Español", ListLanguage.ES), ("es-ES", ListLanguage.ES), ("castellano", ListLanguage.ES),
    ("Spanisch", ListLanguage.ES), ("anglais", ListLanguage.EN), ("EN", ListLanguage.EN),
    ("Française", ListLanguage.FR), ("francés", ListLanguage.FR), ("", None), ("  ", None),
])
def test_a_lists_preferred_language_reads_through_the_table(
        written: str, expected: ListLanguage | None) -> None:
    assert parse_language(written) is expected


@pytest.mark.parametrize(("written", "expected"), [
    ("Deutsch", ListLanguage.DE), ("de", ListLanguage.DE), ("中文", ListLanguage.ZH),
    ("pt-BR", ListLanguage.PT), ("ja", ListLanguage.JA)])
def test_a_lists_preferred_language_may_be_any_of_the_table(
        written: str, expected: ListLanguage) -> None:
    """Zoom writes its registration e-mails in each of them (its ``language`` locale)."""
    assert parse_language(written) is expected


@pytest.mark.parametrize("written", ["US", "Klingon", "Italiano"])
def test_a_lists_preferred_language_outside_the_table_is_refused_naming_it(
        written: str) -> None:
    with pytest.raises(ValueError, match=f"preferred language '{written}' is not one "
                                         r"zoomorch knows \(English, Chinese, "):
        parse_language(written)


def test_zooms_registrant_locale_comes_from_the_table() -> None:
    assert {lang.value: lang.zoom_code for lang in ListLanguage} == {
        lang.iso.upper(): lang.zoom_locale for lang in table.LANGUAGES}
    assert ListLanguage.ES.zoom_code == "es-ES" and ListLanguage.JA.zoom_code == "jp-JP"


def test_the_table_in_the_event_file_docs_is_the_tables() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "event-file.md").read_text(
        encoding="utf-8")
    rows = [line for line in docs.splitlines() if re.match(r"\| `[A-Z]{2}` \|", line)]
    assert len(rows) == len(table.LANGUAGES)
    for line, lang in zip(rows, table.LANGUAGES, strict=True):
        code, name, iso, locale, texts, words = (cell.strip(" `") for cell in
                                                  line.strip("|").split("|"))
        assert (code, name, iso, locale) == (lang.zoom_code, lang.name, lang.iso,
                                             lang.zoom_locale)
        assert (texts == "yes") is lang.cue_texts
        assert all(language_in_event(word) is lang for word in words.split(", ")), line
