"""The board page as served: every word in every board language, colour pairs that pass WCAG
AA, nothing loaded from anywhere, the views and the error page (issue 15)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from service_support import BOARD_KEY, live_agenda, running_service, store_at
from zoomorch.board.page import (
    BOARD_WORDS,
    COLOURS,
    ERROR_WORDS,
    LOCALES,
    board_page,
    contrast,
    error_page,
)
from zoomorch.board.tokens import BoardAuthError, BoardTokens, key_id
from zoomorch.cues.model import LANGUAGES


def test_every_colour_pair_has_at_least_aa_contrast_for_normal_text() -> None:
    ratios = {name: round(contrast(bg, fg), 2) for name, (bg, fg) in COLOURS.items()}
    print(ratios)
    assert all(r >= 4.5 for r in ratios.values()), ratios
    # The states of the countdown, the message and the over-time flash (both its colours).
    for name in ("green", "amber", "red", "over", "idle", "message", "acked", "button"):
        assert ratios[name] >= 4.5
    assert contrast(COLOURS["red"][0], COLOURS["over"][1]) >= 4.5  # the flash's other half
    # The comment in page.py lists the same pairs and ratios.
    import zoomorch.board.page as page

    source = Path(page.__file__).read_text(encoding="utf-8")
    for name, (bg, fg) in COLOURS.items():
        listed = re.search(rf"{re.escape(bg)} / {re.escape(fg)}\s+([\d.]+)", source)
        assert listed, name
        assert abs(float(listed.group(1)) - contrast(bg, fg)) < 0.06, name


def test_contrast_is_wcags() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48


def test_every_language_has_every_word_and_the_page_uses_only_known_words() -> None:
    assert set(BOARD_WORDS) == set(ERROR_WORDS) == set(LANGUAGES) == set(LOCALES)
    keys = set(BOARD_WORDS["en"])
    for language, words in BOARD_WORDS.items():
        assert set(words) == keys, language
        assert all(text.strip() for text in words.values()), language
    for language, words in ERROR_WORDS.items():
        assert set(words) == set(ERROR_WORDS["en"]), language
    page = board_page("Event", True, "fr")
    used = set(re.findall(r'data-w(?:-aria|-title|-placeholder)?="(\w+)"', page))
    used |= set(re.findall(r"words\.(\w+)", page))
    assert used <= keys, used - keys
    assert "{{" not in page and not re.search(r"__[A-Z_]+__", page)


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_page_is_written_in_its_language_before_any_script_runs(language: str) -> None:
    page = board_page("Event", True, language)
    words = BOARD_WORDS[language]  # type: ignore[index]
    assert f'<html lang="{language}">' in page
    for key in ("shift", "extend", "send", "sound_on", "msg_heading", "latest", "next"):
        assert f">{words[key]}<" in page.replace("&#x27;", "'"), key
    # Times: the language's 24-hour clock, never the browser's 12-hour one.
    assert 'hourCycle: "h23"' in page
    assert json.loads(page.split("const LOCALES = ")[1].split(";\n")[0])[language] == \
        LOCALES[language]  # type: ignore[index]


def test_the_page_loads_nothing_from_anywhere() -> None:
    page = board_page("Event", True, "en", view="speaker", transparent=True, nonce="n0nce")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    assert page.count('nonce="n0nce"') == 2  # the one style and the one script


def test_views_controls_and_transparency() -> None:
    board = board_page("Event", True, "en")
    speaker = board_page("Event", True, "en", view="speaker", transparent=True)
    assert '<body class="controller view-board">' in board
    # The speaker view has no controls, even from a controller's link.
    assert '<body class="viewer view-speaker">' in speaker
    assert '<html lang="en" class="bg-transparent">' in speaker
    assert "speaker timer" in speaker.split("</title>")[0]


def test_the_error_page_names_both_keys_and_the_fix_in_each_language() -> None:
    error = BoardAuthError("x", reason="other_key", link_key_id="1338ab12",
                           service_key_id="ae43a9e8")
    for language in LANGUAGES:
        page = error_page(error, language)
        assert "1338ab12" in page and "ae43a9e8" in page
        assert "<code>zoomorch board-link</code>" in page
        assert f'<html lang="{language}">' in page
    # A link from before key ids: no id of its own, still the service's and the fix.
    old = error_page(BoardAuthError("x", reason="other_key", service_key_id="ae43a9e8"), "en")
    assert "(none: a link from an older zoomorch)" in old and "ae43a9e8" in old
    expired = error_page(BoardAuthError("x", reason="expired"), "fr")
    assert "Ce lien de tableau a expiré" in expired and "board-link</code>" not in expired
    other = error_page(BoardAuthError("no event 'x' runs here", status=404), "de")
    assert "no event &#x27;x&#x27; runs here" in other


def test_the_service_serves_the_page_with_its_csp_and_localised_errors(tmp_path: Path) -> None:
    agenda = live_agenda()
    store = store_at(tmp_path)
    try:
        with running_service(store, [agenda]) as service:
            url = f"{service.base_url}/board/{agenda.slug}"
            answer = httpx.get(service.board_url(agenda.slug, "viewer", language="es") +
                               "&view=speaker")
            assert answer.status_code == 200
            csp = answer.headers["content-security-policy"]
            nonce = re.search(r"'nonce-([^']+)'", csp).group(1)  # type: ignore[union-attr]
            assert f'<script nonce="{nonce}">' in answer.text
            assert "default-src 'none'" in csp and "connect-src 'self'" in csp
            assert "view-speaker" in answer.text and '<html lang="es">' in answer.text
            # ?lang= chooses the page's language over the link's.
            fr = httpx.get(service.board_url(agenda.slug, "viewer", language="es") + "&lang=fr")
            assert '<html lang="fr">' in fr.text
            # The key id, for anyone: nothing else.
            assert httpx.get(f"{service.base_url}/board-key-id").json() == {
                "key_id": key_id(BOARD_KEY)}
            foreign = BoardTokens("another-key-entirely-0123456789-abcdef")
            refused = httpx.get(url, params={"token": foreign.issue(agenda.slug, language="fr")})
            assert refused.status_code == 401
            assert "a été signé avec la clé" in refused.text
            assert foreign.key_id in refused.text and key_id(BOARD_KEY) in refused.text
            assert "content-security-policy" in refused.headers
            # The API says the same in JSON (English), with both ids.
            api = httpx.get(f"{service.base_url}/api/events/{agenda.slug}/state",
                            headers={"authorization": "Bearer " +
                                     foreign.issue(agenda.slug)})
            assert api.status_code == 401
            assert foreign.key_id in api.json()["error"]
            # No link at all: the browser's language.
            bare = httpx.get(url, headers={"accept-language": "de-CH,de;q=0.9,en;q=0.5"})
            assert bare.status_code == 401 and "braucht einen Tafel-Link" in bare.text
            expired = BoardTokens(BOARD_KEY).issue(
                agenda.slug, "viewer", timedelta(minutes=1), language="es",
                now=datetime.now(UTC) - timedelta(hours=1))
            gone = httpx.get(url, params={"token": expired})
            assert gone.status_code == 401 and "ha caducado" in gone.text
    finally:
        store.close()
