"""The Zoom objects zoomorch reads and writes, as pydantic models named like Zoom's JSON.

Every model keeps fields it does not declare (``extra="allow"``), so nothing Zoom sends is
lost. Times are always tz-aware: Zoom's UTC ``...Z`` strings, and naive ones taken as UTC.
A whole answer (a report, one page of a listing) also keeps the JSON it was read from, as
Zoom sent it (``raw``), for callers that store answers verbatim.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    SecretStr,
    model_validator,
)


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


ZoomTime = Annotated[datetime | None, BeforeValidator(_blank_is_none), AfterValidator(_aware)]


class ZoomModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ZoomAnswer(ZoomModel):
    """A whole answer of Zoom's (not a part of one): it keeps the JSON object it was read
    from in :attr:`raw`."""

    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_raw(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        answer = handler(data)
        if isinstance(data, dict):
            answer._raw = data
        return answer

    @property
    def raw(self) -> dict[str, Any]:
        """The JSON object as Zoom sent it, untouched by validation (do not change it)."""
        return self._raw


class ZoomPage(ZoomAnswer):
    """One page of a listing: Zoom's paging fields; each subclass holds the page's items
    under Zoom's key for them and returns them from :attr:`items`."""

    page_size: int | None = None
    total_records: int | None = None
    next_page_token: str | None = None
    page_count: int | None = None  # listings that page by number
    page_number: int | None = None

    @property
    def items(self) -> Sequence[ZoomModel]:
        raise NotImplementedError


# --- webinars ---------------------------------------------------------------------------


class Interpreter(ZoomModel):
    """A language interpreter: ``languages`` is two interpretation codes, e.g. ``"US,ES"``."""

    email: str
    languages: str | None = None
    interpreter_languages: str | None = None


class LanguageInterpretation(ZoomModel):
    enable: bool = False
    interpreters: list[Interpreter] = Field(default_factory=list)


class WebinarSettings(ZoomModel):
    approval_type: int | None = None
    registration_type: int | None = None
    host_video: bool | None = None
    panelists_video: bool | None = None
    practice_session: bool | None = None
    auto_recording: str | None = None
    alternative_hosts: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    language_interpretation: LanguageInterpretation | None = None


class Occurrence(ZoomModel):
    occurrence_id: str
    start_time: ZoomTime = None
    duration: int | None = None
    status: str | None = None


class Webinar(ZoomModel):
    """A webinar as Zoom describes it (``GET /webinars/{id}`` or one row of a list)."""

    id: int
    uuid: str | None = None
    host_id: str | None = None
    host_email: str | None = None
    topic: str = ""
    type: int = 5
    start_time: ZoomTime = None
    duration: int | None = None
    timezone: str | None = None
    agenda: str | None = None
    created_at: ZoomTime = None
    join_url: str | None = None
    # The host's start link carries a token that starts the webinar as host.
    start_url: SecretStr | None = Field(default=None, repr=False)
    password: str | None = Field(default=None, repr=False)
    settings: WebinarSettings | None = None
    occurrences: list[Occurrence] = Field(default_factory=list)


class WebinarsPage(ZoomPage):
    """A page of a user's webinars."""

    webinars: list[Webinar] = Field(default_factory=list)

    @property
    def items(self) -> list[Webinar]:
        return self.webinars


# --- panelists --------------------------------------------------------------------------


class NewPanelist(ZoomModel):
    """A panelist to invite."""

    name: str
    email: str


class Panelist(ZoomModel):
    id: str
    email: str
    name: str = ""
    join_url: str | None = None
    name_tag_id: str | None = None
    name_tag_name: str | None = None


class PanelistList(ZoomAnswer):
    """A webinar's panelists, all in one answer (Zoom does not page them)."""

    total_records: int | None = None
    panelists: list[Panelist] = Field(default_factory=list)


# --- registrants ------------------------------------------------------------------------


class CustomAnswer(ZoomModel):
    """A registrant's answer to a custom question."""

    title: str
    value: str = ""


