"""From numbered source rows to the list of people who should be registered.

Every data row ends in exactly one place: a :class:`Registration` (its first row), a
:class:`Rejection` (with the reason), or a :class:`DuplicateMerge` (a later row with the same
email, merged into the earlier one). Nothing here talks to Zoom.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from zoomorch.registrants.columns import NOT_SENT, ColumnMap, header_key, resolve_columns
from zoomorch.registrants.source import SourceError, SourceRow, SourceTable
from zoomorch.registrants.values import (
    MAX_ANSWER,
    MAX_NAME,
    Language,
    RequestedStatus,
    clean_email,
    clean_text,
    control_characters,
    describe_characters,
    email_key,
    email_problem,
    parse_country,
    parse_language,
    parse_status,
)

# Zoom's standard answers we send as registrant fields (besides email and names).
ANSWER_FIELDS = (
    "address", "city", "state", "zip", "country", "phone", "industry", "org", "job_title",
    "purchasing_time_frame", "role_in_purchase_process", "no_of_employees", "comments",
)
_ENUMS: dict[str, tuple[str, ...]] = {
    "purchasing_time_frame": ("Within a month", "1-3 months", "4-6 months", "More than 6 months",
                              "No timeframe"),
    "role_in_purchase_process": ("Decision Maker", "Evaluator/Recommender", "Influencer",
                                 "Not involved"),
    "no_of_employees": ("1-20", "21-50", "51-100", "101-500", "500-1,000", "1,001-5,000",
                        "5,001-10,000", "More than 10,000"),
}
FIELD_LABELS = {
    "first_name": "first name", "last_name": "last name", "org": "organisation",
    "job_title": "job title", "zip": "postal code", "language": "preferred language",
}


@dataclass(frozen=True)
class QuestionRule:
    """A custom registration question declared in the event file."""

    title: str
    required: bool = False
    answers: tuple[str, ...] = ()  # allowed answers; empty means free text
    multiple: bool = False


@dataclass(frozen=True)
class RegistrationRules:
    """What the event asks of each registrant, and where the list keeps it."""

    required_fields: frozenset[str] = frozenset()  # standard fields, e.g. {"country", "org"}
    questions: tuple[QuestionRule, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)  # field/question -> header


@dataclass(frozen=True)
class Registration:
    """One person on the organisers' list, normalised; ``rows`` are all rows merged into it."""

    email: str
    first_name: str
    last_name: str
    answers: Mapping[str, str]
    language: Language | None
    custom_answers: tuple[tuple[str, str], ...]
    status: RequestedStatus | None
    rows: tuple[int, ...]
    cells: Mapping[str, str] = field(default_factory=dict, compare=False)  # first row, as read

    @property
    def key(self) -> str:
        return email_key(self.email)

    @property
    def row(self) -> int:
        return self.rows[0]

    def zoom_fields(self) -> dict[str, Any]:
        """The registrant as Zoom's registration endpoints take it."""
        body: dict[str, Any] = {"email": self.email, "first_name": self.first_name}
        if self.last_name:
            body["last_name"] = self.last_name
        body.update({name: value for name, value in self.answers.items() if value})
        if self.language is not None:
            body["language"] = self.language.zoom_code
        if self.custom_answers:
            body["custom_questions"] = [{"title": t, "value": v} for t, v in self.custom_answers]
        return body

    def merged_with(self, later: Registration) -> Registration:
        """This registration updated by a later row of the same person (non-empty values win)."""
        answers = dict(self.answers)
        answers.update({k: v for k, v in later.answers.items() if v})
        custom = dict(self.custom_answers)
        custom.update({k: v for k, v in later.custom_answers if v})
        return replace(
            self,
            first_name=later.first_name or self.first_name,
            last_name=later.last_name or self.last_name,
            answers=answers,
            language=later.language or self.language,
            custom_answers=tuple(custom.items()),
            status=later.status or self.status,
            rows=self.rows + later.rows,
        )


@dataclass(frozen=True)
class Rejection:
    """A row that cannot be registered, and why."""

    row: int
    reason: str
    email: str
    cells: Mapping[str, str]


@dataclass(frozen=True)
class DuplicateMerge:
    row: int
    into_row: int
    email: str

    @property
    def message(self) -> str:
        return (f"row {self.row} has the same email as row {self.into_row} ({self.email}, "
                f"compared without case): merged; non-empty values from row {self.row} win")


