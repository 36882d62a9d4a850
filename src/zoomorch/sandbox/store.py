"""The sandbox's state: webinars, panelists, registrants, attendance, chat — behind one lock.

Everything the HTTP layer and the (later) live-event simulation touch goes through
``SandboxStore`` methods, which take the lock, read the clock, raise ``ZoomApiError`` the way
Zoom answers, and emit webhook events through ``on_event``.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import secrets
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from zoomorch.sandbox import ids
from zoomorch.sandbox.clock import SandboxClock, zoom_time
from zoomorch.sandbox.errors import ZoomApiError, invalid_field, webinar_not_found

# The account's owner: with Server-to-Server OAuth, "me" is the user who created the app.
HOST_ID = "z8yCxjabR7y8Pa5tGg7_aQ"
HOST_EMAIL = "host@example.org"
WEBINAR_CAPACITY = 500
INTERPRETATION_LANGUAGES = ("English", "Chinese", "Japanese", "German", "French", "Russian",
                            "Portuguese", "Spanish", "Korean")
PAGE_TOKEN_TTL = timedelta(minutes=15)
REGISTRANT_STATUSES = ("approved", "pending", "denied")
MAX_ADDS_PER_DAY = 3
MAX_WEBINAR_WRITES_PER_DAY = 100
MAX_STATUS_UPDATES_PER_DAY = 10
STATE_VERSION = 1


@dataclass(frozen=True)
class DailyRule:
    """One of Zoom's per-day rules (docs/sandbox.md has the sources).

    Zoom answers all of them with HTTP 429 and body code 429, in wording of its own; the host
    rule's answer carries X-RateLimit-Category/-Limit/-Remaining but no X-RateLimit-Type and
    no Retry-After (facts.md). The per-registrant rules get the same headers here (their headers
    are unconfirmed): a client must tell them apart by the message, not by a header.
    """

    kind: str
    limit: int
    category: str  # the rate-limit label of the calls it counts
    message: str  # format fields: {limit}, {who}

    def headers(self) -> dict[str, str]:
        return {"X-RateLimit-Category": self.category, "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": "0"}


# The same person (email) registered at most 3 times a day, across every webinar of the
# account, through the single or the batch endpoint. Zoom words the refusal after the endpoint.
REGISTRANT_ADD = DailyRule(
    "registrant_add", MAX_ADDS_PER_DAY, "Light",
    "You have exceeded the daily rate limit of ({limit}) for Add a webinar registrant API "
    "requests for the registrant ({who}). You may resume these requests at GMT 00:00:00.")
REGISTRANT_BATCH = DailyRule(
    "registrant_add", MAX_ADDS_PER_DAY, "Heavy",
    "You have exceeded the daily rate limit ({limit}) of Webinar Batch Registration API "
    "requests permitted for ({who}) this particular registrant. You may resume these requests "
    "at GMT 00:00:00.")
WEBINAR_WRITE = DailyRule(
    "webinar_write", MAX_WEBINAR_WRITES_PER_DAY, "Light",
    "You have exceeded the daily rate limit ({limit}) of Meeting Create/Update API requests "
    "permitted for this particular user. You may resume these requests at GMT 00:00:00.")
REGISTRANT_STATUS = DailyRule(
    "registrant_status", MAX_STATUS_UPDATES_PER_DAY, "Medium",
    "You have exceeded the daily rate limit ({limit}) of Update registrant's status API "
    "requests permitted for ({who}) this particular registrant. You may resume these requests "
    "at GMT 00:00:00.")

# (event name, payload.object, the sandbox moment it happened or None for "now")
EventSink = Callable[[str, dict[str, Any], datetime | None], None]
# Called with (webinar id, end moment) before a webinar ends, outside the store lock: the live
# simulation applies everything that happened before that moment first.
EndHook = Callable[[int, datetime], None]


def default_settings() -> dict[str, Any]:
    """Webinar settings as Zoom fills them in when the request leaves them out."""
    return {
        "host_video": False,
        "panelists_video": False,
        "practice_session": False,
        "hd_video": False,
        "hd_video_for_attendees": False,
        "send_1080p_video_to_attendees": False,
        "approval_type": 2,
        "registration_type": 1,
        "audio": "both",
        "auto_recording": "none",
        "enforce_login": False,
        "enforce_login_domains": "",
        "alternative_hosts": "",
        "alternative_host_update_polls": False,
        "close_registration": False,
        "show_share_button": False,
        "allow_multiple_devices": False,
        "on_demand": False,
        "global_dial_in_countries": ["US"],
        "contact_name": "Sandbox Host",
        "contact_email": HOST_EMAIL,
        "registrants_restrict_number": 0,
        "registrants_confirmation_email": True,
        "registrants_email_notification": True,
        "notify_registrants": False,
        "post_webinar_survey": False,
        "meeting_authentication": False,
        "panelist_authentication": False,
        "add_watermark": False,
        "add_audio_watermark": False,
        "panelists_invitation_email_notification": True,
        "email_language": "en-US",
        "language_interpretation": {"enable": False, "interpreters": []},
        "sign_language_interpretation": {"enable": False, "interpreters": []},
        "question_and_answer": {
            "enable": True, "allow_submit_questions": True, "allow_anonymous_questions": True,
            "answer_questions": "all", "attendees_can_comment": True,
            "attendees_can_upvote": True, "allow_auto_reply": False, "auto_reply_text": "",
        },
        "attendees_and_panelists_reminder_email_notification": {"enable": True, "type": 0},
        "follow_up_attendees_email_notification": {"enable": False, "type": 0},
        "follow_up_absentees_email_notification": {"enable": False, "type": 0},
        "enable_session_branding": False,
    }


def deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Zoom's PATCH semantics: nested objects merge, everything else (lists too) replaces."""
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


@dataclass
class AccountUser:
    """A user of the sandbox's Zoom account. ``contacts`` are the people they added to their
    Team Chat contacts; the account's own users are everyone's company contacts."""

    id: str
    email: str
    first_name: str = ""
    last_name: str = ""
    contacts: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "first_name": self.first_name,
                "last_name": self.last_name, "contacts": sorted(self.contacts)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> AccountUser:
        return cls(raw["id"], raw["email"], raw.get("first_name", ""), raw.get("last_name", ""),
                   set(raw.get("contacts", [])))


@dataclass
class Account:
    """What the account is licensed for (docs/sandbox.md): the webinar feature and capacity,
    and language interpretation (without it Zoom silently drops the setting)."""

    webinar: bool = True
    webinar_capacity: int = WEBINAR_CAPACITY
    language_interpretation: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"webinar": self.webinar, "webinar_capacity": self.webinar_capacity,
                "language_interpretation": self.language_interpretation}


@dataclass
class ChatChannel:
    """A Team Chat channel; a message to it must come from one of its members."""

    id: str
    name: str
    members: set[str] = field(default_factory=set)  # emails, any organisation

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "members": sorted(self.members)}


# webinar.participant_left's leave_reason, in Zoom's words (as public payload samples show them).
LEFT_REASON = "left the meeting. Reason : left the meeting"
HOST_ENDED_REASON = "left the meeting. Reason : Host ended the meeting."


