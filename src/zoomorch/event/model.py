"""The event file's model: one declarative TOML file per webinar, as :class:`EventSpec`.

Each section is a frozen pydantic model that refuses unknown keys; field validators turn
what people write into one spelling (Zoom codes for languages, ``timedelta`` for amounts of
time) or raise :class:`~zoomorch.event.problems.FieldProblem` with the fix. Rules across
sections live in :mod:`zoomorch.event.checks`, reading a file in :mod:`zoomorch.event.load`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from zoomorch.event.problems import FieldProblem
from zoomorch.event.secrets import safe_url, url_secret_reason
from zoomorch.event.zoom_fields import (
    MAX_AGENDA_CHARS,
    MAX_TOPIC_CHARS,
    ZoomLanguage,
    standard_question,
)
from zoomorch.vocab.durations import DurationError, parse_duration
from zoomorch.vocab.languages import CUE_LANGUAGES

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# Ids and the event key end up in URLs, file names and 200-character database columns.
_PERSON_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
# An account profile name: the suffix of environment variable names (ZOOM_CLIENT_ID__ILO).
_ACCOUNT = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldProblem(f"unknown time zone {value!r}",
                           "use an IANA name such as 'America/New_York' or 'Europe/Zurich'"
                           ) from None
    return value


def _duration(value: Any) -> Any:
    """An amount of time in the event file: minutes as a number (``5``, ``0.5``) or a string
    in :mod:`zoomorch.vocab.durations`' grammar (``"90s"``, ``"1h30m"``); never negative."""
    try:
        return parse_duration(value, sign="nonnegative")
    except DurationError as exc:
        raise FieldProblem(exc.message, exc.fix) from None


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
            raise FieldProblem(f"{value!r} is not a usable id",
                               "use lowercase letters, digits, '-' or '_' (at most 100), "
                               "e.g. 'ana-diez'")
        return value

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _EMAIL.match(value):
            raise FieldProblem(f"{value!r} is not a valid email address",
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


# A segment's title per cue language: ``title_es = "Diálogo interactivo"`` next to ``title``.
TITLE_FIELDS: dict[str, str] = {f"title_{lang.iso}": lang.iso for lang in CUE_LANGUAGES}
_TITLE_KEY = re.compile(r"^title_(?P<lang>.+)$")


class Segment(_Model):
    """One block of the run-of-show. ``start`` (local clock time) is optional: when given it
    must meet the previous segment's end exactly.

    ``title`` is the segment's title (the report, the run-of-show, Zoom's agenda); ``title_es``,
    ``title_fr``, ``title_en``, ``title_de`` (each optional) are what cues and boards in that
    language call it (:attr:`titles`); a language without one uses ``title``."""

    title: str = Field(min_length=1)
    title_en: str | None = None
    title_es: str | None = None
    title_fr: str | None = None
    title_de: str | None = None
    minutes: int = Field(gt=0)
    start: time | None = None
    speakers: list[str] = []
    moderator: str | None = None
    language: ZoomLanguage | None = None
    notes: str = ""
    # Warnings before the segment's end (minutes, or "90s"); absent: scaled with its length,
    # e.g. 5 and 2 minutes for a 50-minute panel; [] for none.
    warnings: list[Duration] | None = None

    @model_validator(mode="before")
    @classmethod
    def _title_languages(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                found = _TITLE_KEY.match(str(key))
                if found and key not in TITLE_FIELDS:
                    raise FieldProblem(
                        f"{key}: there are no cue texts in {found['lang']!r}, so no title in it",
                        f"a title per language is one of {', '.join(TITLE_FIELDS)}; remove "
                        f"{key} (cues in other languages use title)")
        return data

    @field_validator(*TITLE_FIELDS, mode="before")
    @classmethod
    def _title_in(cls, value: Any, info: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            language = TITLE_FIELDS[info.field_name]
            raise FieldProblem(
                f"{info.field_name} is empty",
                f"write the segment's title in {language!r} or remove {info.field_name} "
                "(cues in that language then use title)")
        if value is not None and not isinstance(value, str):
            raise FieldProblem(f"{info.field_name} must be text, not {value!r}",
                               f'write it in quotes, e.g. {info.field_name} = "..."')
        return value

    @property
    def titles(self) -> dict[str, str]:
        """cue language (ISO code) -> the title given for it (only those given)."""
        return {language: getattr(self, name) for name, language in TITLE_FIELDS.items()
                if getattr(self, name) is not None}

    @field_validator("start", mode="before")
    @classmethod
    def _clock(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return time.fromisoformat(value)
            except ValueError:
                raise FieldProblem(f"{value!r} is not a clock time",
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
            raise FieldProblem(f"an interpreter pair needs two different languages, got "
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
        return standard_question(value)


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
    cues (``overrun_every``), hand-over reminders (``handover_every``) and "behind schedule"
    cues (``behind_after``: how far past the hard stop the agenda's projected finish must be
    for the host and the moderator to be told, once per segment).
    """

    advance: Literal["manual", "auto"] = "manual"
    tech_check_before: Duration = timedelta(minutes=30)
    doors_open_before: Duration = timedelta(minutes=10)
    overrun_every: Duration = timedelta(minutes=1)
    handover_every: Duration = timedelta(minutes=30)
    hard_stop_grace: Duration = timedelta(0)
    late_grace: Duration = timedelta(minutes=2)
    behind_after: Duration = timedelta(minutes=2)
    # Enforcement through the Zoom API; off unless the event opts in.
    end_webinar_at_hard_stop: bool = False
    # Gone: Zoom's in-meeting controls (recording.start) are documented for meetings only.
    record_at_start: bool = False

    @field_validator("record_at_start")
    @classmethod
    def _no_record_at_start(cls, value: bool) -> bool:
        if value:
            raise FieldProblem(
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
        raise FieldProblem(f"{value!r} is neither manual nor auto",
                           'use "manual" (a segment ends when the host says `next`) or '
                           '"auto" (every segment ends on time)')




CHANNELS: tuple[str, ...] = ("console", "zoom_chat", "webhook", "email", "board")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
            raise FieldProblem(f"{safe_url(value)} is not an http(s) URL",
                               "write it as https://host/path")
        reason = url_secret_reason(value)
        if reason is not None:
            raise FieldProblem(
                f"this URL carries a secret ({reason}) and the event file is shared",
                "put the URL in an environment variable and write "
                'url_env = "ZOOMORCH_CUE_WEBHOOK_URL" instead of url')
        return value

    @field_validator("url_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise FieldProblem(f"{value!r} is not an environment variable name",
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
            raise FieldProblem(f"{value!r} is not an email address",
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
            raise FieldProblem(
                "'me' is the owner of the Server-to-Server OAuth app, who is rarely the person "
                "meant to send cues", "name the sending user by email, e.g. "
                'sender = "tech.host@your-org.org"')
        if not _EMAIL.match(value):
            raise FieldProblem(f"{value!r} is not an email address",
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

    @property
    def titles(self) -> dict[str, str]:
        """The title per cue language, where the event file gives one (:attr:`Segment.titles`)."""
        return self.segment.titles


class EventSpec(_Model):
    """One event as the file describes it; validated and tz-aware."""

    key: str
    # The Zoom account profile whose credentials run this event (ZOOM_*__NAME variables;
    # None: the unsuffixed ZOOM_* ones). Never credentials themselves.
    account: str | None = None
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
            raise FieldProblem(
                f"{value!r} is not a usable event key (it names the webinar in the state "
                "store, URLs and file names)",
                "set key = \"...\" at the top of the file: lowercase letters, digits, '-' or "
                "'_' (at most 100), e.g. 'imrf-2022-latam'")
        return value

    @field_validator("account")
    @classmethod
    def _account_shape(cls, value: str | None) -> str | None:
        if value is not None and not _ACCOUNT.match(value):
            raise FieldProblem(
                f"{value!r} is not an account profile name (it becomes the suffix of the "
                "ZOOM_*__NAME variables holding that account's credentials)",
                'name the profile with lowercase letters, digits or \'_\' (at most 40, '
                'starting with a letter), e.g. account = "ilo"; its credentials go in '
                "ZOOM_ACCOUNT_ID__ILO, ZOOM_CLIENT_ID__ILO and ZOOM_CLIENT_SECRET__ILO, "
                "never in the event file")
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