@dataclass(frozen=True)
class RegistrationList:
    """The outcome of reading a list: people, rejected rows, merged duplicates."""

    path: str
    encoding: str
    header: tuple[str, ...]
    columns: ColumnMap
    registrations: tuple[Registration, ...]
    rejections: tuple[Rejection, ...]
    merges: tuple[DuplicateMerge, ...]
    data_rows: int
    blank_rows: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()
    line_count: int = 0  # the file's lines, counted from its line breaks
    lines_read: int = 0  # the lines the header, blank rows and rows took up
    multi_line_rows: tuple[int, ...] = ()  # rows with a cell that holds a line break
    sheet: str = ""  # a workbook's sheet that was read
    hidden_rows: tuple[int, ...] = ()  # a workbook's rows hidden in Excel (read all the same)

    def by_key(self) -> dict[str, Registration]:
        return {registration.key: registration for registration in self.registrations}


class _RowRejected(Exception):
    pass


def _require_columns(columns: ColumnMap, rules: RegistrationRules, path: str) -> None:
    missing = [
        FIELD_LABELS.get(name, name)
        for name in sorted(rules.required_fields)
        if name not in columns.fields and not (name == "first_name" and "name" in columns.fields)
    ]
    missing += [q.title for q in rules.questions if q.required and q.title not in columns.questions]
    if missing:
        raise SourceError(
            f"{path}: the event requires {', '.join(repr(m) for m in missing)} but the list has "
            "no column for it; add the column or map it in [registrants.columns]"
        )


class _Cells:
    """One row's cells, cleaned; notes what invisible control characters were removed."""

    def __init__(self, row: SourceRow, notes: list[str]) -> None:
        self.row = row
        self.notes = notes

    def get(self, header: str | None, label: str, *, keep_lines: bool = False) -> str:
        if header is None:
            return ""
        raw = self.row.cells.get(header, "")
        removed = control_characters(raw)
        if removed:
            self.notes.append(
                f"row {self.row.number}: removed from {label}: {describe_characters(removed)}")
        return clean_text(raw, keep_lines=keep_lines)


def _as_language(value: str) -> Language | None:
    try:
        return parse_language(value)
    except ValueError:
        return None


def _asks_language(question: QuestionRule) -> bool:
    return bool(question.answers) and not question.multiple and all(
        _as_language(option) for option in question.answers)


def _choice(value: str, allowed: Sequence[str], what: str) -> str:
    for option in allowed:
        if header_key(option) == header_key(value):
            return option
    # A language question ("Español / English / Français") also takes ES, anglais, Spanish...
    wanted = _as_language(value)
    if wanted is not None:
        matches = [option for option in allowed if _as_language(option) is wanted]
        if len(matches) == 1:
            return matches[0]
    raise _RowRejected(f"{what} {value!r} is not one of: {', '.join(allowed)}")