class Registrant(ZoomModel):
    id: str | None = None
    email: str
    first_name: str = ""
    last_name: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    phone: str | None = None
    comments: str | None = None
    industry: str | None = None
    job_title: str | None = None
    org: str | None = None
    no_of_employees: str | None = None
    purchasing_time_frame: str | None = None
    role_in_purchase_process: str | None = None
    language: str | None = None
    custom_questions: list[CustomAnswer] = Field(default_factory=list)
    status: str | None = None
    join_url: str | None = None
    create_time: ZoomTime = None


class RegistrantsPage(ZoomPage):
    """A page of registrants: a webinar's of one status, or an occurrence's absentees."""

    registrants: list[Registrant] = Field(default_factory=list)

    @property
    def items(self) -> list[Registrant]:
        return self.registrants


class RegistrantCreated(ZoomModel):
    """Zoom's answer to adding one registrant: ``id`` is the webinar's id."""

    id: int | None = None
    registrant_id: str
    join_url: str | None = None
    start_time: ZoomTime = None
    topic: str | None = None
    occurrences: list[Occurrence] = Field(default_factory=list)


class BatchRegistrant(ZoomModel):
    """One row of a batch registration's answer."""

    email: str
    registrant_id: str
    join_url: str | None = None


class RegistrationQuestion(ZoomModel):
    """A standard registration field (``last_name``, ``org``, …) and whether it is required."""

    field_name: str
    required: bool = False


class CustomQuestion(ZoomModel):
    title: str
    type: str = "short"  # short | single_radio | single_dropdown | multiple
    required: bool = False
    answers: list[str] = Field(default_factory=list)


class RegistrationQuestions(ZoomModel):
    questions: list[RegistrationQuestion] = Field(default_factory=list)
    custom_questions: list[CustomQuestion] = Field(default_factory=list)


# --- reports ----------------------------------------------------------------------------


class ParticipantReportRow(ZoomModel):
    """One join of one participant (a person who rejoined has several rows)."""

    id: str | None = None
    user_id: str | None = None
    participant_user_id: str | None = None
    name: str = ""
    user_email: str | None = None
    join_time: ZoomTime = None
    leave_time: ZoomTime = None
    duration: int = 0  # seconds
    registrant_id: str | None = None
    status: str | None = None
    failover: bool | None = None
    customer_key: str | None = None


class ParticipantsReportPage(ZoomPage):
    """A page of a past webinar's participants report."""

    participants: list[ParticipantReportRow] = Field(default_factory=list)

    @property
    def items(self) -> list[ParticipantReportRow]:
        return self.participants


class CustomKey(ZoomModel):
    key: str
    value: str = ""


class TrackingField(ZoomModel):
    field: str
    value: str = ""


class WebinarReport(ZoomAnswer):
    """A past webinar's totals: its occurrence's ``uuid``, actual start and end."""

    id: int
    uuid: str | None = None
    type: int | None = None
    topic: str = ""
    user_name: str | None = None
    user_email: str | None = None
    start_time: ZoomTime = None
    end_time: ZoomTime = None
    duration: int | None = None  # minutes
    total_minutes: int | None = None
    participants_count: int | None = None
    dept: str | None = None
    custom_keys: list[CustomKey] = Field(default_factory=list)
    tracking_fields: list[TrackingField] = Field(default_factory=list)


class QuestionAnswer(ZoomModel):
    question: str
    answer: str = ""


class QAEntry(ZoomModel):
    """The questions one attendee asked, with their answers."""

    name: str = ""
    email: str | None = None
    question_details: list[QuestionAnswer] = Field(default_factory=list)


class QAReport(ZoomAnswer):
    """A past webinar's questions and answers, grouped by who asked."""

    id: int | None = None
    uuid: str | None = None
    start_time: ZoomTime = None
    questions: list[QAEntry] = Field(default_factory=list)


class PollAnswer(ZoomModel):
    question: str
    answer: str = ""
    polling_id: str | None = None
    date_time: str | None = None  # Zoom gives no format for it; kept as sent


class PollEntry(ZoomModel):
    """One attendee's answers to the webinar's polls."""

    name: str = ""
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    question_details: list[PollAnswer] = Field(default_factory=list)


class PollsReport(ZoomAnswer):
    """A past webinar's poll answers, grouped by who answered."""

    id: int | None = None
    uuid: str | None = None
    start_time: ZoomTime = None
    questions: list[PollEntry] = Field(default_factory=list)
