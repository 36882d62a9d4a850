"""Which column of the list holds which registrant field.

Defaults recognise the usual headers of English, Spanish and French spreadsheets; the event
file's ``[registrants.columns]`` maps anything else. Headers are compared without case,
accents or punctuation, so "Prénom", "PRENOM" and "prénom:" are the same header.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from zoomorch.event import REGISTRANT_COLUMNS
from zoomorch.registrants.source import SourceError

# Zoom's standard registrant fields we carry, plus our own: the full name (split when there
# are no separate first/last name columns), the preferred language and the requested status.
STANDARD_FIELDS = REGISTRANT_COLUMNS  # one list: the event file is checked against it too

# Google Forms names the columns it adds itself in the form owner's language: the submission
# time ("Timestamp") and, when the form collects addresses, "Email Address". Recognised in
# English, Spanish, French, German and Portuguese, so a form's responses need no
# [registrants.columns] table.
FORM_TIMESTAMP_HEADERS = ("timestamp", "marca temporal", "marca de tiempo", "horodateur",
                          "horodatage", "zeitstempel", "carimbo de data hora")
SUBMITTED_AT = "submitted_at"  # a list's own column: the form's submission time
NOT_SENT = frozenset({SUBMITTED_AT})  # recognised, so not "unused", but never sent to Zoom

DEFAULT_HEADERS: dict[str, tuple[str, ...]] = {
    "email": (
        "email", "e mail", "mail", "email address", "e mail address", "emails",
        "correo", "correo electronico", "correo e", "email correo", "direccion de correo",
        "direccion de correo electronico",
        "courriel", "adresse courriel", "adresse e mail", "adresse email", "adresse mail",
        "adresse electronique", "mel",
        "e mail adresse", "email adresse", "endereco de e mail", "endereco de email",
        "indirizzo email", "indirizzo e mail",
    ),
    "first_name": (
        "first name", "firstname", "given name", "forename", "first",
        "nombre", "nombres", "nombre de pila", "nombre s",
        "prenom", "prenoms", "prenom s",
        "vorname", "nome", "primeiro nome",
    ),
    "last_name": (
        "last name", "lastname", "surname", "family name", "last",
        "apellido", "apellidos", "primer apellido", "apellido s",
        "nom", "nom de famille",
        "nachname", "familienname", "sobrenome", "apelido",
    ),
    "name": ("name", "full name", "nombre completo", "nom complet", "nom et prenom",
             "prenom et nom"),
    "country": ("country", "country region", "pais", "pays", "country code"),
    "org": (
        "organization", "organisation", "org", "company", "institution", "affiliation",
        "organizacion", "empresa", "institucion", "entidad",
        "organisme", "entreprise", "societe",
    ),
    "job_title": ("job title", "title", "position", "role", "cargo", "puesto", "poste", "fonction",
                  "titre"),
    "phone": ("phone", "phone number", "telephone", "mobile", "telefono", "movil", "tel"),
    "city": ("city", "ciudad", "ville"),
    "state": ("state", "province", "state province", "provincia", "region"),
    "zip": ("zip", "zip code", "postal code", "postcode", "codigo postal", "code postal"),
    "address": ("address", "direccion", "adresse"),
    "industry": ("industry", "sector", "secteur"),
    "comments": ("comments", "comment", "questions", "questions comments", "comentarios",
                 "commentaires", "remarques"),
    "language": (
        "language", "preferred language", "lang", "idioma", "idioma preferido", "lengua",
        "langue", "langue preferee",
    ),
    "status": ("status", "registration status", "estado", "statut", "etat"),
    SUBMITTED_AT: FORM_TIMESTAMP_HEADERS,
}


def header_key(text: str) -> str:
    """A header reduced to lower-case ASCII words: 'Correo electrónico*' -> 'correo electronico'."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\ufeff", ""))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


@dataclass(frozen=True)
class ColumnMap:
    """Field (standard name or custom question title) -> header of the column holding it."""

    fields: dict[str, str]
    questions: dict[str, str]  # custom question title -> header
    unused: tuple[str, ...]  # headers that map to nothing (reported, never an error)
    warnings: tuple[str, ...] = ()


def resolve_columns(
    header: Iterable[str],
    *,
    explicit: Mapping[str, str] | None = None,
    question_titles: Iterable[str] = (),
    language_questions: Iterable[str] = (),
    path: str = "<list>",
) -> ColumnMap:
    """Decide which header holds which field; explicit mappings win over the defaults."""
    headers = [h for h in header if h]
    by_key: dict[str, str] = {}
    for name in headers:
        by_key.setdefault(header_key(name), name)
    titles = list(question_titles)
    fields: dict[str, str] = {}
    questions: dict[str, str] = {}
    taken: set[str] = set()
    warnings: list[str] = []

    for target, wanted in (explicit or {}).items():
        title = next((t for t in titles if header_key(t) == header_key(target)), None)
        if title is None and target not in STANDARD_FIELDS:
            raise SourceError(
                f"{path}: [registrants.columns] names {target!r}, which is neither a registrant "
                f"field ({', '.join(STANDARD_FIELDS)}) nor a custom question of the event"
            )
        found = by_key.get(header_key(wanted))
        if found is None:
            # One event file serves lists from several partners: fall back to the defaults.
            warnings.append(
                f"{path}: the event file maps {target!r} to column {wanted!r}, which this list "
                "does not have; looking for the usual headers instead"
            )
            continue
        if title is not None:
            questions[title] = found
        else:
            fields[target] = found
        taken.add(found)

    for title in titles:
        found = by_key.get(header_key(title))
        if title not in questions and found and found not in taken:
            questions[title] = found
            taken.add(found)
    # A question asking for the preferred language also answers to "Idioma", "Langue"...
    for title in language_questions:
        if title in questions:
            continue
        found = next((by_key[k] for k in DEFAULT_HEADERS["language"]
                      if k in by_key and by_key[k] not in taken), None)
        if found:
            questions[title] = found
            taken.add(found)

    for field_name, synonyms in DEFAULT_HEADERS.items():
        if field_name in fields:
            continue
        for synonym in synonyms:
            found = by_key.get(synonym)
            if found and found not in taken:
                fields[field_name] = found
                taken.add(found)
                break

    if "email" not in fields:
        raise SourceError(
            f"{path}: no email column found among: {', '.join(headers) or '(no header)'}. "
            "Name it 'email' / 'correo' / 'courriel', or map it in the event file: "
            '[registrants.columns] email = "<your header>"'
        )
    unused = tuple(h for h in headers if h not in taken)
    return ColumnMap(fields=fields, questions=questions, unused=unused, warnings=tuple(warnings))
