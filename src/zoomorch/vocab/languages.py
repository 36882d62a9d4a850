"""Languages: one table for every place zoomorch meets one.

Each row is one of Zoom's interpretation languages, named every way zoomorch needs:

- ``zoom_code`` and ``name``: Zoom's interpretation channel, a country-style id (``US`` for
  English, ``CN``, ``JP``, ``DE``, ``FR``, ``RU``, ``PT``, ``ES``, ``KR``) and the name Zoom's
  account settings list (``"English"``). The event file holds the code.
- ``iso``: the ISO 639-1 code (``en``). Cue texts, the cue board and ``--lang`` use it.
- ``zoom_locale``: the value of a Zoom registrant's ``language`` (the language of Zoom's
  confirmation emails): ``en-US``, ``jp-JP`` (sic) …
- ``cue_texts``: whether zoomorch writes cues in it (``zoomorch.cues.texts`` holds one
  catalogue for each such language, and refuses to load otherwise).
- ``native`` and ``words``: how people write it in an event file or an organisers' list:
  its own name (``"Español"``), and its name in the languages organisers use (``"Spanish"``,
  ``"espagnol"``, ``"Spanisch"``), compared without case or accents.

The source for Zoom's two vocabularies is its OpenAPI description: the interpretation
languages of ``GET /users/{userId}/settings`` and the registrant ``language`` enum
(``../shared/zoom-api``; ``docs/event-file.md`` shows the table).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Lang:
    """One language, as Zoom, ISO, the cue texts and people name it."""

    iso: str
    zoom_code: str
    name: str
    native: str
    zoom_locale: str
    cue_texts: bool
    words: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name

    @property
    def names(self) -> tuple[str, ...]:
        """Every name people may write for it (not its codes)."""
        return (self.name, self.native, *self.words)


# In Zoom's own order (its settings list and the interpretation docs).
LANGUAGES: tuple[Lang, ...] = (
    Lang("en", "US", "English", "English", "en-US", True,
         ("eng", "inglés", "anglais", "inglese", "Englisch", "inglês")),
    Lang("zh", "CN", "Chinese", "中文", "zh-CN", False,
         ("zho", "chi", "Mandarin", "mandarín", "chino", "chinois", "cinese", "Chinesisch",
          "chinês", "普通话", "汉语")),
    Lang("ja", "JP", "Japanese", "日本語", "jp-JP", False,
         ("jpn", "japonés", "japonais", "giapponese", "Japanisch", "japonês")),
    Lang("de", "DE", "German", "Deutsch", "de-DE", True,
         ("deu", "ger", "alemán", "allemand", "tedesco", "alemão")),
    Lang("fr", "FR", "French", "Français", "fr-FR", True,
         ("fra", "fre", "francés", "française", "francese", "Französisch", "francês")),
    Lang("ru", "RU", "Russian", "Русский", "ru-RU", False,
         ("rus", "ruso", "russe", "russo", "Russisch")),
    Lang("pt", "PT", "Portuguese", "Português", "pt-PT", False,
         ("por", "portugués", "portugais", "portoghese", "Portugiesisch")),
    Lang("es", "ES", "Spanish", "Español", "es-ES", True,
         ("spa", "esp", "castellano", "espagnol", "spagnolo", "Spanisch", "espanhol")),
    Lang("ko", "KR", "Korean", "한국어", "ko-KO", False,
         ("kor", "coreano", "coréen", "Koreanisch")),
)

# The language everyone at a zoomorch event is assumed to read when theirs has no cue texts.
FALLBACK_ISO = "en"


def fold(text: str) -> str:
    """How a language is compared: no case, no accents, words split on anything else
    (``"Français"``, ``"FRANCAIS"`` and ``"francais:"`` fold alike; ``"en_US"`` is
    ``"en us"``). Unlike a header key, it keeps letters of every script (``"中文"``)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\ufeff", ""))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