@dataclass
class ParticipantSession:
    """One join of one person: Zoom's participants report has one row per join.

    It holds what Zoom shows of the join (docs/sandbox.md, "Who the report can identify"):
    ``email`` is already "" where Zoom hides it, and the person's id is shown only when
    ``signed_in``.
    """

    session_id: str  # the report's user_id: one per connection
    participant_id: str  # stable per person within the webinar (the report's id if signed in)
    name: str
    email: str
    registrant_id: str | None
    role: str
    join_time: datetime
    leave_time: datetime | None = None
    signed_in: bool = True
    phone_number: str = ""  # dial-ins
    participant_uuid: str = ""  # Zoom's per-join uuid in webhooks

    @property
    def shown_id(self) -> str:
        """The report's ``id`` and ``participant_user_id``: "" unless signed in to Zoom."""
        return self.participant_id if self.signed_in else ""

    def to_json(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "participant_id": self.participant_id,
                "name": self.name, "email": self.email, "registrant_id": self.registrant_id,
                "role": self.role, "join_time": self.join_time.isoformat(),
                "leave_time": self.leave_time.isoformat() if self.leave_time else None,
                "signed_in": self.signed_in, "phone_number": self.phone_number,
                "participant_uuid": self.participant_uuid}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ParticipantSession:
        leave = data.get("leave_time")
        return cls(data["session_id"], data["participant_id"], data["name"], data["email"],
                   data.get("registrant_id"), data.get("role", "attendee"),
                   datetime.fromisoformat(data["join_time"]),
                   datetime.fromisoformat(leave) if leave else None,
                   bool(data.get("signed_in", True)), str(data.get("phone_number") or ""),
                   str(data.get("participant_uuid") or ""))


