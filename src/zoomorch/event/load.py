"""Reading an event file: TOML → checks in three passes → :class:`EventSpec`, or one
:class:`EventFileError` with every problem of the first pass that found any.

The passes: (1) secrets and datetimes without offset, (2) each value's type and shape (the
pydantic model), (3) rules across sections (:mod:`zoomorch.event.checks`). Also
``--start-at``, which re-dates a file as it is read.

The bytes are decoded the way the registration lists are (:mod:`zoomorch.textfiles`): UTF-8
with or without BOM, UTF-16 with or without BOM, and Windows-1252 with a note (a guess). A file
over :data:`MAX_EVENT_FILE_BYTES` is refused unread, and so is binary content.
"""

from __future__ import annotations

import difflib
import logging
import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from zoomorch.event.checks import check_event
from zoomorch.event.model import EventSpec
from zoomorch.event.problems import EventFileError, FieldProblem, Problem
from zoomorch.event.secrets import secret_problems
from zoomorch.textfiles import GUESSED_ENCODINGS, FileTooLarge, decode_text, read_capped
from zoomorch.vocab.durations import DurationError, parse_duration

log = logging.getLogger(__name__)

# The seed event is 11 KB; a real one with a hundred people stays far below this.
MAX_EVENT_FILE_BYTES = 1024 * 1024
# Control characters TOML allows nowhere (tab, line feed and carriage return are whitespace).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")
_WHAT_IT_IS = "an event file is TOML text (like config/imrf-2022-latam.toml)"


def read_event_text(source: Path) -> str:
    """The text of an event file, whatever its encoding; raises EventFileError."""

    def refuse(message: str, fix: str) -> EventFileError:
        return EventFileError(source, [Problem("(file)", message, fix)])

    try:
        data = read_capped(source, MAX_EVENT_FILE_BYTES)
    except FileTooLarge:
        raise refuse(f"is larger than {MAX_EVENT_FILE_BYTES // (1024 * 1024)} MB, so it was "
                     "not read", f"check the path: {_WHAT_IT_IS}, a few dozen KB") from None
    except OSError as exc:
        raise refuse(f"cannot read it: {exc.strerror or exc}", "check the path") from None
    try:
        decoded = decode_text(data, errors="strict")
    except UnicodeDecodeError as exc:
        name = exc.encoding.upper().replace("-LE", "").replace("-BE", "")
        raise refuse(f"starts like {name} text but byte {exc.start} does not decode "
                     f"({exc.reason})", "save it again as UTF-8 in your editor") from None
    text = decoded.text
    control = _CONTROL.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        column = control.start() - (text.rfind("\n", 0, control.start()) + 1) + 1
        raise refuse(f"is not a text file: it holds the control character "
                     f"U+{ord(control.group()):04X} at line {line}, column {column}",
                     f"check the path: {_WHAT_IT_IS}; if this is the file, delete that "
                     "character") from None
    if decoded.encoding in GUESSED_ENCODINGS:
        log.warning("%s: not UTF-8; read as Windows-1252 — check that accented names "
                    "(María, Panamá) look right, and save it as UTF-8 in your editor to be sure",
                    source)
    return text


def load_event(path: str | Path, start_at: datetime | str | None = None) -> EventSpec:
    """Read, validate and (optionally) re-date an event file; raises EventFileError."""
    source = Path(path)
    raw_text = read_event_text(source)
    try:
        data = tomllib.loads(raw_text)
        spec = parse_event(data, source=source, default_key=source.stem)
    except tomllib.TOMLDecodeError as exc:
        raise EventFileError(source, [Problem("(syntax)", f"not valid TOML: {exc}",
                                              "fix the syntax at that line")]) from None
    except RecursionError:
        raise EventFileError(source, [Problem(
            "(syntax)", "arrays or tables are nested too deeply to read",
            "an event file needs a few levels; look for runs of [ or { and close them")
        ]) from None
    if start_at is not None:
        if isinstance(start_at, str):
            try:
                start_at = parse_start_at(start_at, zone=spec.webinar.zone)
            except ValueError as exc:
                raise EventFileError(source, [Problem("--start-at", str(exc))]) from None
        spec = spec.with_start(start_at)
    return spec


