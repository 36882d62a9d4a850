"""The event file: one declarative TOML file per webinar, validated once into :class:`EventSpec`.

Every problem found in a file is collected into a single :class:`EventFileError` whose lines
name the file, the field and the fix, e.g.::

    config/x.toml: agenda[1].minutes: segments overflow the webinar (65 of 60 minutes)
      — shorten a segment or raise webinar.duration_minutes
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

# Zoom's interpretation language codes (country-style ids) and their readable names.
ZOOM_LANGUAGES: dict[str, str] = {
    "US": "English",
    "CN": "Chinese",
    "JP": "Japanese",
    "DE": "German",
    "FR": "French",
    "RU": "Russian",
    "PT": "Portuguese",
    "ES": "Spanish",
    "KR": "Korean",
}
_LANGUAGE_ALIASES: dict[str, str] = {
    **{code.lower(): code for code in ZOOM_LANGUAGES},
    **{name.lower(): code for code, name in ZOOM_LANGUAGES.items()},
    # ISO 639-1 codes and names in the language itself, which people naturally write.
    "en": "US", "zh": "CN", "ja": "JP", "ko": "KR",
    "mandarin": "CN", "español": "ES", "espanol": "ES", "castellano": "ES",
    "français": "FR", "francais": "FR", "deutsch": "DE", "português": "PT", "portugues": "PT",
    "русский": "RU", "中文": "CN", "日本語": "JP", "한국어": "KR",
}
MAX_INTERPRETERS = 20  # Zoom's limit per webinar
MAX_TOPIC_CHARS = 200
MAX_AGENDA_CHARS = 2000

# Zoom's standard registration fields (field_name) and readable aliases.
STANDARD_QUESTIONS: tuple[str, ...] = (
    "last_name", "address", "city", "country", "zip", "state", "phone", "industry", "org",
    "job_title", "purchasing_time_frame", "role_in_purchase_process", "no_of_employees",
    "comments",
)
_QUESTION_ALIASES = {
    "organisation": "org", "organization": "org", "company": "org", "surname": "last_name",
    "postcode": "zip", "postal_code": "zip", "province": "state", "comment": "comments",
    "questions": "comments", "title": "job_title",
}
REGISTRANT_FIELDS: tuple[str, ...] = (
    "email", "first_name", "last_name", "address", "city", "state", "zip", "country", "phone",
    "comments", "industry", "job_title", "no_of_employees", "org", "purchasing_time_frame",
    "role_in_purchase_process", "language",
)
# What ``[registrants.columns]`` may map: Zoom's fields, plus two columns only a list has — a
# full name (split into first and last) and the registrant's status (approve / deny / cancel).
REGISTRANT_COLUMNS: tuple[str, ...] = (*REGISTRANT_FIELDS, "name", "status")

_SECRET_KEY = re.compile(
    r"(secret|token|password|passwd|passcode|api[_-]?key|private[_-]?key|credential)", re.I
)
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# Ids and the event key end up in URLs, file names and 200-character database columns.
_PERSON_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an event file: where, what, and how to fix it."""

    field: str
    message: str
    fix: str = ""

    def render(self, source: str) -> str:
        text = f"{source}: {self.field}: {self.message}"
        return f"{text} — {self.fix}" if self.fix else text


class EventFileError(ValueError):
    """Every problem found in one event file, reported together."""

    def __init__(self, source: str | Path, problems: Sequence[Problem]) -> None:
        self.source = str(source)
        self.problems = list(problems)
        super().__init__("\n".join(p.render(self.source) for p in self.problems))


class _FieldProblem(ValueError):
    """Raised inside validators so the message and the fix survive pydantic's wrapping."""

    def __init__(self, message: str, fix: str = "") -> None:
        self.message, self.fix = message, fix
        super().__init__(f"{message} — {fix}" if fix else message)


# --------------------------------------------------------------------------- helpers


def zoom_language(value: str) -> str:
    """Zoom's code for a language given as a code ("ES") or a readable name ("Spanish")."""
    code = _LANGUAGE_ALIASES.get(value.strip().lower())
    if code is None:
        accepted = ", ".join(f"{c} ({n})" for c, n in ZOOM_LANGUAGES.items())
        raise _FieldProblem(f"{value!r} is not a Zoom interpretation language",
                            f"use one of {accepted}")
    return code


def language_name(code: str) -> str:
    """Readable name of a Zoom language code."""
    return ZOOM_LANGUAGES.get(code, code)


# A language field: accepts a Zoom code or a readable name, holds the Zoom code.
ZoomLanguage = Annotated[str, AfterValidator(lambda value: zoom_language(value))]


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise _FieldProblem(f"unknown time zone {value!r}",
                            "use an IANA name such as 'America/New_York' or 'Europe/Zurich'"
                            ) from None
    return value


