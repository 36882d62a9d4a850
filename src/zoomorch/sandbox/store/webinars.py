"""Webinars: create, read, list, update and delete them as Zoom does (settings Zoom fills in,
PATCH merging, start times in UTC, the host's 100-a-day rule, settings the account is not
licensed for silently dropped), their join and start links, and their webhook object."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from zoomorch.sandbox import ids
from zoomorch.sandbox.clock import zoom_time
from zoomorch.sandbox.errors import ZoomApiError, invalid_field, webinar_not_found
from zoomorch.sandbox.store.accounts import HOST_EMAIL, Accounts
from zoomorch.sandbox.store.context import StoreContext
from zoomorch.sandbox.store.daily import WEBINAR_WRITE, DailyCounts
from zoomorch.sandbox.store.paging import Pager
from zoomorch.sandbox.store.webinar_state import WebinarState

# The fields of a webinar in a host's list (GET /users/{userId}/webinars).
LISTED_FIELDS = ("uuid", "id", "host_id", "topic", "type", "start_time", "duration", "timezone",
                 "agenda", "created_at", "is_simulive")


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


def normalize_start(value: str, timezone: str) -> str:
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


class WebinarCatalog:
    """Every webinar of the account, by id, by uuid, and by personal join token (the store's
    lock guards them)."""

    def __init__(self, ctx: StoreContext, accounts: Accounts, daily: DailyCounts,
                 pager: Pager) -> None:
        self.ctx = ctx
        self.accounts = accounts
        self.daily = daily
        self.pager = pager
        self.clear()

    def clear(self) -> None:
        self.webinars: dict[int, WebinarState] = {}
        self.uuid_index: dict[str, int] = {}
        self.token_index: dict[str, tuple[int, str]] = {}  # join tk -> (webinar, person id)

    def restore(self, webinars: list[dict[str, Any]]) -> None:
        """Load the state file's ``webinars`` and rebuild the indexes."""
        for item in webinars:
            state = WebinarState.from_json(item)
            self.webinars[state.id] = state
            self.uuid_index[state.data["uuid"]] = state.id
            for person_id, token in state.join_tokens.items():
                self.token_index[token] = (state.id, person_id)

    def to_json(self) -> list[dict[str, Any]]:
        return [w.to_json() for w in self.webinars.values()]

    # ----- lookups and links ------------------------------------------------------------------

    def webinar(self, webinar_id: int | str) -> WebinarState:
        """The webinar a path names, or Zoom's 404 / 3001."""
        try:
            key = int(webinar_id)
        except (TypeError, ValueError):
            raise webinar_not_found(webinar_id) from None
        state = self.webinars.get(key)
        if state is None:
            raise webinar_not_found(webinar_id)
        return state

    def join_url(self, webinar_id: int, person_id: str | None = None,
                 state: WebinarState | None = None) -> str:
        """The webinar's join link, or a person's own one (with their ``tk``)."""
        base = f"{self.ctx.origin}/w/{webinar_id}"
        if person_id is None:
            return base
        state = state or self.webinars[webinar_id]
        return f"{base}?tk={state.join_tokens[person_id]}"

    def new_join_token(self, state: WebinarState, person_id: str) -> None:
        token = ids.join_token()
        state.join_tokens[person_id] = token
        self.token_index[token] = (state.id, person_id)

    def drop_join_token(self, state: WebinarState, person_id: str) -> None:
        token = state.join_tokens.pop(person_id, None)
        if token:
            self.token_index.pop(token, None)

    def webinar_event_object(self, state: WebinarState) -> dict[str, Any]:
        """The webinar part of a webhook's ``payload.object``."""
        data = state.data
        return {"uuid": data["uuid"], "id": str(data["id"]), "host_id": data["host_id"],
                "topic": data["topic"], "type": data["type"],
                "start_time": data.get("start_time", ""), "timezone": data["timezone"],
                "duration": data["duration"]}

    # ----- the API ----------------------------------------------------------------------------

    def create_webinar(self, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.ctx.lock:
            host = self.accounts.account_user(user_id)
            if not self.accounts.account.webinar:
                raise ZoomApiError(400, 200, "Subscription plan for webinar is missing. Enable "
                                   "webinar for this user once the subscription plan is "
                                   f"added:{user_id}.")
            self.daily.count(WEBINAR_WRITE, host.id)
            body = self._without_unlicensed(body)
            wid = ids.webinar_id()
            while wid in self.webinars:
                wid = ids.webinar_id()
            uuid = ids.webinar_uuid()
            now = self.ctx.now()
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
                data["start_time"] = normalize_start(body["start_time"], data["timezone"])
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
            self.ctx.mark_changed()
            return self.render_webinar(state)

    def _without_unlicensed(self, body: dict[str, Any]) -> dict[str, Any]:
        """Zoom silently ignores settings the account lacks (the spec: interpretation "will
        not be applied"): no error, the webinar just does not have it."""
        settings = body.get("settings")
        if not self.accounts.account.language_interpretation and isinstance(settings, dict) \
                and "language_interpretation" in settings:
            body = {**body, "settings": {k: v for k, v in settings.items()
                                         if k != "language_interpretation"}}
        return body

    def render_webinar(self, state: WebinarState) -> dict[str, Any]:
        """The webinar as ``GET /webinars/{id}`` answers it (internal fields left out)."""
        origin = self.ctx.origin
        data = {k: copy.deepcopy(v) for k, v in state.data.items() if not k.startswith("_")}
        data["join_url"] = self.join_url(state.id)
        data["start_url"] = f"{origin}/s/{state.id}?zak={state.data['_start_token']}"
        if data["settings"].get("approval_type", 2) != 2:
            data["registration_url"] = (f"{origin}/webinar/register/"
                                        f"WN_{state.data['_registration_code']}")
        return data

    def get_webinar(self, webinar_id: int | str) -> dict[str, Any]:
        with self.ctx.lock:
            return self.render_webinar(self.webinar(webinar_id))

    def list_webinars(self, user_id: str, page_size: int, page_number: int | None,
                     token: str | None) -> dict[str, Any]:
        """A host's webinars: by ``next_page_token`` or by the deprecated ``page_number``."""
        with self.ctx.lock:
            host = self.accounts.account_user(user_id)
            states = [w for w in self.webinars.values() if w.data.get("host_id") == host.id]
            total = len(states)
            if page_number is not None and not token:
                start = (page_number - 1) * page_size
                chunk, next_token = states[start:start + page_size], ""
            else:
                chunk, next_token = self.pager.page("webinars", user_id, iter(states), total,
                                                    page_size, token)
            rows = []
            for state in chunk:
                row = {k: state.data[k] for k in LISTED_FIELDS if k in state.data}
                row["join_url"] = self.join_url(state.id)
                rows.append(row)
            return {"page_size": page_size, "page_number": page_number or 1,
                    "page_count": (total + page_size - 1) // page_size,
                    "total_records": total, "next_page_token": next_token, "webinars": rows}

    def update_webinar(self, webinar_id: int | str, changes: dict[str, Any]) -> None:
        with self.ctx.lock:
            state = self.webinar(webinar_id)
            self.daily.count(WEBINAR_WRITE, str(state.data["host_id"]))
            changes = self._without_unlicensed(copy.deepcopy(changes))
            if "start_time" in changes:
                changes["start_time"] = normalize_start(
                    changes["start_time"], changes.get("timezone", state.data["timezone"]))
            changes.pop("schedule_for", None)
            deep_merge(state.data, changes)
            self.ctx.mark_changed()

    def delete_webinar(self, webinar_id: int | str) -> None:
        with self.ctx.lock:
            state = self.webinar(webinar_id)
            del self.webinars[state.id]
            self.uuid_index.pop(state.data["uuid"], None)
            for token in state.join_tokens.values():
                self.token_index.pop(token, None)
            self.ctx.mark_changed()