def parse_event(data: Mapping[str, Any], *, source: str | Path = "<event>",
                default_key: str = "event") -> EventSpec:
    """Validate an already parsed TOML document; raises EventFileError."""
    problems = list(secret_problems(data))
    payload = dict(data)
    payload.setdefault("key", default_key)
    _reject_naive_datetimes(payload, "", problems)
    if problems:
        raise EventFileError(source, problems)
    try:
        spec = EventSpec.model_validate(payload)
    except ValidationError as exc:
        raise EventFileError(source, _from_pydantic(exc)) from None
    problems = check_event(spec)
    if problems:
        raise EventFileError(source, problems)
    return spec


def _reject_naive_datetimes(data: Any, where: str, problems: list[Problem]) -> None:
    if isinstance(data, datetime) and (data.tzinfo is None or data.utcoffset() is None):
        problems.append(Problem(where, f"{data.isoformat()} has no UTC offset",
                                f"write it with its offset, e.g. {data.isoformat()}-04:00"))
    elif isinstance(data, Mapping):
        for key, value in data.items():
            _reject_naive_datetimes(value, f"{where}.{key}" if where else str(key), problems)
    elif isinstance(data, list):
        for i, item in enumerate(data):
            _reject_naive_datetimes(item, f"{where}[{i}]", problems)


def _loc(parts: Sequence[int | str]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _model_at(parts: Sequence[int | str]) -> type[BaseModel] | None:
    """The model class that owns the field at ``parts`` (to suggest fixes for typos)."""
    model: type[BaseModel] = EventSpec
    for part in parts:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation: Any = field.annotation
        for arg in (annotation, *getattr(annotation, "__args__", ())):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                model = arg
                break
            inner = getattr(arg, "__args__", ())
            found = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)),
                         None)
            if found is not None:
                model = found
                break
        else:
            return None
    return model


def _from_pydantic(exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for error in exc.errors():
        loc = list(error["loc"])
        where = _loc(loc)
        kind = error["type"]
        ctx = error.get("ctx") or {}
        original = ctx.get("error")
        if isinstance(original, FieldProblem):
            problems.append(Problem(where, original.message, original.fix))
        elif kind == "extra_forbidden":
            owner = _model_at(loc[:-1])
            known = sorted(owner.model_fields) if owner else []
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            fix = (f"did you mean '{close[0]}'?" if close
                   else f"remove it (known keys: {', '.join(known)})" if known else "remove it")
            problems.append(Problem(where, f"unknown key '{loc[-1]}'", fix))
        elif kind == "missing":
            problems.append(Problem(where, "is required", "add it"))
        elif kind == "timezone_aware":
            problems.append(Problem(where, "the datetime has no UTC offset",
                                    "write it with its offset, e.g. 2022-05-17T08:30:00-04:00"))
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(Problem(where, message, "fix the value"))
    return problems


# --------------------------------------------------------------------------- --start-at

_RELATIVE = re.compile(r"^now\s*(?:(?P<sign>[+-])\s*(?P<amount>\S.*))?$", re.I)


def parse_start_at(value: str, *, zone: ZoneInfo | None = None,
                   now: datetime | None = None) -> datetime:
    """Parse ``--start-at``: ``now``, ``now+10m``, ``now-1h30m`` or an ISO datetime.

    The amount after ``now`` is any amount of :mod:`zoomorch.vocab.durations` (``now+1d``,
    ``now+90s``, ``now+PT5M``). An ISO value without offset is read in ``zone`` (the event's
    zone); without a zone it is refused. Relative values round to the minute, up, so
    ``now+0m`` is never in the past.
    """
    text = value.strip()
    unreadable = (f"{value!r} is neither an ISO datetime nor now+N(d|h|m|s); "
                  "write e.g. 2022-05-17T08:30-04:00 or now+10m")
    match = _RELATIVE.match(text)
    if match:
        base = now or datetime.now(UTC)
        delta = timedelta()
        if match["amount"]:
            try:
                delta = parse_duration(match["amount"], sign="nonnegative")
            except DurationError:
                raise ValueError(unreadable) from None
            if match["sign"] == "-":
                delta = -delta
        moment = base + delta
        if moment.second or moment.microsecond:
            moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        return moment.astimezone(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(unreadable) from None
    if moment.tzinfo is None:
        if zone is None:
            raise ValueError(f"{value!r} has no UTC offset; add one, e.g. {text}-04:00")
        moment = moment.replace(tzinfo=zone)
    return moment
