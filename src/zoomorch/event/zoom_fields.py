"""Zoom's field vocabulary as the event file writes it: interpretation languages, limits,
standard registration questions and registrant fields.

Every value here is Zoom's (its OpenAPI description and facts in ``../shared/zoom-api``);
the validators turn what people write into Zoom's spelling and raise
:class:`~zoomorch.event.problems.FieldProblem` with the accepted values otherwise.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from zoomorch.event.problems import FieldProblem
from zoomorch.vocab.languages import LANGUAGES, by_zoom_code, language_in_event, zoom_codes_accepted

MAX_INTERPRETERS = 20  # Zoom's limit per webinar
MAX_TOPIC_CHARS = 200
MAX_AGENDA_CHARS = 2000

# Zoom's interpretation language codes (country-style ids) and their readable names.
ZOOM_LANGUAGES: dict[str, str] = {lang.zoom_code: lang.name for lang in LANGUAGES}


def zoom_language(value: str) -> str:
    """Zoom's code for a language given as a code (``"ES"``, ``"en"``) or a name in any
    language of the table (``"Spanish"``, ``"español"``, ``"Deutsch"``)."""
    lang = language_in_event(value)
    if lang is None:
        raise FieldProblem(f"{value!r} is not a Zoom interpretation language",
                           f"use one of {zoom_codes_accepted()}")
    return lang.zoom_code


def language_name(code: str) -> str:
    """Readable name of a Zoom language code (the code itself if Zoom has no such code)."""
    try:
        return by_zoom_code(code).name
    except KeyError:
        return code


# A language field: accepts a Zoom code or a readable name, holds the Zoom code.
ZoomLanguage = Annotated[str, AfterValidator(zoom_language)]

# Zoom's standard registration fields (field_name) and readable aliases.
STANDARD_QUESTIONS: tuple[str, ...] = (
    "last_name", "address", "city", "country", "zip", "state", "phone", "industry", "org",
    "job_title", "purchasing_time_frame", "role_in_purchase_process", "no_of_employees",
    "comments",
)
QUESTION_ALIASES: dict[str, str] = {
    "organisation": "org", "organization": "org", "company": "org", "surname": "last_name",
    "postcode": "zip", "postal_code": "zip", "province": "state", "comment": "comments",
    "questions": "comments", "title": "job_title",
}


def standard_question(value: str) -> str:
    """Zoom's ``field_name`` for a standard question given by name or alias."""
    key = value.strip().lower().replace(" ", "_")
    key = QUESTION_ALIASES.get(key, key)
    if key not in STANDARD_QUESTIONS:
        raise FieldProblem(f"{value!r} is not one of Zoom's registration fields",
                           f"use one of {', '.join(STANDARD_QUESTIONS)} "
                           "or add it under registration.custom_questions")
    return key


REGISTRANT_FIELDS: tuple[str, ...] = (
    "email", "first_name", "last_name", "address", "city", "state", "zip", "country", "phone",
    "comments", "industry", "job_title", "no_of_employees", "org", "purchasing_time_frame",
    "role_in_purchase_process", "language",
)
# What ``[registrants.columns]`` may map: Zoom's fields, plus two columns only a list has — a
# full name (split into first and last) and the registrant's status (approve / deny / cancel).
REGISTRANT_COLUMNS: tuple[str, ...] = (*REGISTRANT_FIELDS, "name", "status")
