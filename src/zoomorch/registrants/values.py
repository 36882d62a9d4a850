"""Normalising single answers: emails, countries, preferred languages, requested statuses."""

from __future__ import annotations

import gettext
import re
import unicodedata
from enum import StrEnum
from functools import cache

import pycountry

from zoomorch.registrants.columns import header_key
from zoomorch.vocab.languages import LANGUAGES, by_iso, fold, language_in_answer

MAX_EMAIL = 128
MAX_NAME = 64
MAX_ANSWER = 128  # Zoom's limit on a custom question's value

_EMAIL = re.compile(r"[^@\s\"(),:;<>\[\]\\]+@[^@\s\"(),:;<>\[\]\\]+\.[^@\s\"(),:;<>\[\]\\.]+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)

# Characters that must never reach Zoom: they are invisible, yet change what a name shows
# (a right-to-left override turns "Ana" + "gpj.exe" into "Anaexe.jpg") or what a program
# reading it does (NUL, BEL, ESC). Tab, line feed, carriage return, vertical tab and form feed
# are whitespace, collapsed like spaces.
_C0_NAMES = (
    "NULL", "START OF HEADING", "START OF TEXT", "END OF TEXT", "END OF TRANSMISSION",
    "ENQUIRY", "ACKNOWLEDGE", "BELL", "BACKSPACE", "", "", "", "", "", "SHIFT OUT", "SHIFT IN",
    "DATA LINK ESCAPE", "DEVICE CONTROL ONE", "DEVICE CONTROL TWO", "DEVICE CONTROL THREE",
    "DEVICE CONTROL FOUR", "NEGATIVE ACKNOWLEDGE", "SYNCHRONOUS IDLE",
    "END OF TRANSMISSION BLOCK", "CANCEL", "END OF MEDIUM", "SUBSTITUTE", "ESCAPE",
    "INFORMATION SEPARATOR FOUR", "INFORMATION SEPARATOR THREE", "INFORMATION SEPARATOR TWO",
    "INFORMATION SEPARATOR ONE",
)
_CONTROLS = frozenset(
    [chr(c) for c in range(0x20) if _C0_NAMES[c]]
    + [chr(c) for c in range(0x7F, 0xA0)]  # DEL and the C1 controls
    + list("\u202a\u202b\u202c\u202d\u202e")  # bidi embeddings and overrides
    + list("\u2066\u2067\u2068\u2069")  # bidi isolates
    + list("\u200e\u200f\u061c")  # bidi marks (LRM, RLM, ALM)
)
_NO_CONTROLS = dict.fromkeys(map(ord, _CONTROLS), None)


def control_characters(value: str) -> tuple[str, ...]:
    """The bidi and control characters in ``value`` (each once, in order of appearance)."""
    return tuple(dict.fromkeys(c for c in value if c in _CONTROLS))


def describe_characters(chars: tuple[str, ...]) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE, U+0000 NULL``: code points with their names."""
    def name(char: str) -> str:
        code = ord(char)
        if code < 0x20:
            return _C0_NAMES[code]
        if code == 0x7F:
            return "DELETE"
        return unicodedata.name(char, "C1 CONTROL CHARACTER")
    return ", ".join(f"U+{ord(c):04X} {name(c)}" for c in chars)


def clean_text(value: str, *, keep_lines: bool = False) -> str:
    """NFC, invisible characters (zero-width, bidi controls, C0/C1 controls) removed,
    whitespace trimmed (and collapsed unless keep_lines). :func:`control_characters` says
    which controls a value held, for the row's report."""
    text = (unicodedata.normalize("NFC", value).translate(_INVISIBLE).translate(_NO_CONTROLS)
            .replace("\xa0", " "))
    if keep_lines:
        return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()
    return " ".join(text.split())


def clean_email(value: str) -> str:
    """The email as written, minus spaces, invisible characters and a ``mailto:`` prefix."""
    text = clean_text(value).replace(" ", "")
    if text.casefold().startswith("mailto:"):
        text = text[len("mailto:") :]
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    return text


def email_key(email: str) -> str:
    """The comparison key of an email: Zoom treats addresses case-insensitively."""
    return unicodedata.normalize("NFC", email.strip()).casefold()


def email_problem(email: str) -> str | None:
    """Why ``email`` cannot be registered, or None if it looks deliverable."""
    if not email:
        return "no email"
    if len(email) > MAX_EMAIL:
        return f"email is longer than Zoom's {MAX_EMAIL} characters"
    if not _EMAIL.fullmatch(email) or ".." in email or email.split("@")[1].startswith("."):
        return f"malformed email {email!r}"
    return None


class Language(StrEnum):
    """A preferred language a list may give: any language of the one table
    (:mod:`zoomorch.vocab.languages`), each one Zoom writes its registration emails in (its
    ``language`` locale). Written as the ISO code, upper case."""

    EN = "EN"
    ZH = "ZH"
    JA = "JA"
    DE = "DE"
    FR = "FR"
    RU = "RU"
    PT = "PT"
    ES = "ES"
    KO = "KO"

    @property
    def zoom_code(self) -> str:
        """Zoom's ``language`` value (the language of the registrant's confirmation emails)."""
        return by_iso(self.value.lower()).zoom_locale


if {m.value for m in Language} != {lang.iso.upper() for lang in LANGUAGES}:
    raise RuntimeError("registrants.values.Language differs from vocab.languages.LANGUAGES")


def parse_language(value: str) -> Language | None:
    """A language from a code, a locale or a language name in any language of the table
    (``es``, ``es-ES``, ``castellano``, ``anglais``, ``Française``, ``Deutsch``); None when
    blank; ValueError naming the languages zoomorch knows otherwise."""
    if not fold(value):
        return None
    found = language_in_answer(value)
    if found is None:
        known = ", ".join(lang.name for lang in LANGUAGES)
        raise ValueError(f"preferred language {value!r} is not one zoomorch knows ({known})")
    return Language(found.iso.upper())


class RequestedStatus(StrEnum):
    APPROVED = "approved"
    PENDING = "pending"
    DENIED = "denied"
    CANCELLED = "cancelled"


_STATUS_WORDS = {
    RequestedStatus.APPROVED: (
        "approve", "approved", "accept", "accepted", "confirmed",
        "aprobado", "aprobada", "aprobar", "aceptado", "aceptada", "confirmado", "confirmada",
        "approuve", "approuvee", "approuver", "accepte", "acceptee", "confirme", "confirmee",
    ),
    RequestedStatus.PENDING: ("pending", "waiting", "pendiente", "en espera", "en attente",
                              "attente"),
    RequestedStatus.DENIED: (
        "deny", "denied", "reject", "rejected", "declined",
        "denegado", "denegada", "rechazado", "rechazada", "rechazar",
        "refuse", "refusee", "refuser", "rejete", "rejetee",
    ),
    RequestedStatus.CANCELLED: (
        "cancel", "cancelled", "canceled", "withdrawn", "removed",
        "cancelado", "cancelada", "cancelar", "anulado", "anulada", "baja",
        "annule", "annulee", "annuler", "retire", "retiree", "desiste",
    ),
}


def parse_status(value: str) -> RequestedStatus | None:
    """The status a row asks for, from English, Spanish or French words; None when blank."""
    key = header_key(value)
    if not key:
        return None
    for status, words in _STATUS_WORDS.items():
        if key in words:
            return status
    raise ValueError(
        f"unknown status {value!r}; use approved, pending, denied or cancelled "
        "(or aprobado / approuvé, pendiente / en attente, rechazado / refusé, cancelado / annulé)"
    )


_COUNTRY_ALIASES = {
    "usa": "US", "u s a": "US", "u s": "US", "united states of america": "US", "eeuu": "US",
    "ee uu": "US", "estados unidos de america": "US", "etats unis d amerique": "US",
    "uk": "GB", "u k": "GB", "great britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "gran bretana": "GB", "inglaterra": "GB", "angleterre": "GB",
    "grande bretagne": "GB", "russia": "RU", "rusia": "RU", "russie": "RU",
    "bolivia": "BO", "venezuela": "VE", "iran": "IR", "syria": "SY", "siria": "SY",
    "vietnam": "VN", "south korea": "KR", "korea": "KR", "corea del sur": "KR",
    "coree du sud": "KR", "tanzania": "TZ", "laos": "LA", "moldova": "MD",
    "ivory coast": "CI", "cote d ivoire": "CI", "costa de marfil": "CI", "turkey": "TR",
    "turquia": "TR", "turquie": "TR", "holland": "NL", "the netherlands": "NL",
    "czech republic": "CZ", "republica checa": "CZ", "republique tcheque": "CZ",
    "palestine": "PS", "palestina": "PS", "kosovo": "XK", "democratic republic of the congo": "CD",
    "drc": "CD", "rdc": "CD", "congo brazzaville": "CG", "congo kinshasa": "CD",
}


@cache
def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    translations = [gettext.NullTranslations()]
    for language in ("es", "fr"):
        try:
            translations.append(
                gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
            )
        except OSError:  # a trimmed pycountry install: English names still work
            pass
    for country in pycountry.countries:
        code = country.alpha_2
        names = {country.name, getattr(country, "official_name", ""),
                 getattr(country, "common_name", "")}
        for name in filter(None, names):
            for translation in translations:
                index.setdefault(header_key(translation.gettext(name)), code)
        index.setdefault(header_key(country.alpha_3), code)
    for alias, code in _COUNTRY_ALIASES.items():
        index[alias] = code
    return index


def parse_country(value: str) -> str | None:
    """Zoom's two-letter country code from a code or a country name in English/Spanish/French."""
    key = header_key(value)
    if not key:
        return None
    if len(key) == 2 and key.isalpha():
        code = key.upper()
        if code == "UK":
            return "GB"
        if pycountry.countries.get(alpha_2=code) is not None or code == "XK":
            return code
    found = _country_index().get(key)
    if found is None:
        raise ValueError(
            f"country {value!r} is not a country name or two-letter code (e.g. ES, MX, FR)"
        )
    return found
