"""Request bodies as pydantic models mirroring the request schemas of Zoom's OpenAPI description.

Strict types (a string where Zoom wants an integer is refused), enums as ``Literal``,
unknown fields ignored as Zoom does. Validation failures become Zoom's 400 / code 300.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=128)]
NotificationType = Literal[0, 1, 2, 3, 4, 5, 6, 7]


class ZoomModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class Interpreter(ZoomModel):
    email: Email
    languages: str | None = None
    interpreter_languages: str | None = None


class LanguageInterpretation(ZoomModel):
    enable: bool | None = None
    interpreters: list[Interpreter] | None = Field(default=None, max_length=20)


class SignInterpreter(ZoomModel):
    email: Email
    sign_language: str | None = None


class SignLanguageInterpretation(ZoomModel):
    enable: bool | None = None
    interpreters: list[SignInterpreter] | None = Field(default=None, max_length=20)


class EmailNotification(ZoomModel):
    enable: bool | None = None
    type: NotificationType | None = None


class QuestionAndAnswer(ZoomModel):
    allow_submit_questions: bool | None = None
    allow_anonymous_questions: bool | None = None
    answer_questions: Literal["only", "all"] | None = None
    attendees_can_comment: bool | None = None
    attendees_can_upvote: bool | None = None
    allow_auto_reply: bool | None = None
    auto_reply_text: str | None = None
    enable: bool | None = None


class WebinarSettings(ZoomModel):
    allow_multiple_devices: bool | None = None
    alternative_hosts: str | None = None
    alternative_host_update_polls: bool | None = None
    approval_type: Literal[0, 1, 2] | None = None
    attendees_and_panelists_reminder_email_notification: EmailNotification | None = None
    audio: Literal["both", "telephony", "voip", "thirdParty"] | None = None
    audio_conference_info: Annotated[str, StringConstraints(max_length=2048)] | None = None
    authentication_domains: str | None = None
    authentication_option: str | None = None
    auto_recording: Literal["local", "cloud", "none"] | None = None
    close_registration: bool | None = None
    contact_email: str | None = None
    contact_name: str | None = None
    email_language: str | None = None
    enforce_login: bool | None = None
    enforce_login_domains: str | None = None
    follow_up_absentees_email_notification: EmailNotification | None = None
    follow_up_attendees_email_notification: EmailNotification | None = None
    global_dial_in_countries: list[str] | None = None
    hd_video: bool | None = None
    hd_video_for_attendees: bool | None = None
    host_video: bool | None = None
    language_interpretation: LanguageInterpretation | None = None
    sign_language_interpretation: SignLanguageInterpretation | None = None
    panelist_authentication: bool | None = None
    meeting_authentication: bool | None = None
    add_watermark: bool | None = None
    add_audio_watermark: bool | None = None
    notify_registrants: bool | None = None
    on_demand: bool | None = None
    panelists_invitation_email_notification: bool | None = None
    panelists_video: bool | None = None
    post_webinar_survey: bool | None = None
    practice_session: bool | None = None
    question_and_answer: QuestionAndAnswer | None = None
    registrants_confirmation_email: bool | None = None
    registrants_email_notification: bool | None = None
    registrants_restrict_number: Annotated[int, Field(ge=0, le=20000)] | None = None
    registration_type: Literal[1, 2, 3] | None = None
    send_1080p_video_to_attendees: bool | None = None
    show_share_button: bool | None = None
    survey_url: str | None = None
    enable_session_branding: bool | None = None


class Recurrence(ZoomModel):
    type: Literal[1, 2, 3]
    end_date_time: str | None = None
    end_times: Annotated[int, Field(ge=1, le=60)] | None = None
    monthly_day: int | None = None
    monthly_week: Literal[-1, 1, 2, 3, 4] | None = None
    monthly_week_day: Literal[1, 2, 3, 4, 5, 6, 7] | None = None
    repeat_interval: int | None = None
    weekly_days: str | None = None


class TrackingField(ZoomModel):
    field: str
    value: str | None = None


class WebinarCreate(ZoomModel):
    topic: Annotated[str, StringConstraints(max_length=200)] | None = None
    type: Literal[5, 6, 9] | None = None
    start_time: str | None = None
    duration: int | None = None
    timezone: str | None = None
    password: Annotated[str, StringConstraints(max_length=10)] | None = None
    agenda: Annotated[str, StringConstraints(max_length=2000)] | None = None
    schedule_for: str | None = None
    recurrence: Recurrence | None = None
    settings: WebinarSettings | None = None
    template_id: str | None = None
    tracking_fields: list[TrackingField] | None = None
    is_simulive: bool | None = None
    record_file_id: str | None = None


class WebinarUpdate(WebinarCreate):
    pass


class WebinarStatus(ZoomModel):
    action: Literal["end"]


class NewPanelist(ZoomModel):
    name: str
    email: Email
    virtual_background_id: str | None = None
    name_tag_id: str | None = None
    name_tag_name: str | None = None
    name_tag_pronouns: str | None = None
    name_tag_description: str | None = None


class PanelistsAdd(ZoomModel):
    panelists: Annotated[list[NewPanelist], Field(min_length=1, max_length=30)]


class CustomAnswer(ZoomModel):
    title: str
    value: Annotated[str, StringConstraints(max_length=128)]


NoOfEmployees = Literal["", "1-20", "21-50", "51-100", "101-250", "251-500", "101-500",
                        "500-1,000", "501-1,000", "1,001-5,000", "5,001-10,000",
                        "More than 10,000"]
PurchasingTimeFrame = Literal["", "Within a month", "1-3 months", "4-6 months",
                              "More than 6 months", "No timeframe"]
RoleInPurchase = Literal["", "Decision Maker", "Evaluator/Recommender", "Influencer",
                         "Not involved"]


class RegistrantCreate(ZoomModel):
    email: Email
    first_name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    last_name: Annotated[str, StringConstraints(max_length=64)] | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    phone: str | None = None
    comments: str | None = None
    custom_questions: list[CustomAnswer] | None = None
    industry: str | None = None
    job_title: str | None = None
    no_of_employees: NoOfEmployees | None = None
    org: str | None = None
    purchasing_time_frame: PurchasingTimeFrame | None = None
    role_in_purchase_process: RoleInPurchase | None = None
    language: Literal["en-US", "de-DE", "es-ES", "fr-FR", "jp-JP", "pt-PT", "ru-RU", "zh-CN",
                      "zh-TW", "ko-KO", "it-IT", "vi-VN", "pl-PL", "Tr-TR"] | None = None
    source_id: str | None = None


class BatchRegistrant(ZoomModel):
    email: Email
    first_name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    last_name: Annotated[str, StringConstraints(max_length=64)] | None = None


class BatchRegistrants(ZoomModel):
    auto_approve: bool | None = None
    registrants_confirmation_email: bool | None = None
    registrants: Annotated[list[BatchRegistrant], Field(min_length=1, max_length=30)]


class RegistrantRef(ZoomModel):
    id: str | None = None
    email: Email | None = None


class RegistrantStatus(ZoomModel):
    action: Literal["approve", "deny", "cancel"]
    registrants: Annotated[list[RegistrantRef], Field(max_length=30)] | None = None


class RegistrationQuestion(ZoomModel):
    field_name: Literal["last_name", "address", "city", "country", "zip", "state", "phone",
                        "industry", "org", "job_title", "purchasing_time_frame",
                        "role_in_purchase_process", "no_of_employees", "comments"]
    required: bool | None = None


class CustomQuestion(ZoomModel):
    title: str
    type: Literal["short", "single_radio", "single_dropdown", "multiple"]
    required: bool | None = None
    answers: list[str] | None = None


class RegistrationQuestions(ZoomModel):
    questions: list[RegistrationQuestion] | None = None
    custom_questions: list[CustomQuestion] | None = None


class InMeetingControl(ZoomModel):
    # The description types ``method`` as a string and lists these values in prose.
    method: Literal["recording.start", "recording.stop", "recording.pause", "recording.resume",
                    "participant.invite", "participant.invite.callout",
                    "participant.invite.room_system_callout"]
    params: dict[str, Any] | None = None


class ChatMessage(ZoomModel):
    message: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    to_contact: str | None = None
    to_channel: str | None = None
    reply_main_message_id: str | None = None
    at_items: list[dict[str, Any]] | None = None
    file_ids: list[str] | None = None


class FaultSettings(BaseModel):
    """Body of PUT /_sandbox/faults (any subset)."""

    model_config = ConfigDict(extra="forbid")
    error_rate: Annotated[float, Field(ge=0, le=1)] | None = None
    rate_limit_burst: Annotated[int, Field(ge=0)] | None = None
    latency_ms: Annotated[int, Field(ge=0, le=60_000)] | None = None
    drop_after_processing_rate: Annotated[float, Field(ge=0, le=1)] | None = None
    seed: int | None = None