def _registration(row: SourceRow, columns: ColumnMap, rules: RegistrationRules,
                  notes: list[str]) -> Registration:
    fields = columns.fields
    raw_email = row.cells.get(fields["email"], "")
    hidden = control_characters(raw_email)
    if hidden:
        # An address is not guessed at: a bidi override can make one address look like another.
        plural = "s" if len(hidden) > 1 else ""
        raise _RowRejected(f"email contains an invisible control character{plural} "
                           f"({describe_characters(hidden)}); retype the address")
    email = clean_email(raw_email)
    problem = email_problem(email)
    if problem:
        raise _RowRejected(problem)

    cells = _Cells(row, notes)
    first = cells.get(fields.get("first_name"), "first name")
    last = cells.get(fields.get("last_name"), "last name")
    if not first and not last:
        full = cells.get(fields.get("name"), "name")
        first, _, last = full.partition(" ")
    if not first:
        raise _RowRejected("no first name (Zoom requires one)")
    for label, value in (("first name", first), ("last name", last)):
        if len(value) > MAX_NAME:
            raise _RowRejected(f"{label} is longer than Zoom's {MAX_NAME} characters")

    answers: dict[str, str] = {}
    for name in ANSWER_FIELDS:
        value = cells.get(fields.get(name), FIELD_LABELS.get(name, name),
                          keep_lines=name == "comments")
        if value and name == "country":
            try:
                value = parse_country(value) or ""
            except ValueError as error:
                raise _RowRejected(str(error)) from None
        elif value and name in _ENUMS:
            value = _choice(value, _ENUMS[name], FIELD_LABELS.get(name, name))
        answers[name] = value

    try:
        language = parse_language(cells.get(fields.get("language"), "preferred language"))
        status = parse_status(cells.get(fields.get("status"), "status"))
    except ValueError as error:
        raise _RowRejected(str(error)) from None

    custom: list[tuple[str, str]] = []
    for question in rules.questions:
        value = cells.get(columns.questions.get(question.title), repr(question.title))
        if value and question.answers:
            if question.multiple:
                parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
                value = ", ".join(_choice(p, question.answers, f"answer to {question.title!r}")
                                  for p in parts)
            else:
                value = _choice(value, question.answers, f"answer to {question.title!r}")
        if len(value) > MAX_ANSWER:
            raise _RowRejected(
                f"answer to {question.title!r} is longer than Zoom's {MAX_ANSWER} characters"
            )
        if question.required and not value:
            header = columns.questions.get(question.title)
            raise _RowRejected(f"missing required answer {question.title!r} (column {header!r})")
        if value:
            custom.append((question.title, value))
            if language is None and _asks_language(question):
                language = _as_language(value)  # also the language of Zoom's emails to them

    present = {"first_name": first, "last_name": last, "language": language, **answers}
    for name in sorted(rules.required_fields):
        if not present.get(name):
            header = fields.get(name)
            raise _RowRejected(
                f"missing required answer {FIELD_LABELS.get(name, name)!r} (column {header!r})"
            )
    return Registration(
        email=email, first_name=first, last_name=last, answers=answers, language=language,
        custom_answers=tuple(custom), status=status, rows=(row.number,), cells=row.cells,
    )


def normalise_table(table: SourceTable, rules: RegistrationRules | None = None) -> RegistrationList:
    """Validate, normalise and de-duplicate every row of ``table``."""
    rules = rules or RegistrationRules()
    columns = resolve_columns(
        table.header,
        explicit=rules.columns,
        question_titles=[q.title for q in rules.questions],
        language_questions=[q.title for q in rules.questions if _asks_language(q)],
        path=table.path,
    )
    _require_columns(columns, rules, table.path)
    warnings = list(table.warnings) + list(columns.warnings)
    people: dict[str, Registration] = {}
    rejections: list[Rejection] = []
    merges: list[DuplicateMerge] = []
    used = _used_headers(columns)
    ignored: dict[str, list[str]] = {}  # unused column -> its cells' problems
    for row in table.rows:
        if row.extra_cells:
            warnings.append(f"row {row.number}: {len(row.extra_cells)} cell(s) beyond the last "
                            "header column were ignored")
        try:
            for header, problem in row.problems:
                if header not in used:
                    ignored.setdefault(header, []).append(problem.split(" ", 1)[0])
            bad = [problem for header, problem in row.problems if header in used]
            if bad:
                raise _RowRejected("; ".join(bad))
            registration = _registration(row, columns, rules, warnings)
        except _RowRejected as rejected:
            email = clean_email(row.cells.get(columns.fields["email"], ""))
            rejections.append(Rejection(row.number, str(rejected), email, row.cells))
            continue
        earlier = people.get(registration.key)
        if earlier is None:
            people[registration.key] = registration
            continue
        merges.append(DuplicateMerge(row.number, earlier.row, registration.email))
        people[registration.key] = earlier.merged_with(registration)
    for header, cells in ignored.items():
        shown = ", ".join(cells[:5]) + (f" and {len(cells) - 5} more" if len(cells) > 5 else "")
        warnings.append(f"column {header!r} is not sent to Zoom, so its cells without a usable "
                        f"value (a formula with no saved value, or an error) do not matter: "
                        f"{shown}")
    return RegistrationList(
        path=table.path,
        encoding=table.encoding,
        header=table.header,
        columns=columns,
        registrations=tuple(people.values()),
        rejections=tuple(rejections),
        merges=tuple(merges),
        data_rows=len(table.rows),
        blank_rows=table.blank_rows,
        warnings=tuple(warnings),
        line_count=table.line_count,
        lines_read=table.lines_read,
        multi_line_rows=table.multi_line_rows,
        sheet=table.sheet,
        hidden_rows=table.hidden_rows,
    )


def _used_headers(columns: ColumnMap) -> set[str]:
    """The headers whose cells reach Zoom (the form's submission time does not)."""
    return ({h for name, h in columns.fields.items() if name not in NOT_SENT}
            | set(columns.questions.values()))