_AMOUNT = re.compile(r"^\s*(?P<body>(?:\d+(?:\.\d+)?\s*[hms]\s*)+)$", re.I)
_AMOUNT_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([hms])", re.I)


def _duration(value: Any) -> Any:
    """Minutes as a number (``5``, ``0.5``) or an amount with units (``"90s"``, ``"1h30m"``)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise _FieldProblem(f"{value!r} is not an amount of time",
                            "write minutes as a number (e.g. 5) or a string like \"90s\"")
    if isinstance(value, int | float):
        amount = timedelta(minutes=value)
    elif isinstance(value, str) and _AMOUNT.match(value):
        unit = {"h": 3600.0, "m": 60.0, "s": 1.0}
        amount = timedelta(seconds=sum(float(n) * unit[u.lower()]
                                       for n, u in _AMOUNT_PART.findall(value)))
    else:
        raise _FieldProblem(f"{value!r} is not an amount of time",
                            "write minutes as a number (e.g. 5) or a string like \"90s\" "
                            "or \"1h30m\"")
    if amount < timedelta(0):
        raise _FieldProblem(f"{value!r} is negative", "write zero or more")
    return amount


# An amount of time: a number of minutes or a string with units; never negative.
Duration = Annotated[timedelta, BeforeValidator(_duration)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --------------------------------------------------------------------------- the model


class Role(StrEnum):
    HOST = "host"
    ALTERNATIVE_HOST = "alternative_host"
    MODERATOR = "moderator"
    PANELIST = "panelist"
    INTERPRETER = "interpreter"


class WebinarSettings(_Model):
    """Webinar settings we manage; anything not listed here is left as Zoom has it."""

    practice_session: bool = True
    panelists_video: bool = True
    hd_video: bool = True
    host_video: bool = True
    auto_recording: Literal["none", "local", "cloud"] = "none"
    on_demand: bool = False


class Webinar(_Model):
    title: str = Field(min_length=1, max_length=MAX_TOPIC_CHARS)
    description: str = Field(default="", max_length=MAX_AGENDA_CHARS)
    start: AwareDatetime
    timezone: str
    duration_minutes: int = Field(gt=0, le=24 * 60)
    settings: WebinarSettings = WebinarSettings()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _zone(value)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def start_utc(self) -> datetime:
        return self.start.astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        return self.start_utc + timedelta(minutes=self.duration_minutes)


class Person(_Model):
    """Someone with a part in the webinar. ``id`` is how the agenda refers to them."""

    id: str
    name: str = Field(min_length=1)
    email: str | None = None
    organisation: str = ""
    position: str = ""
    roles: list[Role] = Field(min_length=1)
    country: str = ""
    location: str = ""  # a city, shown next to the time zone
    timezone: str
    languages: list[ZoomLanguage] = Field(min_length=1)
    tbc: bool = False  # not confirmed yet: allowed, flagged by plan, not invited

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _PERSON_ID.match(value):
            raise _FieldProblem(f"{value!r} is not a usable id",
                                "use lowercase letters, digits, '-' or '_' (at most 100), "
                                "e.g. 'ana-diez'")
        return value

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _EMAIL.match(value):
            raise _FieldProblem(f"{value!r} is not a valid email address",
                                "write it as name@domain (placeholders: name@example.org)")
        return value.lower()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _zone(value)

    @property
    def language(self) -> str:
        """The language this person speaks on the floor (their first)."""
        return self.languages[0]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def has(self, role: Role) -> bool:
        return role in self.roles


class Segment(_Model):
    """One block of the run-of-show. ``start`` (local clock time) is optional: when given it
    must meet the previous segment's end exactly."""

    title: str = Field(min_length=1)
    minutes: int = Field(gt=0)
    start: time | None = None
    speakers: list[str] = []
    moderator: str | None = None
    language: ZoomLanguage | None = None
    notes: str = ""
    # Warnings before the segment's end (minutes, or "90s"); absent: scaled with its length,
    # e.g. 5 and 2 minutes for a 50-minute panel; [] for none.
    warnings: list[Duration] | None = None

    @field_validator("start", mode="before")
    @classmethod
    def _clock(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return time.fromisoformat(value)
            except ValueError:
                raise _FieldProblem(f"{value!r} is not a clock time",
                                    "write it as HH:MM in the webinar's time zone") from None
        return value


class InterpreterAssignment(_Model):
    person: str
    languages: tuple[ZoomLanguage, ZoomLanguage]

    @field_validator("languages", mode="before")
    @classmethod
    def _pair(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [v for v in re.split(r"[,/⇄↔<>\s-]+", value) if v]
        return value

    @field_validator("languages")
    @classmethod
    def _distinct(cls, value: tuple[str, str]) -> tuple[str, str]:
        first, second = value
        if first == second:
            raise _FieldProblem(f"an interpreter pair needs two different languages, got "
                                f"{first} and {second}", "name the two languages interpreted")
        return (first, second)

    @property
    def zoom_languages(self) -> str:
        """The pair as Zoom writes it: ``"US,ES"``."""
        return ",".join(self.languages)


class Interpretation(_Model):
    floor: ZoomLanguage
    languages: list[ZoomLanguage] = Field(min_length=2)
    interpreters: list[InterpreterAssignment] = []


class StandardQuestion(_Model):
    field: str
    required: bool = True

    @field_validator("field")
    @classmethod
    def _known(cls, value: str) -> str:
        key = value.strip().lower().replace(" ", "_")
        key = _QUESTION_ALIASES.get(key, key)
        if key not in STANDARD_QUESTIONS:
            raise _FieldProblem(f"{value!r} is not one of Zoom's registration fields",
                                f"use one of {', '.join(STANDARD_QUESTIONS)} "
                                "or add it under registration.custom_questions")
        return key


class CustomQuestion(_Model):
    title: str = Field(min_length=1)
    type: Literal["short", "single_radio", "single_dropdown", "multiple"] = "short"
    required: bool = False
    answers: list[str] = []


class Registration(_Model):
    approval: Literal["automatic", "manual"] = "automatic"
    questions: list[StandardQuestion] = []
    custom_questions: list[CustomQuestion] = []

    @property
    def approval_type(self) -> int:
        """Zoom's settings.approval_type: 0 automatic, 1 manual."""
        return 0 if self.approval == "automatic" else 1


class Registrants(_Model):
    """How the registration list maps onto Zoom: ``columns`` maps a Zoom registrant field (or a
    custom question's title) to the source column that holds it."""

    source: str | None = None
    columns: dict[str, str] = {}


class CueConfig(_Model):
    """The ``[cues]`` section: how live cues are planned for this event.

    Amounts are minutes (a number) or strings with units (``"90s"``). ``0`` turns off overrun
    cues (``overrun_every``) and hand-over reminders (``handover_every``).
    """

    advance: Literal["manual", "auto"] = "manual"
    tech_check_before: Duration = timedelta(minutes=30)
    doors_open_before: Duration = timedelta(minutes=10)
    overrun_every: Duration = timedelta(minutes=1)
    handover_every: Duration = timedelta(minutes=30)
    hard_stop_grace: Duration = timedelta(0)
    late_grace: Duration = timedelta(minutes=2)
    # Enforcement through the Zoom API; off unless the event opts in.
    end_webinar_at_hard_stop: bool = False
    # Gone: Zoom's in-meeting controls (recording.start) are documented for meetings only.
    record_at_start: bool = False

    @field_validator("record_at_start")
    @classmethod
    def _no_record_at_start(cls, value: bool) -> bool:
        if value:
            raise _FieldProblem(
                "zoomorch no longer starts the recording through Zoom's in-meeting controls, "
                "which Zoom documents for meetings only (a webinar id is refused)",
                'remove it and record with auto_recording = "cloud" under '
                "[webinar.settings] (zoomorch apply sets it)")
        return value

    @field_validator("advance", mode="before")
    @classmethod
    def _advance(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("manual", "auto"):
            return value.strip().lower()
        raise _FieldProblem(f"{value!r} is neither manual nor auto",
                            'use "manual" (a segment ends when the host says `next`) or '
                            '"auto" (every segment ends on time)')


CHANNELS: tuple[str, ...] = ("console", "zoom_chat", "webhook", "email", "board")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Incoming-webhook services whose URL path *is* the credential.
_SECRET_URL_HOSTS: tuple[tuple[str, str], ...] = (
    ("hooks.slack.com", "/services/"), ("hooks.slack.com", "/workflows/"),
    ("hooks.slack.com", "/triggers/"), ("discord.com", "/api/webhooks/"),
    ("discordapp.com", "/api/webhooks/"), ("webhook.office.com", "/"),
    ("outlook.office.com", "/webhook"), ("chat.googleapis.com", "/"),
    ("hooks.zapier.com", "/hooks/"), ("maker.ifttt.com", "/trigger/"),
    ("api.telegram.org", "/bot"),
)
_SECRET_PARAM = re.compile(r"(token|key|secret|sig|signature|auth|code|pass|credential)", re.I)
_RANDOM_SEGMENT = re.compile(r"^[A-Za-z0-9_\-]{20,}$")


def url_secret_reason(url: str) -> str | None:
    """Why a webhook URL looks like it carries a secret (None if it does not)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.password or parts.username:
        return "it has a user name or password in it"
    for known_host, path in _SECRET_URL_HOSTS:
        if ((host == known_host or host.endswith("." + known_host))
                and parts.path.startswith(path)):
            return f"the path of a {known_host} incoming webhook is its secret"
    for name, _ in parse_qsl(parts.query, keep_blank_values=True):
        if _SECRET_PARAM.search(name):
            return f"its query parameter {name!r} looks like a credential"
    for segment in parts.path.split("/"):
        if (_RANDOM_SEGMENT.match(segment) and re.search(r"\d", segment)
                and re.search(r"[A-Za-z]", segment)):
            return "a part of its path looks like a token"
    return None


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}/…"


class WebhookChannel(_Model):
    """A Slack-compatible webhook. Its URL usually is a secret: name the environment variable
    that holds it (``url_env``); a literal ``url`` is only for URLs without credentials."""

    url: str | None = None
    url_env: str | None = None
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _plain_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise _FieldProblem(f"{_safe_url(value)} is not an http(s) URL",
                                "write it as https://host/path")
        reason = url_secret_reason(value)
        if reason is not None:
            raise _FieldProblem(
                f"this URL carries a secret ({reason}) and the event file is shared",
                "put the URL in an environment variable and write "
                'url_env = "ZOOMORCH_CUE_WEBHOOK_URL" instead of url')
        return value

    @field_validator("url_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise _FieldProblem(f"{value!r} is not an environment variable name",
                                'name the variable, e.g. url_env = "ZOOMORCH_CUE_WEBHOOK_URL"')
        return value


class EmailChannel(_Model):
    """Cues by email over SMTP. The password comes from ``ZOOMORCH_SMTP_PASSWORD`` only."""

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    sender: str = "zoomorch@localhost"
    starttls: bool = True
    user: str | None = None

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        if not _EMAIL.match(value) and not re.match(r"^[^@\s]+@localhost$", value):
            raise _FieldProblem(f"{value!r} is not an email address",
                                "write the sender as name@domain")
        return value


class ZoomChatChannel(_Model):
    """Cues through Zoom Team Chat, sent by ``sender``: a user of the Zoom account (with
    Server-to-Server OAuth ``me`` would be the app's owner). ``ZOOMORCH_CHAT_SENDER`` wins
    over the file. ``people`` messages each person at their email, which Zoom delivers only to
    the sender's contacts (the account's users and people they added); anyone else falls back
    to their next channel. ``channel`` (a Team Chat channel id the sender is a member of) gets
    each cue once, and can include people from other organisations."""

    sender: str | None = None
    people: bool = True
    channel: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.strip().lower() == "me":
            raise _FieldProblem(
                "'me' is the owner of the Server-to-Server OAuth app, who is rarely the person "
                "meant to send cues", "name the sending user by email, e.g. "
                'sender = "tech.host@your-org.org"')
        if not _EMAIL.match(value):
            raise _FieldProblem(f"{value!r} is not an email address",
                                "write the email of a user of the Zoom account")
        return value


class Notifications(_Model):
    """The ``[notifications]`` section: the channels cues go out on.

    ``people`` restricts someone to some channels (``ana-maria-diez = ["zoom_chat"]``); the
    cue board shows every cue of the event whatever is chosen here.
    """

    console: bool = True
    zoom_chat: bool | ZoomChatChannel = False
    board: bool = True
    webhook: WebhookChannel | None = None
    email: EmailChannel | None = None
    people: dict[str, list[str]] = {}

    def enabled(self) -> list[str]:
        """The channels this file turns on, in a fixed order."""
        on = {"console": self.console, "zoom_chat": bool(self.zoom_chat), "board": self.board,
              "webhook": self.webhook is not None, "email": self.email is not None}
        return [c for c in CHANNELS if on[c]]


@dataclass(frozen=True)
class ScheduledSegment:
    """A segment placed in time (UTC instants; convert with ``astimezone`` for display)."""

    index: int
    segment: Segment
    start: datetime
    end: datetime
    speakers: tuple[Person, ...]
    moderator: Person | None
    language: str

    @property
    def title(self) -> str:
        return self.segment.title


class EventSpec(_Model):
    """One event as the file describes it; validated and tz-aware."""

    key: str
    webinar: Webinar
    people: list[Person] = []
    agenda: list[Segment] = Field(min_length=1)
    interpretation: Interpretation | None = None
    registration: Registration = Registration()
    registrants: Registrants = Registrants()
    cues: CueConfig = CueConfig()
    notifications: Notifications = Notifications()

    @field_validator("key")
    @classmethod
    def _key_shape(cls, value: str) -> str:
        if not _PERSON_ID.match(value):
            raise _FieldProblem(
                f"{value!r} is not a usable event key (it names the webinar in the state "
                "store, URLs and file names)",
                "set key = \"...\" at the top of the file: lowercase letters, digits, '-' or "
                "'_' (at most 100), e.g. 'imrf-2022-latam'")
        return value

    # -- lookups ------------------------------------------------------------------------

    def person(self, person_id: str) -> Person:
        for candidate in self.people:
            if candidate.id == person_id:
                return candidate
        raise KeyError(person_id)

    def with_role(self, role: Role) -> list[Person]:
        return [p for p in self.people if p.has(role)]

    @property
    def floor_language(self) -> str:
        if self.interpretation is not None:
            return self.interpretation.floor
        first = next(iter(self.people), None)
        return first.language if first else "US"

    @property
    def time_zones(self) -> list[str]:
        """The webinar's zone first, then every participant's zone, without repeats."""
        zones = [self.webinar.timezone]
        for person in self.people:
            if person.timezone not in zones:
                zones.append(person.timezone)
        return zones

    def zone_label(self, zone: str) -> str:
        """A readable place for a zone: a participant's location, or the zone's city."""
        for person in self.people:
            if person.timezone == zone and person.location:
                return person.location
        return zone.rsplit("/", 1)[-1].replace("_", " ")

    # -- time -----------------------------------------------------------------------------

    def segment_offsets(self) -> list[tuple[int, int]]:
        """(start, end) of each segment in minutes from the webinar start."""
        offsets: list[tuple[int, int]] = []
        cursor = 0
        for segment in self.agenda:
            start = cursor if segment.start is None else self._clock_offset(segment.start)
            offsets.append((start, start + segment.minutes))
            cursor = start + segment.minutes
        return offsets

    def _clock_offset(self, clock: time) -> int:
        local = self.webinar.start.astimezone(self.webinar.zone)
        at = datetime.combine(local.date(), clock, tzinfo=self.webinar.zone)
        if at < local - timedelta(hours=1):  # a clock time after midnight
            at += timedelta(days=1)
        return round((at.astimezone(UTC) - local.astimezone(UTC)).total_seconds() / 60)

    def schedule(self) -> list[ScheduledSegment]:
        """Every segment with its start and end (UTC), speakers, moderator and language."""
        base = self.webinar.start_utc
        placed: list[ScheduledSegment] = []
        for index, (segment, (start, end)) in enumerate(
            zip(self.agenda, self.segment_offsets(), strict=True)
        ):
            speakers = tuple(self.person(p) for p in segment.speakers)
            moderator = self.person(segment.moderator) if segment.moderator else None
            language = segment.language or next(
                (p.language for p in (*speakers, moderator) if p is not None),
                self.floor_language,
            )
            # Arithmetic in UTC: wall-clock addition across a DST change would be wrong.
            placed.append(ScheduledSegment(index, segment, base + timedelta(minutes=start),
                                           base + timedelta(minutes=end), speakers, moderator,
                                           language))
        return placed

    def with_start(self, new_start: datetime) -> EventSpec:
        """The same event re-dated to start at ``new_start`` (aware); segments keep their
        offsets, so explicit segment clock times move with it."""
        if new_start.tzinfo is None or new_start.utcoffset() is None:
            raise ValueError("with_start needs an aware datetime")
        offsets = self.segment_offsets()
        start = new_start.astimezone(self.webinar.zone)
        agenda = [
            seg if seg.start is None else seg.model_copy(
                update={"start": (start.astimezone(UTC) + timedelta(minutes=off[0]))
                        .astimezone(self.webinar.zone).time()})
            for seg, off in zip(self.agenda, offsets, strict=True)
        ]
        webinar = self.webinar.model_copy(update={"start": start})
        return self.model_copy(update={"webinar": webinar, "agenda": agenda})

    # -- what plan reports ----------------------------------------------------------------

    def tbc_people(self) -> list[Person]:
        return [p for p in self.people if p.tbc]


# --------------------------------------------------------------------------- loading


def load_event(path: str | Path, start_at: datetime | str | None = None) -> EventSpec:
    """Read, validate and (optionally) re-date an event file; raises EventFileError."""
    source = Path(path)
    try:
        raw_text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise EventFileError(source, [Problem("(file)", f"cannot read it: {exc.strerror}",
                                              "check the path")]) from None
    try:
        data = tomllib.loads(raw_text)
    except tomllib.TOMLDecodeError as exc:
        raise EventFileError(source, [Problem("(syntax)", f"not valid TOML: {exc}",
                                              "fix the syntax at that line")]) from None
    spec = parse_event(data, source=source, default_key=source.stem)
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
    problems = list(_secret_problems(data))
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


def _secret_problems(data: Any, prefix: str = "") -> Iterable[Problem]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            where = f"{prefix}.{key}" if prefix else str(key)
            if _SECRET_KEY.search(str(key)):
                fix = ("remove it and set ZOOM_CLIENT_SECRET and friends in the environment or "
                       "a .env file that is not committed")
                if where.startswith("notifications.email"):
                    fix = "remove it; the SMTP password comes from ZOOMORCH_SMTP_PASSWORD only"
                elif where.startswith("notifications"):
                    fix = ("remove it; put the secret in an environment variable and name it "
                           "(e.g. url_env = \"ZOOMORCH_CUE_WEBHOOK_URL\")")
                yield Problem(where, "secrets never go in the event file", fix)
            else:
                yield from _secret_problems(value, where)
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from _secret_problems(item, f"{prefix}[{i}]")


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
        if isinstance(original, _FieldProblem):
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


# --------------------------------------------------------------------------- cross-checks


def check_event(spec: EventSpec) -> list[Problem]:
    """Rules that span several fields; returns every problem found (empty when valid)."""
    problems: list[Problem] = []
    problems += _check_people(spec)
    problems += _check_agenda(spec)
    problems += _check_interpretation(spec)
    problems += _check_registrants(spec)
    problems += _check_cues(spec)
    problems += _check_notifications(spec)
    return problems


def _check_people(spec: EventSpec) -> list[Problem]:
    problems: list[Problem] = []
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for i, person in enumerate(spec.people):
        if person.id in seen_ids:
            problems.append(Problem(f"people[{i}].id", f"'{person.id}' is already used by "
                                    f"people[{seen_ids[person.id]}]", "give each person a "
                                    "unique id"))
        seen_ids.setdefault(person.id, i)
        if person.email is None:
            if not person.tbc:
                problems.append(Problem(f"people[{i}].email", f"{person.name} has no email",
                                        "add their email (or mark them tbc = true)"))
            continue
        if person.email in seen_emails:
            problems.append(Problem(f"people[{i}].email", f"{person.email} is also the email "
                                    f"of people[{seen_emails[person.email]}]",
                                    "each person needs their own email address"))
        seen_emails.setdefault(person.email, i)
    hosts = spec.with_role(Role.HOST)
    if len(hosts) > 1:
        problems.append(Problem("people", f"{len(hosts)} people have the role 'host'",
                                "keep one host; make the others alternative_host"))
    return problems


def _check_agenda(spec: EventSpec) -> list[Problem]:
    problems: list[Problem] = []
    known = {p.id for p in spec.people}
    speaking_roles = {Role.HOST, Role.ALTERNATIVE_HOST, Role.MODERATOR, Role.PANELIST}
    for i, segment in enumerate(spec.agenda):
        refs = [(f"agenda[{i}].speakers[{j}]", ref) for j, ref in enumerate(segment.speakers)]
        if segment.moderator is not None:
            refs.append((f"agenda[{i}].moderator", segment.moderator))
        for where, ref in refs:
            if ref not in known:
                close = difflib.get_close_matches(ref, sorted(known), n=1)
                problems.append(Problem(where, f"no person with id '{ref}'",
                                        f"did you mean '{close[0]}'?" if close
                                        else "add them under [[people]]"))
            elif not speaking_roles.intersection(spec.person(ref).roles):
                problems.append(Problem(where, f"'{ref}' speaks but is only "
                                        f"{', '.join(spec.person(ref).roles)}",
                                        "add the role 'panelist' (or 'moderator') to them"))
        if (segment.moderator and segment.moderator in known
                and not spec.person(segment.moderator).has(Role.MODERATOR)):
            problems.append(Problem(f"agenda[{i}].moderator", f"'{segment.moderator}' "
                                    "moderates but lacks the role 'moderator'",
                                    "add 'moderator' to their roles"))
    if problems:
        return problems
    total = spec.webinar.duration_minutes
    cursor = 0
    for i, (start, end) in enumerate(spec.segment_offsets()):
        where = f"agenda[{i}].start"
        if start > cursor:
            problems.append(Problem(where, f"leaves a {start - cursor}-minute gap after the "
                                    "previous segment", "remove start or make it meet the "
                                    "previous segment's end"))
        elif start < cursor:
            problems.append(Problem(where, f"overlaps the previous segment by "
                                    f"{cursor - start} minutes", "move it later or shorten the "
                                    "previous segment"))
        cursor = max(cursor, end)
    last = len(spec.agenda) - 1
    if cursor > total:
        problems.append(Problem(f"agenda[{last}].minutes", f"segments overflow the webinar "
                                f"({cursor} of {total} minutes)", "shorten a segment or raise "
                                "webinar.duration_minutes"))
    elif cursor < total:
        problems.append(Problem(f"agenda[{last}].minutes", f"segments leave the last "
                                f"{total - cursor} of {total} minutes unplanned",
                                "lengthen a segment, add one, or lower webinar.duration_minutes"))
    return problems


def _check_interpretation(spec: EventSpec) -> list[Problem]:
    problems: list[Problem] = []
    interp = spec.interpretation
    if interp is None:
        return problems
    configured = set(interp.languages)
    if len(configured) != len(interp.languages):
        problems.append(Problem("interpretation.languages", "a language is listed twice",
                                "list each language once"))
    if interp.floor not in configured:
        problems.append(Problem("interpretation.floor", f"floor language {interp.floor} is not "
                                "in interpretation.languages", f"add {interp.floor} to "
                                "interpretation.languages"))
    if len(interp.interpreters) > MAX_INTERPRETERS:
        problems.append(Problem("interpretation.interpreters", f"{len(interp.interpreters)} "
                                f"interpreters; Zoom allows at most {MAX_INTERPRETERS}",
                                "remove some or share a pair between fewer interpreters"))
    known = {p.id for p in spec.people}
    edges: dict[str, set[str]] = {code: set() for code in configured}
    for i, assignment in enumerate(interp.interpreters):
        where = f"interpretation.interpreters[{i}]"
        if assignment.person not in known:
            problems.append(Problem(f"{where}.person", f"no person with id "
                                    f"'{assignment.person}'", "add them under [[people]] with "
                                    "roles = ['interpreter']"))
        elif not spec.person(assignment.person).has(Role.INTERPRETER):
            problems.append(Problem(f"{where}.person", f"'{assignment.person}' lacks the role "
                                    "'interpreter'", "add 'interpreter' to their roles"))
        elif spec.person(assignment.person).tbc and spec.person(assignment.person).email is None:
            problems.append(Problem(f"{where}.person", "an interpreter needs an email even "
                                    "while to be confirmed", "add a placeholder email"))
        for code in assignment.languages:
            if code not in configured:
                problems.append(Problem(f"{where}.languages", f"{code} "
                                        f"({language_name(code)}) is not in "
                                        "interpretation.languages", f"add {code} there or fix "
                                        "the pair"))
        a, b = assignment.languages
        edges.setdefault(a, set()).add(b)
        edges.setdefault(b, set()).add(a)
    for i, person in enumerate(spec.people):
        if person.has(Role.INTERPRETER) and not any(
            a.person == person.id for a in interp.interpreters
        ):
            problems.append(Problem(f"people[{i}].roles", f"{person.name} is an interpreter "
                                    "without a language pair", "add them under "
                                    "[[interpretation.interpreters]]"))
    reached = {interp.floor}
    frontier = [interp.floor]
    while frontier:
        for neighbour in edges.get(frontier.pop(), ()):
            if neighbour not in reached:
                reached.add(neighbour)
                frontier.append(neighbour)
    for code in interp.languages:
        if code not in reached:
            problems.append(Problem("interpretation.languages", f"{code} "
                                    f"({language_name(code)}) cannot be reached from the floor "
                                    f"language {interp.floor} through any interpreter",
                                    f"add an interpreter for {code} and a language already "
                                    "reached, or drop it"))
    for i, segment in enumerate(spec.agenda):
        if segment.language and segment.language not in configured:
            problems.append(Problem(f"agenda[{i}].language", f"{segment.language} is not in "
                                    "interpretation.languages", "add it there or change the "
                                    "segment's language"))
    return problems


def _check_registrants(spec: EventSpec) -> list[Problem]:
    problems: list[Problem] = []
    custom = {q.title for q in spec.registration.custom_questions}
    for field, column in spec.registrants.columns.items():
        if field not in REGISTRANT_COLUMNS and field not in custom:
            problems.append(Problem(f"registrants.columns.{field}", "is neither a Zoom "
                                    "registrant field nor a custom question title",
                                    f"use one of {', '.join(REGISTRANT_COLUMNS)} or a title "
                                    "from registration.custom_questions"))
        if not column.strip():
            problems.append(Problem(f"registrants.columns.{field}", "names no source column",
                                    "write the column header of the registration list"))
    if spec.registrants.columns and "email" not in spec.registrants.columns:
        problems.append(Problem("registrants.columns", "no column is mapped to email",
                                "add email = \"<column header>\""))
    for i, question in enumerate(spec.registration.custom_questions):
        if question.type == "short" and question.answers:
            problems.append(Problem(f"registration.custom_questions[{i}].answers",
                                    "a short-answer question takes no answer choices",
                                    "remove answers or use type = \"single_radio\""))
        if question.type != "short" and not question.answers:
            problems.append(Problem(f"registration.custom_questions[{i}].answers",
                                    f"a {question.type} question needs answer choices",
                                    "list them in answers = [...]"))
    return problems


def _minutes(amount: timedelta) -> str:
    seconds = round(amount.total_seconds())
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


def _check_cues(spec: EventSpec) -> list[Problem]:
    problems: list[Problem] = []
    cues = spec.cues
    if cues.doors_open_before > cues.tech_check_before:
        problems.append(Problem("cues.doors_open_before", f"doors open "
                                f"{_minutes(cues.doors_open_before)} before the start, earlier "
                                f"than the tech check ({_minutes(cues.tech_check_before)})",
                                "make tech_check_before at least doors_open_before"))
    for i, segment in enumerate(spec.agenda):
        length = timedelta(minutes=segment.minutes)
        for j, left in enumerate(segment.warnings or []):
            if left <= timedelta(0):
                problems.append(Problem(f"agenda[{i}].warnings[{j}]", "a warning of 0 minutes "
                                        "is the end itself", "remove it (\"time is up\" is "
                                        "always sent)"))
            elif left >= length:
                problems.append(Problem(f"agenda[{i}].warnings[{j}]", f"{_minutes(left)} is not "
                                        f"before the end of a {segment.minutes}-minute segment",
                                        f"use less than {segment.minutes}"))
        if segment.warnings and len(set(segment.warnings)) != len(segment.warnings):
            problems.append(Problem(f"agenda[{i}].warnings", "a warning is listed twice",
                                    "list each amount once"))
    return problems


def _check_notifications(spec: EventSpec) -> list[Problem]:
    problems: list[Problem] = []
    notes = spec.notifications
    hook = notes.webhook
    if hook is not None and (hook.url is None) == (hook.url_env is None):
        problems.append(Problem("notifications.webhook", "needs exactly one of url and url_env"
                                if hook.url else "has no URL",
                                'write url_env = "ZOOMORCH_CUE_WEBHOOK_URL" (the variable that '
                                "holds the URL), or url = \"https://…\" for a URL without "
                                "credentials"))
    known = {p.id for p in spec.people}
    for person_id, channels in notes.people.items():
        where = f"notifications.people.{person_id}"
        if person_id not in known:
            close = difflib.get_close_matches(person_id, sorted(known), n=1)
            problems.append(Problem(where, f"no person with id '{person_id}'",
                                    f"did you mean '{close[0]}'?" if close
                                    else "use an id from [[people]]"))
        for j, channel in enumerate(channels):
            if channel not in CHANNELS:
                close = difflib.get_close_matches(channel, CHANNELS, n=1)
                problems.append(Problem(f"{where}[{j}]", f"'{channel}' is not a channel",
                                        f"did you mean '{close[0]}'?" if close
                                        else f"use one of {', '.join(CHANNELS)}"))
        if not channels:
            problems.append(Problem(where, "lists no channel", "name at least one channel, or "
                                    "remove the line to use every channel"))
    return problems


# --------------------------------------------------------------------------- --start-at

_RELATIVE = re.compile(r"^now\s*(?:(?P<sign>[+-])\s*(?P<amount>(?:\d+\s*[dhms]\s*)+))?$", re.I)
_UNIT = re.compile(r"(\d+)\s*([dhms])", re.I)


def parse_start_at(value: str, *, zone: ZoneInfo | None = None,
                   now: datetime | None = None) -> datetime:
    """Parse ``--start-at``: ``now``, ``now+10m``, ``now-1h30m`` or an ISO datetime.

    An ISO value without offset is read in ``zone`` (the event's zone); without a zone it is
    refused. Relative values round to the minute, up, so ``now+0m`` is never in the past.
    """
    text = value.strip()
    match = _RELATIVE.match(text)
    if match:
        base = now or datetime.now(UTC)
        delta = timedelta()
        if match["amount"]:
            seconds = {"d": 86400, "h": 3600, "m": 60, "s": 1}
            for amount, unit in _UNIT.findall(match["amount"]):
                delta += timedelta(seconds=int(amount) * seconds[unit.lower()])
            if match["sign"] == "-":
                delta = -delta
        moment = base + delta
        if moment.second or moment.microsecond:
            moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        return moment.astimezone(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is neither an ISO datetime nor now+N(d|h|m|s); "
                         "write e.g. 2022-05-17T08:30-04:00 or now+10m") from None
    if moment.tzinfo is None:
        if zone is None:
            raise ValueError(f"{value!r} has no UTC offset; add one, e.g. {text}-04:00")
        moment = moment.replace(tzinfo=zone)
    return moment
