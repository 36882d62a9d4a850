"""``SandboxStore``: the sandbox's whole state as one object, behind one lock.

The store builds the resource parts (the package docstring lists them) and gives them what
they share: its re-entrant lock, its clock, its origin, the "changed" flag the state-file saver
waits on, and the webhook sink. Every public call is answered by the part that owns the
resource; the store itself keeps only the wiring: the live simulation's hooks around a
webinar's end, and persistence (a JSON state file, written atomically).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from zoomorch.sandbox.clock import SandboxClock, zoom_time
from zoomorch.sandbox.store.accounts import Account, Accounts, AccountUser
from zoomorch.sandbox.store.attendance import LEFT_REASON, Attendance, Event
from zoomorch.sandbox.store.chat import ChatChannel, TeamChat
from zoomorch.sandbox.store.context import EndHook, EventSink
from zoomorch.sandbox.store.daily import DailyCounts
from zoomorch.sandbox.store.paging import Pager
from zoomorch.sandbox.store.panelists import Panelists
from zoomorch.sandbox.store.registrants import Registrants
from zoomorch.sandbox.store.reports import Reports
from zoomorch.sandbox.store.webinar_state import WebinarState
from zoomorch.sandbox.store.webinars import WebinarCatalog

STATE_VERSION = 1


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
        # The parts, each after those it builds on.
        self.accounts = Accounts(self)
        self.daily = DailyCounts(self)
        self.pager = Pager(self)
        self.catalog = WebinarCatalog(self, self.accounts, self.daily, self.pager)
        self.panelists = Panelists(self, self.catalog)
        self.registrants = Registrants(self, self.catalog, self.daily, self.pager)
        self.attendance = Attendance(self, self.catalog, self.accounts)
        self.reports = Reports(self, self.catalog, self.registrants, self.attendance,
                               self.pager)
        self.chat = TeamChat(self, self.accounts)
        if self.state_file and self.state_file.exists():
            self.load(self.state_file)

    def __repr__(self) -> str:
        return f"SandboxStore(account_id={self.account_id!r}, webinars={len(self.webinars)})"

    def _clear(self) -> None:
        # The other parts keep nothing of their own: their state is in each WebinarState.
        for part in (self.accounts, self.daily, self.pager, self.catalog, self.chat):
            part.clear()

    # ----- what the parts share -----------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def mark_changed(self) -> None:
        """Tell the state-file saver something changed (for callers that hold the lock)."""
        self._dirty.set()

    def emit(self, event: str, obj: dict[str, Any], at: datetime | None = None) -> None:
        """Send a webhook event that happened at ``at`` (call without holding the lock)."""
        if self.on_event is not None:
            self.on_event(event, obj, at)

    def reset(self) -> None:
        """Drop all state."""
        with self.lock:
            self._clear()
            self.mark_changed()

    # ----- the state, as the admin API, the simulation and tests read it ------------------------

    @property
    def webinars(self) -> dict[int, WebinarState]:
        return self.catalog.webinars

    @property
    def uuid_index(self) -> dict[str, int]:
        return self.catalog.uuid_index

    @property
    def token_index(self) -> dict[str, tuple[int, str]]:
        """Personal join token (``tk``) -> (webinar id, registrant or panelist id)."""
        return self.catalog.token_index

    @property
    def account(self) -> Account:
        return self.accounts.account

    @property
    def users(self) -> dict[str, AccountUser]:
        return self.accounts.users

    @property
    def channels(self) -> dict[str, ChatChannel]:
        return self.chat.channels

    @property
    def chat_messages(self) -> list[dict[str, Any]]:
        return self.chat.messages

    def webinar(self, webinar_id: int | str) -> WebinarState:
        """The webinar a path names, or Zoom's 404 / 3001."""
        return self.catalog.webinar(webinar_id)

    def registrations_today(self, email: str) -> int:
        """How many times ``email`` was registered today, across every webinar (admin view)."""
        return self.daily.registrations_today(email)

    # ----- users and the account (accounts.py) ------------------------------------------------

    def user(self, user_id: str) -> dict[str, Any]:
        return self.accounts.user(user_id)

    def user_settings(self, user_id: str) -> dict[str, Any]:
        return self.accounts.user_settings(user_id)

    def set_account(self, changes: dict[str, Any]) -> dict[str, Any]:
        return self.accounts.set_account(changes)

    def put_user(self, email: str, first_name: str = "", last_name: str = "") -> AccountUser:
        return self.accounts.put_user(email, first_name, last_name)

    def set_contacts(self, email: str, contacts: Iterable[str]) -> AccountUser:
        return self.accounts.set_contacts(email, contacts)

    # ----- webinars (webinars.py) -------------------------------------------------------------

    def create_webinar(self, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.catalog.create_webinar(user_id, body)

    def get_webinar(self, webinar_id: int | str) -> dict[str, Any]:
        return self.catalog.get_webinar(webinar_id)

    def list_webinars(self, user_id: str, page_size: int, page_number: int | None,
                      token: str | None) -> dict[str, Any]:
        return self.catalog.list_webinars(user_id, page_size, page_number, token)

    def update_webinar(self, webinar_id: int | str, changes: dict[str, Any]) -> None:
        self.catalog.update_webinar(webinar_id, changes)

    def delete_webinar(self, webinar_id: int | str) -> None:
        self.catalog.delete_webinar(webinar_id)

    # ----- panelists (panelists.py) -----------------------------------------------------------

    def list_panelists(self, webinar_id: int | str) -> dict[str, Any]:
        return self.panelists.list_panelists(webinar_id)

    def add_panelists(self, webinar_id: int | str,
                      panelists: list[dict[str, Any]]) -> dict[str, Any]:
        return self.panelists.add_panelists(webinar_id, panelists)

    def remove_panelist(self, webinar_id: int | str, panelist_id: str) -> None:
        self.panelists.remove_panelist(webinar_id, panelist_id)

    def remove_all_panelists(self, webinar_id: int | str) -> None:
        self.panelists.remove_all_panelists(webinar_id)

    # ----- registrants (registrants.py) -------------------------------------------------------

    def add_registrant(self, webinar_id: int | str, fields: dict[str, Any]) -> dict[str, Any]:
        return self.registrants.add_registrant(webinar_id, fields)

    def batch_add_registrants(self, webinar_id: int | str, registrants: list[dict[str, Any]],
                              auto_approve: bool) -> dict[str, Any]:
        return self.registrants.batch_add_registrants(webinar_id, registrants, auto_approve)

    def list_registrants(self, webinar_id: int | str, status: str, page_size: int,
                         token: str | None) -> dict[str, Any]:
        return self.registrants.list_registrants(webinar_id, status, page_size, token)

    def get_registrant(self, webinar_id: int | str, registrant_id: str) -> dict[str, Any]:
        return self.registrants.get_registrant(webinar_id, registrant_id)

    def delete_registrant(self, webinar_id: int | str, registrant_id: str) -> None:
        self.registrants.delete_registrant(webinar_id, registrant_id)

    def update_registrant_status(self, webinar_id: int | str, action: str,
                                 people: list[dict[str, Any]]) -> None:
        self.registrants.update_registrant_status(webinar_id, action, people)

    def get_registration_questions(self, webinar_id: int | str) -> dict[str, Any]:
        return self.registrants.get_registration_questions(webinar_id)

    def update_registration_questions(self, webinar_id: int | str,
                                      questions: dict[str, Any]) -> None:
        self.registrants.update_registration_questions(webinar_id, questions)

    # ----- the live webinar (attendance.py) ---------------------------------------------------

    def start_webinar(self, webinar_id: int | str, at: datetime | None = None) -> None:
        """The host starts the webinar (simulation hook); emits webinar.started."""
        self.attendance.start_webinar(webinar_id, at)

    def end_webinar(self, webinar_id: int | str, at: datetime | None = None) -> bool:
        """End a running webinar: closes open sessions, emits webinar.ended.

        Returns False (and changes nothing) when it was not running. The live simulation's
        hooks run outside the lock: ``before_end`` first (it applies everything that happened
        before the end moment), ``after_end`` once the webinar ended.
        """
        moment = at or self.now()
        if self.before_end is not None:
            with self.lock:
                state = self.webinar(webinar_id)
                running, key = state.status == "started", state.id
            if running:
                self.before_end(key, moment)
        if not self.attendance.end_webinar(webinar_id, moment):
            return False
        if self.after_end is not None:
            self.after_end(int(webinar_id), moment)  # the id the webinar was found by
        return True

    def record_join(self, webinar_id: int | str, *, name: str, email: str = "",
                    registrant_id: str | None = None, role: str = "attendee",
                    at: datetime | None = None, signed_in: bool | None = None,
                    phone_number: str = "") -> str:
        """A person joins (starts the webinar if needed); returns the participant id."""
        return self.attendance.record_join(
            webinar_id, name=name, email=email, registrant_id=registrant_id, role=role, at=at,
            signed_in=signed_in, phone_number=phone_number)

    def join_session(self, state: WebinarState, *, name: str, email: str,
                     registrant_id: str | None, role: str, at: datetime,
                     participant_id: str | None = None, session_id: str | None = None,
                     signed_in: bool | None = None, phone_number: str = "",
                     participant_uuid: str | None = None) -> tuple[str, Event]:
        """Open a session (caller holds the lock and emits the returned event)."""
        return self.attendance.join_session(
            state, name=name, email=email, registrant_id=registrant_id, role=role, at=at,
            participant_id=participant_id, session_id=session_id, signed_in=signed_in,
            phone_number=phone_number, participant_uuid=participant_uuid)

    def leave_session(self, state: WebinarState, participant_id: str, at: datetime, *,
                      reason: str = LEFT_REASON) -> Event:
        """Close a person's open session (caller holds the lock and emits the event)."""
        return self.attendance.leave_session(state, participant_id, at, reason=reason)

    def record_leave(self, webinar_id: int | str, *, participant_id: str | None = None,
                     email: str | None = None, name: str | None = None,
                     at: datetime | None = None) -> None:
        """A person leaves; named by participant id, email or name."""
        self.attendance.record_leave(webinar_id, participant_id=participant_id, email=email,
                                     name=name, at=at)

    def add_question(self, webinar_id: int | str, *, name: str, email: str, question: str,
                     answer: str | None = None, at: datetime | None = None) -> None:
        """An attendee asks a question in Q&A (optionally answered)."""
        self.attendance.add_question(webinar_id, name=name, email=email, question=question,
                                     answer=answer, at=at)

    def add_poll(self, webinar_id: int | str, *, title: str,
                 questions: list[dict[str, Any]]) -> str:
        """Define a poll; ``questions`` like ``[{"name": "Q?", "answers": ["A", "B"]}]``."""
        return self.attendance.add_poll(webinar_id, title=title, questions=questions)

    def record_poll_answer(self, webinar_id: int | str, *, poll_id: str, name: str, email: str,
                           question: str, answer: str, at: datetime | None = None) -> None:
        self.attendance.record_poll_answer(webinar_id, poll_id=poll_id, name=name, email=email,
                                           question=question, answer=answer, at=at)

    def live_event(self, meeting_id: int | str, method: str, params: dict[str, Any]) -> None:
        self.attendance.live_event(meeting_id, method, params)

    # ----- reports (reports.py) ---------------------------------------------------------------

    def report_webinar(self, webinar_id: int | str) -> dict[str, Any]:
        return self.reports.report_webinar(webinar_id)

    def report_participants(self, webinar_id: int | str, page_size: int, token: str | None,
                            include_registrant_id: bool) -> dict[str, Any]:
        return self.reports.report_participants(webinar_id, page_size, token,
                                                include_registrant_id)

    def absentees(self, webinar_uuid: str, page_size: int, token: str | None) -> dict[str, Any]:
        return self.reports.absentees(webinar_uuid, page_size, token)

    def report_qa(self, webinar_id: int | str) -> dict[str, Any]:
        return self.reports.report_qa(webinar_id)

    def report_polls(self, webinar_id: int | str) -> dict[str, Any]:
        return self.reports.report_polls(webinar_id)

    # ----- Team Chat (chat.py) ----------------------------------------------------------------

    def put_channel(self, channel_id: str, name: str, members: Iterable[str]) -> ChatChannel:
        return self.chat.put_channel(channel_id, name, members)

    def send_chat(self, user_id: str, message: str, to_contact: str | None,
                  to_channel: str | None) -> str:
        return self.chat.send_chat(user_id, message, to_contact, to_channel)

    # ----- persistence ------------------------------------------------------------------------

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
                    "webinars": self.catalog.to_json(),
                    "chat_messages": list(self.chat.messages),
                    "account": self.accounts.account.to_json(),
                    "users": [u.to_json() for u in self.accounts.users.values()],
                    "channels": [c.to_json() for c in self.chat.channels.values()],
                    "daily_counts": self.daily.to_json()}

    def load(self, path: Path) -> None:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: cannot read sandbox state ({exc}); "
                             "fix or delete the file to start empty") from exc
        with self.lock:
            self._clear()
            self.catalog.restore(raw.get("webinars", []))
            self.chat.restore(raw.get("channels", []), raw.get("chat_messages", []))
            self.accounts.restore(raw.get("account", {}), raw.get("users", []))
            self.daily.restore(raw.get("daily_counts", {}))

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
