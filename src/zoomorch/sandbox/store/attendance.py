"""The live webinar: the host starts and ends it, people join and leave, attendees ask
questions and answer polls. These are the hooks the admin API and the live simulation drive;
each join is kept as Zoom shows it (docs/sandbox.md, "Who the report can identify")."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime
from typing import Any

from zoomorch.sandbox import ids
from zoomorch.sandbox.clock import zoom_time
from zoomorch.sandbox.errors import ZoomApiError
from zoomorch.sandbox.store.accounts import Accounts
from zoomorch.sandbox.store.context import StoreContext
from zoomorch.sandbox.store.webinar_state import ParticipantSession, WebinarState
from zoomorch.sandbox.store.webinars import WebinarCatalog

# webinar.participant_left's leave_reason, in Zoom's words (as public payload samples show them).
LEFT_REASON = "left the meeting. Reason : left the meeting"
HOST_ENDED_REASON = "left the meeting. Reason : Host ended the meeting."

Event = tuple[str, dict[str, Any]]  # (webhook event name, payload.object)


class Attendance:
    """Who is in the catalog's webinars, and what they asked and answered."""

    def __init__(self, ctx: StoreContext, catalog: WebinarCatalog, accounts: Accounts) -> None:
        self.ctx = ctx
        self.catalog = catalog
        self.accounts = accounts

    # ----- start and end ----------------------------------------------------------------------

    def start_webinar(self, webinar_id: int | str, at: datetime | None = None) -> None:
        """The host starts the webinar (simulation hook); emits webinar.started."""
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            if state.status == "started":
                return
            state.status = "started"
            state.started_at = at or self.ctx.now()
            state.ended_at = None
            obj = self.catalog.webinar_event_object(state)
            obj["start_time"] = zoom_time(state.started_at)
            started_at = state.started_at
            self.ctx.mark_changed()
        self.ctx.emit("webinar.started", obj, started_at)

    def end_webinar(self, webinar_id: int | str, moment: datetime) -> bool:
        """End a running webinar at ``moment``: closes open sessions, emits webinar.ended.

        Returns False (and changes nothing) when it was not running. ``SandboxStore`` runs
        the live simulation's hooks around it.
        """
        events: list[Event] = []
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            if state.status != "started":
                return False
            for participant_id in list(state.open_sessions):
                events.append(self._leave(state, participant_id, moment))
            state.status = "ended"
            state.ended_at = moment
            obj = self.catalog.webinar_event_object(state)
            obj["start_time"] = zoom_time(state.started_at or moment)
            obj["end_time"] = zoom_time(moment)
            events.append(("webinar.ended", obj))
            self.ctx.mark_changed()
        for event, payload in events:
            self.ctx.emit(event, payload, moment)
        return True

    def live_event(self, meeting_id: int | str, method: str, params: dict[str, Any]) -> None:
        """In-meeting controls are documented for meetings only; the sandbox holds no meetings,
        so a webinar id gets what Zoom answers for an unknown meeting (docs/sandbox.md)."""
        raise ZoomApiError(404, 3001, f"Meeting does not exist: {meeting_id}.")

    # ----- joins and leaves -------------------------------------------------------------------

    def record_join(self, webinar_id: int | str, *, name: str, email: str = "",
                    registrant_id: str | None = None, role: str = "attendee",
                    at: datetime | None = None, signed_in: bool | None = None,
                    phone_number: str = "") -> str:
        """A person joins (starts the webinar if needed); returns the participant id.

        A registrant may be named by ``registrant_id`` or found by ``email``. Zoom's privacy
        rules apply (see ``join_session``): an attendee is not signed in unless ``signed_in``.
        """
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
        if state.status != "started":
            self.start_webinar(webinar_id, at=at)
        with self.ctx.lock:
            moment = at or self.ctx.now()
            if registrant_id is None and email:
                registrant_id = state.registrant_by_email.get(email.lower())
            participant_id, event = self.join_session(
                state, name=name, email=email, registrant_id=registrant_id, role=role,
                at=moment, signed_in=signed_in, phone_number=phone_number)
            self.ctx.mark_changed()
        self.ctx.emit(*event, moment)
        return participant_id

    def join_session(self, state: WebinarState, *, name: str, email: str,
                     registrant_id: str | None, role: str, at: datetime,
                     participant_id: str | None = None, session_id: str | None = None,
                     signed_in: bool | None = None, phone_number: str = "",
                     participant_uuid: str | None = None) -> tuple[str, Event]:
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
            name=name, email=self.shown_email(state, email, role=role,
                                              registrant_id=registrant_id),
            registrant_id=registrant_id, role=role, join_time=at, signed_in=signed_in,
            phone_number=phone_number,
            participant_uuid=participant_uuid or str(uuid.uuid4()).upper())
        state.sessions.append(session)
        state.open_sessions[participant_id] = len(state.sessions) - 1
        obj = self.catalog.webinar_event_object(state)
        obj["participant"] = self._participant_object(session)
        obj["participant"]["join_time"] = zoom_time(at)
        return participant_id, ("webinar.participant_joined", obj)

    def leave_session(self, state: WebinarState, participant_id: str, at: datetime, *,
                      reason: str = LEFT_REASON) -> Event:
        """Close a person's open session (caller holds the lock and emits the event)."""
        return self._leave(state, participant_id, at, reason)

    def record_leave(self, webinar_id: int | str, *, participant_id: str | None = None,
                     email: str | None = None, name: str | None = None,
                     at: datetime | None = None) -> None:
        """A person leaves; named by participant id, email or name."""
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            if participant_id is None:
                participant_id = state.participant_ids.get((email or name or "").lower())
            if participant_id is None or participant_id not in state.open_sessions:
                raise ValueError(f"{participant_id or email or name} is not in webinar {state.id}")
            moment = at or self.ctx.now()
            event = self._leave(state, participant_id, moment, LEFT_REASON)
            self.ctx.mark_changed()
        self.ctx.emit(*event, moment)

    def _leave(self, state: WebinarState, participant_id: str, moment: datetime,
               reason: str = HOST_ENDED_REASON) -> Event:
        # The default is the end's: end_webinar closes whoever is still in the room.
        index = state.open_sessions.pop(participant_id)
        session = state.sessions[index]
        session.leave_time = max(moment, session.join_time)
        obj = self.catalog.webinar_event_object(state)
        obj["participant"] = self._participant_object(session)
        obj["participant"]["leave_time"] = zoom_time(session.leave_time)
        obj["participant"]["leave_reason"] = reason
        return "webinar.participant_left", obj

    def shown_email(self, state: WebinarState, email: str, *, role: str = "attendee",
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
                or self.accounts.user_by_email(key) is not None):
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

    # ----- Q&A and polls ----------------------------------------------------------------------

    def add_question(self, webinar_id: int | str, *, name: str, email: str, question: str,
                     answer: str | None = None, at: datetime | None = None) -> None:
        """An attendee asks a question in Q&A (optionally answered)."""
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            state.qa.append({"name": name, "email": email, "question": question,
                             "answer": answer or "",
                             "create_time": zoom_time(at or self.ctx.now())})
            self.ctx.mark_changed()

    def add_poll(self, webinar_id: int | str, *, title: str,
                 questions: list[dict[str, Any]]) -> str:
        """Define a poll; ``questions`` like ``[{"name": "Q?", "answers": ["A", "B"]}]``."""
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            poll_id = ids.opaque_id(22)
            state.polls[poll_id] = {"id": poll_id, "title": title,
                                    "questions": copy.deepcopy(questions)}
            self.ctx.mark_changed()
            return poll_id

    def record_poll_answer(self, webinar_id: int | str, *, poll_id: str, name: str, email: str,
                           question: str, answer: str, at: datetime | None = None) -> None:
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            if poll_id not in state.polls:
                raise ValueError(f"no poll {poll_id} in webinar {state.id}")
            state.poll_answers.append({"poll_id": poll_id, "name": name, "email": email,
                                       "question": question, "answer": answer,
                                       "date_time": zoom_time(at or self.ctx.now())})
            self.ctx.mark_changed()
