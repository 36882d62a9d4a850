"""The Zoom account: what it is licensed for, its users (``me`` is the app's owner), their
settings as ``GET /users/{userId}/settings`` shows them, and the Team Chat contacts they added.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from zoomorch.sandbox import ids
from zoomorch.sandbox.clock import zoom_time
from zoomorch.sandbox.errors import ZoomApiError
from zoomorch.sandbox.store.context import StoreContext

# The account's owner: with Server-to-Server OAuth, "me" is the user who created the app.
HOST_ID = "z8yCxjabR7y8Pa5tGg7_aQ"
HOST_EMAIL = "host@example.org"
WEBINAR_CAPACITY = 500
INTERPRETATION_LANGUAGES = ("English", "Chinese", "Japanese", "German", "French", "Russian",
                            "Portuguese", "Spanish", "Korean")
ACCOUNT_SETTINGS = ("webinar", "webinar_capacity", "language_interpretation")


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


class Accounts:
    """The account's licences and users (the store's lock guards them)."""

    def __init__(self, ctx: StoreContext) -> None:
        self.ctx = ctx
        self.clear()

    def clear(self) -> None:
        self.account = Account()
        owner = AccountUser(HOST_ID, HOST_EMAIL, "Sandbox", "Host")
        self.users: dict[str, AccountUser] = {owner.id: owner}

    def restore(self, account: dict[str, Any], users: list[dict[str, Any]]) -> None:
        """Load the state file's ``account`` and ``users`` over a cleared account."""
        self.account = Account(**account)
        for item in users:
            user = AccountUser.from_json(item)
            self.users[user.id] = user

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
        """``GET /users/{userId}``."""
        with self.ctx.lock:
            found = self.account_user(user_id)
            owner = found.id == HOST_ID
        created = zoom_time(datetime(2020, 1, 6, 9, 0, tzinfo=UTC))
        origin = self.ctx.origin
        return {
            "id": found.id, "first_name": found.first_name, "last_name": found.last_name,
            "display_name": f"{found.first_name} {found.last_name}".strip(),
            "email": found.email, "type": 2,
            "role_name": "Owner" if owner else "Member", "pmi": 5550001234, "use_pmi": False,
            "personal_meeting_url": f"{origin}/j/5550001234", "timezone": "UTC",
            "verified": 1, "dept": "", "created_at": created, "user_created_at": created,
            "last_login_time": zoom_time(self.ctx.now()), "last_client_version": "",
            "pic_url": "", "language": "en-US", "phone_number": "", "status": "active",
            "role_id": "0" if owner else "2", "account_id": self.ctx.account_id,
            "account_number": 10000001, "cluster": "us01", "group_ids": [], "im_group_ids": [],
            "jid": f"{found.id.lower()}@xmpp.zoom.us", "login_types": [100],
        }

    def user_settings(self, user_id: str) -> dict[str, Any]:
        """``GET /users/{userId}/settings``: the parts zoomorch's preflight reads."""
        with self.ctx.lock:
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
        with self.ctx.lock:
            for key, value in changes.items():
                if key not in ACCOUNT_SETTINGS:
                    raise ValueError(f"unknown account setting {key!r}; use webinar, "
                                     "webinar_capacity or language_interpretation")
                if key == "webinar_capacity":
                    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                        raise ValueError("webinar_capacity must be a whole number >= 0")
                elif not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
                setattr(self.account, key, value)
            self.ctx.mark_changed()
            return self.account.to_json()

    def put_user(self, email: str, first_name: str = "", last_name: str = "") -> AccountUser:
        """Admin: add (or rename) a user of the account."""
        key = email.strip().lower()
        if "@" not in key:
            raise ValueError(f"{email!r} is not an email address")
        with self.ctx.lock:
            found = self.user_by_email(key)
            if found is None:
                found = AccountUser(ids.user_id(), email.strip())
                self.users[found.id] = found
            found.first_name = first_name or found.first_name
            found.last_name = last_name or found.last_name
            self.ctx.mark_changed()
            return found

    def set_contacts(self, email: str, contacts: Iterable[str]) -> AccountUser:
        """Admin: the people a user added to their Team Chat contacts (other organisations)."""
        with self.ctx.lock:
            user = self.account_user(email)
            user.contacts = {c.strip().lower() for c in contacts if c.strip()}
            self.ctx.mark_changed()
            return user
