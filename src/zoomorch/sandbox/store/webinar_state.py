"""One webinar's record and everything hanging off it: panelists, registrants, joins, Q&A,
polls. The resource parts (webinars, panelists, registrants, attendance, reports) all work on
it; it knows its own JSON form for the state file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

REGISTRANT_STATUSES = ("approved", "pending", "denied")


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