def _index(entries: Iterable[tuple[str, Lang]]) -> dict[str, Lang]:
    """Folded word → language; a word shared by two languages is a mistake in the table."""
    index: dict[str, Lang] = {}
    for word, lang in entries:
        key = fold(word)
        other = index.setdefault(key, lang)
        if other is not lang:
            raise ValueError(f"the language table gives {word!r} to both {other.name} and "
                             f"{lang.name}")
    return index


# What people write for a language: its ISO code and its names.
_BY_WORD = _index((word, lang) for lang in LANGUAGES for word in (lang.iso, *lang.names))
# The event file also takes Zoom's country-style codes ("US", "KR"); a list does not, where
# "US" or "CN" in a language column more likely names a country.
_BY_EVENT_WORD = _index((word, lang) for lang in LANGUAGES
                        for word in (lang.zoom_code, lang.iso, *lang.names))
_BY_ISO = {lang.iso: lang for lang in LANGUAGES}
_BY_ZOOM_CODE = {lang.zoom_code: lang for lang in LANGUAGES}

CUE_LANGUAGES: tuple[Lang, ...] = tuple(lang for lang in LANGUAGES if lang.cue_texts)


def by_iso(code: str) -> Lang:
    """The language of an ISO 639-1 code (``"de"``); KeyError for one not in the table."""
    return _BY_ISO[code.strip().lower()]


def by_zoom_code(code: str) -> Lang:
    """The language of one of Zoom's interpretation codes (``"US"``); KeyError otherwise."""
    return _BY_ZOOM_CODE[code.strip().upper()]


def language_in_event(text: str) -> Lang | None:
    """The language an event file means: a Zoom code (``"US"``), an ISO code (``"en"``) or a
    name in any language of the table (``"Spanish"``, ``"español"``); None if none."""
    return _BY_EVENT_WORD.get(fold(text))


def language_in_answer(text: str) -> Lang | None:
    """The language an organisers' list means: an ISO code or a name, whole or as the first
    word of a locale or a longer answer (``"es-ES"``, ``"English (US)"``); None if none.
    Zoom's country-style codes are not taken here (``"US"`` is a country in a list)."""
    key = fold(text)
    if not key:
        return None
    return _BY_WORD.get(key) or _BY_WORD.get(key.split()[0])


def zoom_codes_accepted() -> str:
    """The event file's accepted codes, for error messages: ``US (English), CN (Chinese) …``."""
    return ", ".join(f"{lang.zoom_code} ({lang.name})" for lang in LANGUAGES)


def cue_languages_accepted() -> str:
    """The languages cues are written in, for help texts: ``en, de, fr or es``."""
    codes = [lang.iso for lang in CUE_LANGUAGES]
    return ", ".join(codes[:-1]) + f" or {codes[-1]}"


@dataclass(frozen=True)
class CueLanguageChoice:
    """Which language a person's cues are written in, and why.

    ``spoken`` is their first language (the one they speak on the floor); ``cues`` is the
    first of their languages that has cue texts, else English. ``fallback`` is true when the
    two differ: the event file check reports it as a warning, and the cue plan states it.
    """

    spoken: Lang
    cues: Lang
    listed: bool  # whether ``cues`` is one of the person's own languages

    @property
    def fallback(self) -> bool:
        return self.cues != self.spoken

    def explain(self) -> str:
        """Why the cues are not in the spoken language (empty when they are)."""
        if not self.fallback:
            return ""
        if self.listed:
            return (f"no {self.spoken.name} cue texts: cues in {self.cues.name}, "
                    "their next language")
        return (f"no {self.spoken.name} cue texts, nor in their other languages: cues in "
                f"{self.cues.name}")


def cue_language(zoom_codes: Sequence[str]) -> CueLanguageChoice:
    """The cue language for someone who speaks ``zoom_codes`` (Zoom codes, first spoken)."""
    spoken = [by_zoom_code(code) for code in zoom_codes]
    if not spoken:
        raise ValueError("a person needs at least one language")
    readable = next((lang for lang in spoken if lang.cue_texts), None)
    if readable is not None:
        return CueLanguageChoice(spoken[0], readable, listed=True)
    return CueLanguageChoice(spoken[0], by_iso(FALLBACK_ISO), listed=False)