@dataclass
class WebinarState:
    """One webinar and everything hanging off it (indexes kept in step for O(1) lookups)."""

    data: dict[str, Any]
    status: str = "waiting"  # waiting | started | ended
    started_at: datetime | None = None
    ended_at: datetime | None = None
    panelists: dict[str, dict[str, Any]] = field(default_factory=dict)
    panelist_by_email: dict[str, str] = field(default_factory=dict)
    interpreter_ids: dict[str, str] = field(default_factory=dict)  # email -> panelist id
    panelists_updated_at: datetime | None = None
    registrants: dict[str, dict[str, Any]] = field(default_factory=dict)
    registrant_by_email: dict[str, str] = field(default_factory=dict)
    by_status: dict[str, dict[str, None]] = field(
        default_factory=lambda: {s: {} for s in REGISTRANT_STATUSES})
    join_tokens: dict[str, str] = field(default_factory=dict)  # registrant/panelist id -> tk
    questions: dict[str, Any] = field(default_factory=lambda: {
        "questions": [{"field_name": "last_name", "required": False}], "custom_questions": []})
    sessions: list[ParticipantSession] = field(default_factory=list)
    open_sessions: dict[str, int] = field(default_factory=dict)  # participant_id -> index
    participant_ids: dict[str, str] = field(default_factory=dict)  # email/name -> participant id
    qa: list[dict[str, Any]] = field(default_factory=list)
    polls: dict[str, dict[str, Any]] = field(default_factory=dict)
    poll_answers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.data["id"])

    def set_registrant_status(self, registrant_id: str, status: str) -> None:
        registrant = self.registrants[registrant_id]
        self.by_status[registrant["status"]].pop(registrant_id, None)
        registrant["status"] = status
        self.by_status[status][registrant_id] = None

    def interpreters(self) -> list[dict[str, Any]]:
        interp = self.data.get("settings", {}).get("language_interpretation") or {}
        return list(interp.get("interpreters") or []) if interp.get("enable", True) else []

    def to_json(self) -> dict[str, Any]:
        return {
            "data": self.data, "status": self.status,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "panelists": list(self.panelists.values()),
            "interpreter_ids": self.interpreter_ids,
            "panelists_updated_at": (self.panelists_updated_at.isoformat()
                                     if self.panelists_updated_at else None),
            "registrants": list(self.registrants.values()),
            "join_tokens": self.join_tokens, "questions": self.questions,
            "sessions": [s.to_json() for s in self.sessions],
            "participant_ids": self.participant_ids, "qa": self.qa,
            "polls": self.polls, "poll_answers": self.poll_answers,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> WebinarState:
        def when(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        state = cls(data=raw["data"], status=raw.get("status", "waiting"),
                    started_at=when(raw.get("started_at")), ended_at=when(raw.get("ended_at")))
        for panelist in raw.get("panelists", []):
            state.panelists[panelist["id"]] = panelist
            state.panelist_by_email[panelist["email"].lower()] = panelist["id"]
        state.interpreter_ids = dict(raw.get("interpreter_ids", {}))
        state.panelists_updated_at = when(raw.get("panelists_updated_at"))
        for registrant in raw.get("registrants", []):
            rid = registrant["id"]
            state.registrants[rid] = registrant
            state.registrant_by_email[registrant["email"].lower()] = rid
            state.by_status[registrant["status"]][rid] = None
        state.join_tokens = dict(raw.get("join_tokens", {}))
        state.questions = raw.get("questions", state.questions)
        state.sessions = [ParticipantSession.from_json(s) for s in raw.get("sessions", [])]
        state.open_sessions = {s.participant_id: i for i, s in enumerate(state.sessions)
                               if s.leave_time is None}
        state.participant_ids = dict(raw.get("participant_ids", {}))
        state.qa = raw.get("qa", [])
        state.polls = raw.get("polls", {})
        state.poll_answers = raw.get("poll_answers", [])
        return state


@dataclass
class PageCursor:
    kind: str
    key: str
    offset: int
    expires_at: datetime


class SandboxStore:
    """In-memory Zoom state with its clock; thread-safe; optionally persisted to JSON."""

    def __init__(self, account_id: str, clock: SandboxClock | None = None,
                 state_file: str | Path | None = None) -> None:
        self.account_id = account_id
        self.clock = clock or SandboxClock()
        self.lock = threading.RLock()
        self.origin = "http://127.0.0.1"
        self.on_event: EventSink | None = None
        self.before_end: EndHook | None = None
        self.after_end: EndHook | None = None
        self.state_file = Path(state_file) if state_file else None
        self._dirty = threading.Event()
        self._clear()
        if self.state_file and self.state_file.exists():
            self.load(self.state_file)

    def __repr__(self) -> str:
        return f"SandboxStore(account_id={self.account_id!r}, webinars={len(self.webinars)})"

    def _clear(self) -> None:
        self.webinars: dict[int, WebinarState] = {}
        self.uuid_index: dict[str, int] = {}
        self.token_index: dict[str, tuple[int, str]] = {}  # join tk -> (webinar, person id)
        self.page_cursors: dict[str, PageCursor] = {}
        self.daily_counts: dict[str, int] = {}
        self.counts_day = ""
        self.chat_messages: list[dict[str, Any]] = []
        self.account = Account()
        owner = AccountUser(HOST_ID, HOST_EMAIL, "Sandbox", "Host")
        self.users: dict[str, AccountUser] = {owner.id: owner}
        self.channels: dict[str, ChatChannel] = {}

    # ----- plumbing -------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def _changed(self) -> None:
        self._dirty.set()

    def _emit(self, event: str, obj: dict[str, Any], at: datetime | None = None) -> None:
        if self.on_event is not None:
            self.on_event(event, obj, at)

    def emit(self, event: str, obj: dict[str, Any], at: datetime | None = None) -> None:
        """Send a webhook event that happened at ``at`` (call without holding the lock)."""
        self._emit(event, obj, at)

    def reset(self) -> None:
        """Drop all state."""
        with self.lock:
            self._clear()
            self._changed()

    def webinar(self, webinar_id: int | str) -> WebinarState:
        try:
            key = int(webinar_id)
        except (TypeError, ValueError):
            raise webinar_not_found(webinar_id) from None
        state = self.webinars.get(key)
        if state is None:
            raise webinar_not_found(webinar_id)
        return state

    def _count_today(self, rule: DailyRule, key: str, *, who: str = "") -> None:
        """Zoom's per-day rules: count one more use, refuse past the rule's limit with Zoom's
        429 (body code 429, its own wording; resets 00:00 UTC)."""
        day = self.now().date().isoformat()
        if day != self.counts_day:
            self.daily_counts = {}
            self.counts_day = day
        slot = f"{rule.kind}|{key}"
        used = self.daily_counts.get(slot, 0)
        if used >= rule.limit:
            raise ZoomApiError(429, 429, rule.message.format(limit=rule.limit, who=who),
                               headers=rule.headers())
        self.daily_counts[slot] = used + 1

    def registrations_today(self, email: str) -> int:
        """How many times ``email`` was registered today, across every webinar (admin view)."""
        with self.lock:
            if self.counts_day != self.now().date().isoformat():
                return 0
            return self.daily_counts.get(f"{REGISTRANT_ADD.kind}|{email.strip().lower()}", 0)

    def join_url(self, webinar_id: int, person_id: str | None = None,
                 state: WebinarState | None = None) -> str:
        base = f"{self.origin}/w/{webinar_id}"
        if person_id is None:
            return base
        state = state or self.webinars[webinar_id]
        return f"{base}?tk={state.join_tokens[person_id]}"

    def _new_join_token(self, state: WebinarState, person_id: str) -> None:
        token = ids.join_token()
        state.join_tokens[person_id] = token
        self.token_index[token] = (state.id, person_id)

    # ----- pagination -----------------------------------------------------------------------

    def page(self, kind: str, key: str, items: Iterable[Any], total: int, page_size: int,
             token: str | None) -> tuple[list[Any], str]:
        """Slice ``items`` for one page; returns (page, next_page_token or "").

        Tokens carry the offset and expire after 15 minutes on the sandbox clock; a token
        from another listing, unknown or expired, is Zoom's 400 / 300.
        """
        now = self.now()
        offset = 0
        if token:
            cursor = self.page_cursors.get(token)
            if cursor is None or cursor.kind != kind or cursor.key != key:
                raise ZoomApiError(400, 300, "The next page token is invalid or expired.")
            if now >= cursor.expires_at:
                self.page_cursors.pop(token, None)
                raise ZoomApiError(400, 300, "The next page token is invalid or expired.")
            offset = cursor.offset
        chunk = list(itertools.islice(items, offset, offset + page_size))
        next_token = ""
        if offset + len(chunk) < total and chunk:
            next_token = secrets.token_urlsafe(24)
            self.page_cursors[next_token] = PageCursor(kind, key, offset + len(chunk),
                                                       now + PAGE_TOKEN_TTL)
            if len(self.page_cursors) > 10_000:
                self.page_cursors = {t: c for t, c in self.page_cursors.items()
                                     if c.expires_at > now}
        return chunk, next_token

    # ----- users -----------------------------------------------------------------------------

    def user_by_email(self, email: str) -> AccountUser | None:
        """The account's user with this email (case-insensitive), if any."""
        key = email.strip().lower()
        return next((u for u in self.users.values() if u.email.lower() == key), None)

    def account_user(self, user_id: str) -> AccountUser:
        """The user a path names: ``me`` (the app's owner), an id or an email; else 404/1001."""
        if user_id == "me":
            return self.users[HOST_ID]
        found = self.users.get(user_id) or self.user_by_email(user_id)
        if found is None:
            raise ZoomApiError(404, 1001,
                               f"User {user_id} not exist or not belong to this account.")
        return found

    def user(self, user_id: str) -> dict[str, Any]:
        with self.lock:
            found = self.account_user(user_id)
            owner = found.id == HOST_ID
        created = zoom_time(datetime(2020, 1, 6, 9, 0, tzinfo=UTC))
        return {
            "id": found.id, "first_name": found.first_name, "last_name": found.last_name,
            "display_name": f"{found.first_name} {found.last_name}".strip(),
            "email": found.email, "type": 2,
            "role_name": "Owner" if owner else "Member", "pmi": 5550001234, "use_pmi": False,
            "personal_meeting_url": f"{self.origin}/j/5550001234", "timezone": "UTC",
            "verified": 1, "dept": "", "created_at": created, "user_created_at": created,
            "last_login_time": zoom_time(self.now()), "last_client_version": "",
            "pic_url": "", "language": "en-US", "phone_number": "", "status": "active",
            "role_id": "0" if owner else "2", "account_id": self.account_id,
            "account_number": 10000001, "cluster": "us01", "group_ids": [], "im_group_ids": [],
            "jid": f"{found.id.lower()}@xmpp.zoom.us", "login_types": [100],
        }

    def user_settings(self, user_id: str) -> dict[str, Any]:
        """``GET /users/{userId}/settings``: the parts zoomorch's preflight reads."""
        with self.lock:
            self.account_user(user_id)
            account = self.account
            return {
                "feature": {"meeting_capacity": 300, "large_meeting": False,
                            "webinar": account.webinar,
                            "webinar_capacity": account.webinar_capacity if account.webinar
                            else 0,
                            "zoom_events": False, "cn_meeting": False, "in_meeting": False,
                            "zoom_phone": False, "concurrent_meeting": "None"},
                "in_meeting": {
                    "language_interpretation": {
                        "enable": account.language_interpretation,
                        "enable_language_interpretation_by_default": False,
                        "allow_participants_to_speak_in_listening_channel": False,
                        "allow_up_to_25_custom_languages_when_scheduling_meetings": False,
                        "languages": list(INTERPRETATION_LANGUAGES)
                        if account.language_interpretation else [],
                        "custom_languages": []},
                    "chat": True, "private_chat": True, "polling": True,
                    "webinar_question_answer": True, "webinar_chat": True,
                },
                "recording": {"local_recording": True, "cloud_recording": True,
                              "auto_recording": "none"},
                "schedule_meeting": {"host_video": False, "participants_video": False,
                                     "join_before_host": False},
            }

    def set_account(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Admin: change what the account is licensed for."""
        with self.lock:
            for key, value in changes.items():
                if key not in ("webinar", "webinar_capacity", "language_interpretation"):
                    raise ValueError(f"unknown account setting {key!r}; use webinar, "
                                     "webinar_capacity or language_interpretation")
                if key == "webinar_capacity":
                    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                        raise ValueError("webinar_capacity must be a whole number >= 0")
                elif not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
                setattr(self.account, key, value)
            self._changed()
            return self.account.to_json()

    def put_user(self, email: str, first_name: str = "", last_name: str = "") -> AccountUser:
        """Admin: add (or rename) a user of the account."""
        key = email.strip().lower()
        if "@" not in key:
            raise ValueError(f"{email!r} is not an email address")
        with self.lock:
            found = self.user_by_email(key)
            if found is None:
                found = AccountUser(ids.user_id(), email.strip())
                self.users[found.id] = found
            found.first_name = first_name or found.first_name
            found.last_name = last_name or found.last_name
            self._changed()
            return found

    def set_contacts(self, email: str, contacts: Iterable[str]) -> AccountUser:
        """Admin: the people a user added to their Team Chat contacts (other organisations)."""
        with self.lock:
            user = self.account_user(email)
            user.contacts = {c.strip().lower() for c in contacts if c.strip()}
            self._changed()
            return user

    def put_channel(self, channel_id: str, name: str, members: Iterable[str]) -> ChatChannel:
        """Admin: create or replace a Team Chat channel and its members (any organisation)."""
        with self.lock:
            channel = ChatChannel(channel_id, name or channel_id,
                                  {m.strip().lower() for m in members if m.strip()})
            self.channels[channel_id] = channel
            self._changed()
            return channel

    def reachable_by_chat(self, sender: AccountUser, email: str) -> bool:
        """Team Chat reaches the sender's contacts: the account's users and those they added."""
        key = email.strip().lower()
        return key in sender.contacts or self.user_by_email(key) is not None

    # ----- webinars ---------------------------------------------------------------------------

    def create_webinar(self, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            host = self.account_user(user_id)
            if not self.account.webinar:
                raise ZoomApiError(400, 200, "Subscription plan for webinar is missing. Enable "
                                   "webinar for this user once the subscription plan is "
                                   f"added:{user_id}.")
            self._count_today(WEBINAR_WRITE, host.id)
            body = self._without_unlicensed(body)
            wid = ids.webinar_id()
            while wid in self.webinars:
                wid = ids.webinar_id()
            uuid = ids.webinar_uuid()
            now = self.now()
            settings = deep_merge(default_settings(), body.get("settings") or {})
            data: dict[str, Any] = {
                "uuid": uuid, "id": wid, "host_id": host.id, "host_email": host.email,
                "topic": body.get("topic", "Zoom Webinar"), "type": body.get("type", 5),
                "duration": body.get("duration", 60),
                "timezone": body.get("timezone", "UTC"), "agenda": body.get("agenda", ""),
                "created_at": zoom_time(now), "password": body.get("password", ""),
                "settings": settings, "registrants_confirmation_email": True,
                "is_simulive": body.get("is_simulive", False),
            }
            if "start_time" in body:
                data["start_time"] = _normalize_start(body["start_time"], data["timezone"])
            else:
                data["start_time"] = zoom_time(now)
            for key in ("recurrence", "tracking_fields", "template_id", "record_file_id"):
                if key in body:
                    data[key] = copy.deepcopy(body[key])
            data["_start_token"] = ids.join_token()
            data["_registration_code"] = ids.opaque_id(22)
            state = WebinarState(data=data)
            self.webinars[wid] = state
            self.uuid_index[uuid] = wid
            self._changed()
            return self.render_webinar(state)

    def _without_unlicensed(self, body: dict[str, Any]) -> dict[str, Any]:
        """Zoom silently ignores settings the account lacks (the spec: interpretation "will
        not be applied"): no error, the webinar just does not have it."""
        settings = body.get("settings")
        if not self.account.language_interpretation and isinstance(settings, dict) \
                and "language_interpretation" in settings:
            body = {**body, "settings": {k: v for k, v in settings.items()
                                         if k != "language_interpretation"}}
        return body

    def render_webinar(self, state: WebinarState) -> dict[str, Any]:
        data = {k: copy.deepcopy(v) for k, v in state.data.items() if not k.startswith("_")}
        data["join_url"] = self.join_url(state.id)
        data["start_url"] = f"{self.origin}/s/{state.id}?zak={state.data['_start_token']}"
        if data["settings"].get("approval_type", 2) != 2:
            data["registration_url"] = (f"{self.origin}/webinar/register/"
                                        f"WN_{state.data['_registration_code']}")
        return data

    def get_webinar(self, webinar_id: int | str) -> dict[str, Any]:
        with self.lock:
            return self.render_webinar(self.webinar(webinar_id))

    def list_webinars(self, user_id: str, page_size: int, page_number: int | None,
                      token: str | None) -> dict[str, Any]:
        """A host's webinars: by ``next_page_token`` or by the deprecated ``page_number``."""
        with self.lock:
            host = self.account_user(user_id)
            states = [w for w in self.webinars.values() if w.data.get("host_id") == host.id]
            total = len(states)
            if page_number is not None and not token:
                start = (page_number - 1) * page_size
                chunk, next_token = states[start:start + page_size], ""
            else:
                chunk, next_token = self.page("webinars", user_id, iter(states), total,
                                              page_size, token)
            keys = ("uuid", "id", "host_id", "topic", "type", "start_time", "duration",
                    "timezone", "agenda", "created_at", "is_simulive")
            rows = []
            for state in chunk:
                row = {k: state.data[k] for k in keys if k in state.data}
                row["join_url"] = self.join_url(state.id)
                rows.append(row)
            return {"page_size": page_size, "page_number": page_number or 1,
                    "page_count": (total + page_size - 1) // page_size,
                    "total_records": total, "next_page_token": next_token, "webinars": rows}

    def update_webinar(self, webinar_id: int | str, changes: dict[str, Any]) -> None:
        with self.lock:
            state = self.webinar(webinar_id)
            self._count_today(WEBINAR_WRITE, str(state.data["host_id"]))
            changes = self._without_unlicensed(copy.deepcopy(changes))
            if "start_time" in changes:
                changes["start_time"] = _normalize_start(
                    changes["start_time"], changes.get("timezone", state.data["timezone"]))
            changes.pop("schedule_for", None)
            deep_merge(state.data, changes)
            self._changed()

    def delete_webinar(self, webinar_id: int | str) -> None:
        with self.lock:
            state = self.webinar(webinar_id)
            del self.webinars[state.id]
            self.uuid_index.pop(state.data["uuid"], None)
            for token in state.join_tokens.values():
                self.token_index.pop(token, None)
            self._changed()

    def webinar_event_object(self, state: WebinarState) -> dict[str, Any]:
        data = state.data
        return {"uuid": data["uuid"], "id": str(data["id"]), "host_id": data["host_id"],
                "topic": data["topic"], "type": data["type"],
                "start_time": data.get("start_time", ""), "timezone": data["timezone"],
                "duration": data["duration"]}

    def start_webinar(self, webinar_id: int | str, at: datetime | None = None) -> None:
        """The host starts the webinar (simulation hook); emits webinar.started."""
        with self.lock:
            state = self.webinar(webinar_id)
            if state.status == "started":
                return
            state.status = "started"
            state.started_at = at or self.now()
            state.ended_at = None
            obj = self.webinar_event_object(state)
            obj["start_time"] = zoom_time(state.started_at)
            started_at = state.started_at
            self._changed()
        self._emit("webinar.started", obj, started_at)

    def end_webinar(self, webinar_id: int | str, at: datetime | None = None) -> bool:
        """End a running webinar: closes open sessions, emits webinar.ended.

        Returns False (and changes nothing) when it was not running.
        """
        events: list[tuple[str, dict[str, Any]]] = []
        moment = at or self.now()
        if self.before_end is not None:
            with self.lock:
                running = self.webinar(webinar_id).status == "started"
                key = self.webinar(webinar_id).id
            if running:
                self.before_end(key, moment)
        with self.lock:
            state = self.webinar(webinar_id)
            if state.status != "started":
                return False
            for participant_id in list(state.open_sessions):
                events.append(self._leave(state, participant_id, moment))
            state.status = "ended"
            state.ended_at = moment
            obj = self.webinar_event_object(state)
            obj["start_time"] = zoom_time(state.started_at or moment)
            obj["end_time"] = zoom_time(moment)
            events.append(("webinar.ended", obj))
            self._changed()
        for event, payload in events:
            self._emit(event, payload, moment)
        if self.after_end is not None:
            self.after_end(state.id, moment)
        return True

    # ----- panelists ------------------------------------------------------------------------

    def list_panelists(self, webinar_id: int | str) -> dict[str, Any]:
        with self.lock:
            state = self.webinar(webinar_id)
            rows = [self._render_panelist(state, p) for p in state.panelists.values()]
            # Zoom makes a webinar's interpreters panelists; list them as such.
            for interpreter in state.interpreters():
                email = str(interpreter.get("email", "")).lower()
                if not email or email in state.panelist_by_email:
                    continue
                pid = state.interpreter_ids.get(email)
                if pid is None:
                    pid = ids.opaque_id()
                    state.interpreter_ids[email] = pid
                    self._new_join_token(state, pid)
                    self._changed()
                rows.append(self._render_panelist(state, {
                    "id": pid, "email": interpreter["email"],
                    "name": interpreter["email"].split("@")[0], "virtual_background_id": "",
                    "name_tag_id": "", "name_tag_name": "", "name_tag_pronouns": "",
                    "name_tag_description": ""}))
            return {"total_records": len(rows), "panelists": rows}

    def _render_panelist(self, state: WebinarState, panelist: dict[str, Any]) -> dict[str, Any]:
        row = dict(panelist)
        row["join_url"] = self.join_url(state.id, panelist["id"], state)
        return row

    def add_panelists(self, webinar_id: int | str,
                      panelists: list[dict[str, Any]]) -> dict[str, Any]:
        with self.lock:
            state = self.webinar(webinar_id)
            for item in panelists:
                email = item["email"]
                pid = state.panelist_by_email.get(email.lower())
                if pid is None:
                    pid = state.interpreter_ids.get(email.lower()) or ids.opaque_id()
                    if pid not in state.join_tokens:
                        self._new_join_token(state, pid)
                    state.panelist_by_email[email.lower()] = pid
                    state.panelists[pid] = {"id": pid, "email": email, "name": "",
                                            "virtual_background_id": "", "name_tag_id": "",
                                            "name_tag_name": "", "name_tag_pronouns": "",
                                            "name_tag_description": ""}
                state.panelists[pid].update({k: v for k, v in item.items() if v is not None})
            state.panelists_updated_at = self.now()
            self._changed()
            return {"id": str(state.id), "updated_at": zoom_time(state.panelists_updated_at)}

    def remove_panelist(self, webinar_id: int | str, panelist_id: str) -> None:
        with self.lock:
            state = self.webinar(webinar_id)
            panelist = state.panelists.pop(panelist_id, None)
            if panelist is None:
                raise ZoomApiError(404, 3001, f"Panelist does not exist: {panelist_id}.")
            state.panelist_by_email.pop(panelist["email"].lower(), None)
            self._changed()

    def remove_all_panelists(self, webinar_id: int | str) -> None:
        with self.lock:
            state = self.webinar(webinar_id)
            state.panelists.clear()
            state.panelist_by_email.clear()
            self._changed()

    # ----- registrants ----------------------------------------------------------------------

    def _check_registration(self, state: WebinarState) -> None:
        if state.data["settings"].get("approval_type", 2) == 2:
            raise ZoomApiError(
                400, 3000, f"This webinar does not have registration as required: {state.id}.")

    def _upsert_registrant(self, state: WebinarState, fields: dict[str, Any], status: str,
                           rule: DailyRule = REGISTRANT_ADD) -> tuple[dict[str, Any], bool]:
        email = fields["email"]
        self._count_today(rule, email.strip().lower(), who=email)
        rid = state.registrant_by_email.get(email.lower())
        created = rid is None
        if rid is None:
            rid = ids.opaque_id()
            registrant: dict[str, Any] = {
                "id": rid, "email": email, "first_name": "", "last_name": "", "address": "",
                "city": "", "country": "", "zip": "", "state": "", "phone": "",
                "industry": "", "org": "", "job_title": "", "purchasing_time_frame": "",
                "role_in_purchase_process": "", "no_of_employees": "", "comments": "",
                "custom_questions": [], "status": status, "create_time": zoom_time(self.now()),
            }
            state.registrants[rid] = registrant
            state.registrant_by_email[email.lower()] = rid
            state.by_status[status][rid] = None
            self._new_join_token(state, rid)
        registrant = state.registrants[rid]
        for key, value in fields.items():
            if key in ("language", "source_id", "auto_approve"):
                continue
            if value is not None:
                registrant[key] = copy.deepcopy(value)
        if not created and registrant["status"] == "denied":
            # Registering again after a denial/cancel puts the person back in line.
            state.set_registrant_status(rid, status)
        return registrant, created

    def render_registrant(self, state: WebinarState, registrant: dict[str, Any]) -> dict[str, Any]:
        row = dict(registrant)
        row["join_url"] = self.join_url(state.id, registrant["id"], state)
        return row

    def _registration_event(self, state: WebinarState, registrant: dict[str, Any]) -> tuple[
            str, dict[str, Any]]:
        obj = self.webinar_event_object(state)
        obj["registrant"] = self.render_registrant(state, registrant)
        return "webinar.registration_created", obj

    def add_registrant(self, webinar_id: int | str, fields: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            state = self.webinar(webinar_id)
            self._check_registration(state)
            status = "approved" if state.data["settings"].get("approval_type") == 0 else "pending"
            registrant, created = self._upsert_registrant(state, fields, status)
            event = self._registration_event(state, registrant) if created else None
            self._changed()
            result = {"id": state.id, "registrant_id": registrant["id"],
                      "join_url": self.join_url(state.id, registrant["id"], state),
                      "start_time": state.data.get("start_time", ""),
                      "topic": state.data["topic"], "occurrences": []}
        if event:
            self._emit(*event)
        return result

    def batch_add_registrants(self, webinar_id: int | str, registrants: list[dict[str, Any]],
                              auto_approve: bool) -> dict[str, Any]:
        events = []
        with self.lock:
            state = self.webinar(webinar_id)
            if state.data["type"] != 5:
                raise ZoomApiError(400, 3000, "Batch registration is only supported for "
                                              "webinars of type 5 (scheduled, not recurring).")
            self._check_registration(state)
            if auto_approve or state.data["settings"].get("approval_type") == 0:
                status = "approved"
            else:
                status = "pending"
            out = []
            refused: ZoomApiError | None = None
            for fields in registrants:
                try:
                    registrant, created = self._upsert_registrant(state, fields, status,
                                                                  REGISTRANT_BATCH)
                except ZoomApiError as exc:
                    # Those before the refused person stay registered (docs/sandbox.md).
                    refused = exc
                    break
                if created:
                    events.append(self._registration_event(state, registrant))
                out.append({"email": registrant["email"], "registrant_id": registrant["id"],
                            "join_url": self.join_url(state.id, registrant["id"], state)})
            self._changed()
        for event in events:
            self._emit(*event)
        if refused is not None:
            raise refused
        return {"registrants": out}

    def list_registrants(self, webinar_id: int | str, status: str, page_size: int,
                         token: str | None) -> dict[str, Any]:
        with self.lock:
            state = self.webinar(webinar_id)
            ids_by_status = state.by_status[status]
            total = len(ids_by_status)
            chunk, next_token = self.page("registrants", f"{state.id}|{status}",
                                          iter(ids_by_status), total, page_size, token)
            rows = [self.render_registrant(state, state.registrants[rid]) for rid in chunk]
            return {"page_size": page_size, "total_records": total,
                    "page_count": (total + page_size - 1) // page_size if total else 0,
                    "page_number": 1, "next_page_token": next_token, "registrants": rows}

    def get_registrant(self, webinar_id: int | str, registrant_id: str) -> dict[str, Any]:
        with self.lock:
            state = self.webinar(webinar_id)
            registrant = state.registrants.get(registrant_id)
            if registrant is None:
                raise ZoomApiError(404, 3043, f"Registrant does not exist: {registrant_id}.")
            return self.render_registrant(state, registrant)

    def delete_registrant(self, webinar_id: int | str, registrant_id: str) -> None:
        with self.lock:
            state = self.webinar(webinar_id)
            registrant = state.registrants.pop(registrant_id, None)
            if registrant is None:
                raise ZoomApiError(400, 3043, f"Registrant does not exist: {registrant_id}.")
            state.registrant_by_email.pop(registrant["email"].lower(), None)
            state.by_status[registrant["status"]].pop(registrant_id, None)
            token = state.join_tokens.pop(registrant_id, None)
            if token:
                self.token_index.pop(token, None)
            self._changed()

    def update_registrant_status(self, webinar_id: int | str, action: str,
                                 people: list[dict[str, Any]]) -> None:
        """approve | deny | cancel for up to 30 registrants named by id or email.

        ``cancel`` takes back an approval; the sandbox files cancelled registrants as denied.
        """
        target = {"approve": "approved", "deny": "denied", "cancel": "denied"}[action]
        with self.lock:
            state = self.webinar(webinar_id)
            self._check_registration(state)
            resolved = []
            for person in people:
                rid = person.get("id")
                if not rid and person.get("email"):
                    rid = state.registrant_by_email.get(str(person["email"]).lower())
                if not rid or rid not in state.registrants:
                    who = person.get("id") or person.get("email")
                    raise ZoomApiError(400, 3000, f"Registrant not found: {who}.")
                resolved.append(rid)
            for rid in resolved:
                self._count_today(REGISTRANT_STATUS, f"{state.id}|{rid}",
                                  who=state.registrants[rid]["email"])
                state.set_registrant_status(rid, target)
            self._changed()

    def get_registration_questions(self, webinar_id: int | str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.webinar(webinar_id).questions)

    def update_registration_questions(self, webinar_id: int | str,
                                      questions: dict[str, Any]) -> None:
        with self.lock:
            state = self.webinar(webinar_id)
            for key in ("questions", "custom_questions"):
                if key in questions:
                    state.questions[key] = copy.deepcopy(questions[key])
            self._changed()

    # ----- attendance (simulation hooks) ------------------------------------------------------

    def record_join(self, webinar_id: int | str, *, name: str, email: str = "",
                    registrant_id: str | None = None, role: str = "attendee",
                    at: datetime | None = None, signed_in: bool | None = None,
                    phone_number: str = "") -> str:
        """A person joins (starts the webinar if needed); returns the participant id.

        A registrant may be named by ``registrant_id`` or found by ``email``. Zoom's privacy
        rules apply (see ``join_session``): an attendee is not signed in unless ``signed_in``.
        """
        with self.lock:
            state = self.webinar(webinar_id)
        if state.status != "started":
            self.start_webinar(webinar_id, at=at)
        with self.lock:
            moment = at or self.now()
            if registrant_id is None and email:
                registrant_id = state.registrant_by_email.get(email.lower())
            participant_id, event = self.join_session(
                state, name=name, email=email, registrant_id=registrant_id, role=role,
                at=moment, signed_in=signed_in, phone_number=phone_number)
            self._changed()
        self._emit(*event, moment)
        return participant_id

    def join_session(self, state: WebinarState, *, name: str, email: str,
                     registrant_id: str | None, role: str, at: datetime,
                     participant_id: str | None = None, session_id: str | None = None,
                     signed_in: bool | None = None, phone_number: str = "",
                     participant_uuid: str | None = None,
                     ) -> tuple[str, tuple[str, dict[str, Any]]]:
        """Open a session (caller holds the lock and emits the returned event).

        The session keeps what Zoom shows (facts.md, "Participants report"): a dial-in has
        no email, no id and no registrant id; a guest's email is hidden unless it registered
        or the host supplied it; the id only when signed in, which the host, panelists and
        interpreters are by default and attendees are not.
        """
        if phone_number:
            email, registrant_id, signed_in = "", None, False
        if signed_in is None:
            signed_in = role != "attendee"
        person_key = (email or name).lower()
        if participant_id is None:
            participant_id = state.participant_ids.get(person_key) or ids.opaque_id(22)
        state.participant_ids.setdefault(person_key, participant_id)
        if participant_id in state.open_sessions:
            raise ValueError(f"{name or email} is already in webinar {state.id}")
        session = ParticipantSession(
            session_id=session_id or ids.numeric_id(8), participant_id=participant_id,
            name=name, email=self._shown_email(state, email, role=role,
                                               registrant_id=registrant_id),
            registrant_id=registrant_id, role=role, join_time=at, signed_in=signed_in,
            phone_number=phone_number,
            participant_uuid=participant_uuid or str(uuid.uuid4()).upper())
        state.sessions.append(session)
        state.open_sessions[participant_id] = len(state.sessions) - 1
        obj = self.webinar_event_object(state)
        obj["participant"] = self._participant_object(session)
        obj["participant"]["join_time"] = zoom_time(at)
        return participant_id, ("webinar.participant_joined", obj)

    def leave_session(self, state: WebinarState, participant_id: str, at: datetime, *,
                      reason: str = LEFT_REASON) -> tuple[str, dict[str, Any]]:
        """Close a person's open session (caller holds the lock and emits the event)."""
        return self._leave(state, participant_id, at, reason)

    def _shown_email(self, state: WebinarState, email: str, *, role: str = "attendee",
                     registrant_id: str | None = None) -> str:
        """The email as Zoom shows it to the API: only for the host's account, for people
        who registered (their registered email) and for people the host supplied by email
        (panelists, interpreters); "" for every other guest (docs/sandbox.md)."""
        if registrant_id and registrant_id in state.registrants:
            return str(state.registrants[registrant_id]["email"])
        if not email:
            return ""
        key = email.lower()
        if (role != "attendee" or key in state.registrant_by_email
                or key in state.panelist_by_email
                or key == str(state.data.get("host_email", "")).lower()
                or self.user_by_email(key) is not None):
            return email  # the account's own users are not guests
        return ""

    def _participant_object(self, session: ParticipantSession) -> dict[str, Any]:
        """``payload.object.participant`` of webinar.participant_joined / _left (the fields
        Zoom's webhook reference lists; empty under the same privacy rules as the report)."""
        obj: dict[str, Any] = {
            "user_id": session.session_id, "user_name": session.name, "id": session.shown_id,
            "participant_user_id": session.shown_id,
            "participant_uuid": session.participant_uuid, "email": session.email,
            "registrant_id": session.registrant_id or "", "customer_key": ""}
        if session.phone_number:
            obj["phone_number"] = session.phone_number
        return obj

    def _leave(self, state: WebinarState, participant_id: str, moment: datetime,
               reason: str = HOST_ENDED_REASON) -> tuple[str, dict[str, Any]]:
        # The default is the end's: end_webinar closes whoever is still in the room.
        index = state.open_sessions.pop(participant_id)
        session = state.sessions[index]
        session.leave_time = max(moment, session.join_time)
        obj = self.webinar_event_object(state)
        obj["participant"] = self._participant_object(session)
        obj["participant"]["leave_time"] = zoom_time(session.leave_time)
        obj["participant"]["leave_reason"] = reason
        return "webinar.participant_left", obj

    def record_leave(self, webinar_id: int | str, *, participant_id: str | None = None,
                     email: str | None = None, name: str | None = None,
                     at: datetime | None = None) -> None:
        """A person leaves; named by participant id, email or name."""
        with self.lock:
            state = self.webinar(webinar_id)
            if participant_id is None:
                participant_id = state.participant_ids.get((email or name or "").lower())
            if participant_id is None or participant_id not in state.open_sessions:
                raise ValueError(f"{participant_id or email or name} is not in webinar {state.id}")
            moment = at or self.now()
            event = self._leave(state, participant_id, moment, LEFT_REASON)
            self._changed()
        self._emit(*event, moment)

    def add_question(self, webinar_id: int | str, *, name: str, email: str, question: str,
                     answer: str | None = None, at: datetime | None = None) -> None:
        """An attendee asks a question in Q&A (optionally answered)."""
        with self.lock:
            state = self.webinar(webinar_id)
            state.qa.append({"name": name, "email": email, "question": question,
                             "answer": answer or "", "create_time": zoom_time(at or self.now())})
            self._changed()

    def mark_changed(self) -> None:
        """Tell the state-file saver something changed (for callers that hold the lock)."""
        self._changed()

    def add_poll(self, webinar_id: int | str, *, title: str,
                 questions: list[dict[str, Any]]) -> str:
        """Define a poll; ``questions`` like ``[{"name": "Q?", "answers": ["A", "B"]}]``."""
        with self.lock:
            state = self.webinar(webinar_id)
            poll_id = ids.opaque_id(22)
            state.polls[poll_id] = {"id": poll_id, "title": title,
                                    "questions": copy.deepcopy(questions)}
            self._changed()
            return poll_id

    def record_poll_answer(self, webinar_id: int | str, *, poll_id: str, name: str, email: str,
                           question: str, answer: str, at: datetime | None = None) -> None:
        with self.lock:
            state = self.webinar(webinar_id)
            if poll_id not in state.polls:
                raise ValueError(f"no poll {poll_id} in webinar {state.id}")
            state.poll_answers.append({"poll_id": poll_id, "name": name, "email": email,
                                       "question": question, "answer": answer,
                                       "date_time": zoom_time(at or self.now())})
            self._changed()

    # ----- reports ----------------------------------------------------------------------------

    def _past(self, webinar_id: int | str) -> WebinarState:
        state = self.webinar(webinar_id)
        if state.status != "ended":
            raise ZoomApiError(404, 3001, f"Webinar {webinar_id} not found or has expired.")
        return state

    def past_by_uuid(self, uuid: str) -> WebinarState:
        wid = self.uuid_index.get(uuid)
        if wid is None and uuid.isdigit():
            wid = int(uuid)
        if wid is None or wid not in self.webinars or self.webinars[wid].status != "ended":
            raise ZoomApiError(404, 3001, "Meeting ID is invalid or not end.")
        return self.webinars[wid]

    def report_webinar(self, webinar_id: int | str) -> dict[str, Any]:
        with self.lock:
            state = self._past(webinar_id)
            start = state.started_at or self.now()
            end = state.ended_at or start
            people = {s.participant_id for s in state.sessions}
            return {
                "uuid": state.data["uuid"], "id": state.id, "host_id": HOST_ID, "type": 5,
                "topic": state.data["topic"], "user_name": "Sandbox Host",
                "user_email": HOST_EMAIL, "start_time": zoom_time(start),
                "end_time": zoom_time(end),
                "duration": max(0, round((end - start).total_seconds() / 60)),
                "total_minutes": round(sum(
                    ((s.leave_time or end) - s.join_time).total_seconds()
                    for s in state.sessions) / 60),
                "participants_count": len(people), "dept": "",
                "tracking_fields": state.data.get("tracking_fields", []),
                "custom_keys": [],
            }

    def report_participants(self, webinar_id: int | str, page_size: int, token: str | None,
                            include_registrant_id: bool) -> dict[str, Any]:
        with self.lock:
            state = self._past(webinar_id)
            total = len(state.sessions)
            chunk, next_token = self.page("participants", str(state.id), iter(state.sessions),
                                          total, page_size, token)
            rows = []
            for session in chunk:
                leave = session.leave_time or state.ended_at or session.join_time
                row: dict[str, Any] = {
                    "id": session.shown_id, "user_id": session.session_id,
                    "name": session.name, "user_email": session.email,
                    "join_time": zoom_time(session.join_time), "leave_time": zoom_time(leave),
                    "duration": int((leave - session.join_time).total_seconds()),
                    "status": "in_meeting", "failover": False, "customer_key": "",
                    "participant_user_id": session.shown_id,
                }
                if include_registrant_id:
                    row["registrant_id"] = session.registrant_id or ""
                rows.append(row)
            return {"page_count": (total + page_size - 1) // page_size if total else 0,
                    "page_size": page_size, "total_records": total,
                    "next_page_token": next_token, "participants": rows}

    def absentees(self, webinar_uuid: str, page_size: int, token: str | None) -> dict[str, Any]:
        with self.lock:
            state = self.past_by_uuid(webinar_uuid)
            self._check_registration(state)
            joined_ids = {s.registrant_id for s in state.sessions if s.registrant_id}
            joined_emails = {s.email.lower() for s in state.sessions if s.email}
            absent = [rid for rid in state.by_status["approved"]
                      if rid not in joined_ids
                      and state.registrants[rid]["email"].lower() not in joined_emails]
            chunk, next_token = self.page("absentees", state.data["uuid"], iter(absent),
                                          len(absent), page_size, token)
            rows = [self.render_registrant(state, state.registrants[rid]) for rid in chunk]
            total = len(absent)
            return {"page_count": (total + page_size - 1) // page_size if total else 0,
                    "page_size": page_size, "total_records": total,
                    "next_page_token": next_token, "registrants": rows}

    def report_qa(self, webinar_id: int | str) -> dict[str, Any]:
        with self.lock:
            state = self._past(webinar_id)
            grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for item in state.qa:
                details = {"question": item["question"], "answer": item["answer"]}
                email = self._shown_email(state, item["email"])  # Zoom's rules, as the report's
                grouped.setdefault((item["name"], email), []).append(details)
            return {"id": state.id, "uuid": state.data["uuid"],
                    "start_time": zoom_time(state.started_at or self.now()),
                    "questions": [{"name": n, "email": e, "question_details": d}
                                  for (n, e), d in grouped.items()]}

    def report_polls(self, webinar_id: int | str) -> dict[str, Any]:
        with self.lock:
            state = self._past(webinar_id)
            grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for answer in state.poll_answers:
                details = {"question": answer["question"], "answer": answer["answer"],
                           "polling_id": answer["poll_id"], "date_time": answer["date_time"]}
                email = self._shown_email(state, answer["email"])
                grouped.setdefault((answer["name"], email), []).append(details)
            # The polls report's email is `format: email`: a hidden one is left out, not "".
            return {"id": state.id, "uuid": state.data["uuid"],
                    "start_time": zoom_time(state.started_at or self.now()),
                    "questions": [{"name": n, **({"email": e} if e else {}),
                                   "question_details": d}
                                  for (n, e), d in grouped.items()]}

    # ----- live controls and chat ---------------------------------------------------------------

    def live_event(self, meeting_id: int | str, method: str, params: dict[str, Any]) -> None:
        """In-meeting controls are documented for meetings only; the sandbox holds no meetings,
        so a webinar id gets what Zoom answers for an unknown meeting (docs/sandbox.md)."""
        raise ZoomApiError(404, 3001, f"Meeting does not exist: {meeting_id}.")

    def send_chat(self, user_id: str, message: str, to_contact: str | None,
                  to_channel: str | None) -> str:
        """A Team Chat message from a user of the account to one of their contacts or to a
        channel they are a member of; anything else is refused (docs/sandbox.md)."""
        with self.lock:
            sender = self.account_user(user_id)
            if to_contact is not None and not self.reachable_by_chat(sender, to_contact):
                raise ZoomApiError(400, 5301, f"The user {to_contact} is not in the contact "
                                   f"list of {sender.email}; messages reach contacts only.")
            if to_channel is not None:
                channel = self.channels.get(to_channel)
                if channel is None:
                    raise ZoomApiError(404, 4130, f"Channel does not exist: {to_channel}.")
                if sender.email.lower() not in channel.members:
                    raise ZoomApiError(400, 5301, f"The user {sender.email} is not a member "
                                       f"of channel {to_channel}.")
            message_id = ids.chat_message_id()
            self.chat_messages.append({
                "id": message_id, "message": message, "to_contact": to_contact,
                "to_channel": to_channel, "sender": sender.email,
                "date_time": zoom_time(self.now())})
            self._changed()
            return message_id

    # ----- admin / persistence ----------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """The whole state as JSON-ready data (a copy; no secrets: the store holds none)."""
        loaded: dict[str, Any] = json.loads(self.dump_json())
        return loaded

    def dump_json(self) -> str:
        """The whole state serialized under the lock (so no write can interleave)."""
        with self.lock:
            return json.dumps(self._snapshot(), separators=(",", ":"))

    def _snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"version": STATE_VERSION, "account_id": self.account_id,
                    "clock": {"now": zoom_time(self.now()), "speed": self.clock.speed},
                    "webinars": [w.to_json() for w in self.webinars.values()],
                    "chat_messages": list(self.chat_messages),
                    "account": self.account.to_json(),
                    "users": [u.to_json() for u in self.users.values()],
                    "channels": [c.to_json() for c in self.channels.values()],
                    "daily_counts": {"day": self.counts_day, "counts": dict(self.daily_counts)}}

    def load(self, path: Path) -> None:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: cannot read sandbox state ({exc}); "
                             "fix or delete the file to start empty") from exc
        with self.lock:
            self._clear()
            for item in raw.get("webinars", []):
                state = WebinarState.from_json(item)
                self.webinars[state.id] = state
                self.uuid_index[state.data["uuid"]] = state.id
                for person_id, token in state.join_tokens.items():
                    self.token_index[token] = (state.id, person_id)
            self.chat_messages = list(raw.get("chat_messages", []))
            self.account = Account(**raw.get("account", {}))
            for item in raw.get("users", []):
                user = AccountUser.from_json(item)
                self.users[user.id] = user
            for item in raw.get("channels", []):
                self.channels[item["id"]] = ChatChannel(item["id"], item.get("name", ""),
                                                        set(item.get("members", [])))
            counts = raw.get("daily_counts", {})
            self.counts_day = counts.get("day", "")
            self.daily_counts = dict(counts.get("counts", {}))

    def save(self) -> None:
        """Write the state file atomically (temp file + rename)."""
        if self.state_file is None:
            return
        self._dirty.clear()
        text = self.dump_json()
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".sandbox-", dir=self.state_file.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self.state_file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def save_if_dirty(self) -> None:
        if self._dirty.is_set():
            self.save()

    def wait_dirty(self, timeout: float) -> bool:
        return self._dirty.wait(timeout)


def _normalize_start(value: str, timezone: str) -> str:
    """Zoom answers start_time in UTC ``...Z``; local times are read in ``timezone``."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_field("start_time", f"Invalid date-time: {value!r}.") from None
    if moment.tzinfo is None:
        try:
            moment = moment.replace(tzinfo=ZoneInfo(timezone or "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid_field("timezone", f"Unknown timezone: {timezone!r}.") from None
    return zoom_time(moment)
