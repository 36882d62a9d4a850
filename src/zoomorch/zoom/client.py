"""``ZoomClient``: the Zoom API operations zoomorch uses, as typed Python methods.

The methods are thin: build the path and body, call the transport, validate the answer
into a model (listings page by page, lazily; see :mod:`zoomorch.zoom.pagination`). Errors
are :mod:`zoomorch.zoom.errors`' (ZoomNotFound, ZoomScopeError, …). What is special lives
here too: the non-idempotent writes (create webinar,
add registrant, batch registrants, add panelists) carry a *reconciliation* that, after an
ambiguous failure, looks up what Zoom actually did before anything is sent again.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests

from zoomorch.rate_labels import Plan
from zoomorch.zoom.config import ZoomCredentials, load_settings
from zoomorch.zoom.models import (
    BatchRegistrant,
    NewPanelist,
    Panelist,
    PanelistList,
    ParticipantReportRow,
    ParticipantsReportPage,
    PollsReport,
    QAReport,
    Registrant,
    RegistrantCreated,
    RegistrantsPage,
    RegistrationQuestions,
    Webinar,
    WebinarReport,
    WebinarsPage,
    ZoomPage,
)
from zoomorch.zoom.pagination import MAX_PAGE_SIZE, iter_pages
from zoomorch.zoom.ratelimit import DEFAULT_SAFETY, RateLimiter
from zoomorch.zoom.retry import RetryPolicy
from zoomorch.zoom.transport import (
    DEFAULT_TIMEOUT,
    JSON,
    Landed,
    Resend,
    Transport,
)

log = logging.getLogger("zoomorch.zoom")

# Zoom's per-call maximums.
PANELISTS_PER_CALL = 30
REGISTRANTS_PER_BATCH = 30
REGISTRANTS_PER_STATUS_UPDATE = 30
REGISTRANT_STATUSES = ("approved", "pending", "denied")

# How far apart our clock and Zoom's may be when asking "was it created since we tried?".
CREATED_SINCE_TOLERANCE = timedelta(minutes=2)

RegistrantAction = Literal["approve", "deny", "cancel"]
Page = TypeVar("Page", bound=ZoomPage)


def _chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _email(value: object) -> str:
    return str(value or "").strip().casefold()


class ClientPool:
    """One client per account profile for a run over many events, and one pacer per Zoom
    account: Zoom's limits are per account, so every event of an account (and two profiles
    naming the same account) share one :class:`RateLimiter`.

    ``settings_for(profile)`` returns the profile's ZoomSettings (raises ZoomConfigError).
    """

    def __init__(self, settings_for: Any, *, limits: dict[Any, float] | None = None,
                 rate_safety: float = DEFAULT_SAFETY, **client_kwargs: Any) -> None:
        self._settings_for = settings_for
        self._limits = limits
        self._safety = rate_safety
        self._kwargs = client_kwargs
        self._clients: dict[str, ZoomClient] = {}
        self._limiters: dict[tuple[str, str], RateLimiter] = {}

    @classmethod
    def from_env(cls, env_file: str | os.PathLike[str] | None = None,
                 **client_kwargs: Any) -> ClientPool:
        return cls(lambda profile: load_settings(env_file, profile=profile), **client_kwargs)

    def client(self, profile: str | None) -> ZoomClient:
        """The profile's client (made on first use; the same one for every event after)."""
        name = profile or "default"
        if name not in self._clients:
            settings = self._settings_for(profile)
            account = (settings.credentials.api_base_url, settings.credentials.account_id)
            limiter = self._limiters.get(account)
            if limiter is None:
                limiter = RateLimiter(settings.plan, safety=self._safety, limits=self._limits)
                self._limiters[account] = limiter
            self._clients[name] = ZoomClient(settings.credentials, settings.plan,
                                             limiter=limiter, **self._kwargs)
        return self._clients[name]

    def limiter(self, profile: str | None) -> RateLimiter:
        """The pacer the profile's client uses (shared by every profile of that account)."""
        return self.client(profile).transport.limiter

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def __enter__(self) -> ClientPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class ZoomClient:
    """A Zoom API client for one Server-to-Server OAuth app, safe to share among threads."""

    def __init__(
        self,
        credentials: ZoomCredentials,
        plan: Plan | str = Plan.PRO,
        *,
        retry: RetryPolicy | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        rate_safety: float = DEFAULT_SAFETY,
        limiter: RateLimiter | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.credentials = credentials
        self.plan = Plan(plan)
        self.transport = Transport(
            credentials,
            plan=self.plan,
            limiter=limiter or RateLimiter(self.plan, safety=rate_safety),
            policy=retry,
            timeout=timeout,
            session=session,
        )

    @classmethod
    def from_env(
        cls, env_file: str | os.PathLike[str] | None = None, *, profile: str | None = None,
        **kwargs: Any,
    ) -> ZoomClient:
        """A client from ZOOM_* variables (the environment wins over ``env_file``); with
        ``profile``, from that account profile's ZOOM_*__PROFILE variables."""
        settings = load_settings(env_file, profile=profile)
        return cls(settings.credentials, settings.plan, **kwargs)

    def __repr__(self) -> str:
        return (
            f"ZoomClient(api_base_url={self.credentials.api_base_url!r}, "
            f"account_id={self.credentials.account_id!r}, plan={self.plan.value!r})"
        )

    def __enter__(self) -> ZoomClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release pooled connections."""
        self.transport.session.close()

    def granted_scopes(self) -> frozenset[str]:
        """The OAuth scopes Zoom granted this app (from the token answer)."""
        return self.transport.auth.granted_scopes()

    def get_user(self, user_id: str = "me") -> JSON:
        """A user of the account (by id, email or ``me``); ZoomNotFound if there is none."""
        return self._call("GET", "/users/{userId}", userId=user_id) or {}

    def get_user_settings(self, user_id: str = "me") -> JSON:
        """A user's settings: ``feature`` (webinar, capacity), ``in_meeting`` (interpretation)."""
        return self._call("GET", "/users/{userId}/settings", userId=user_id) or {}

    def server_now(self) -> datetime:
        """Zoom's current time as best known (from the Date header of its answers)."""
        return self.transport.server_now()

    @property
    def calls(self) -> Counter[str]:
        """How many requests were sent, by ``"METHOD /path-template"`` (retries included)."""
        return self.transport.calls

    # --- low level --------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: JSON | None = None,
    ) -> JSON | None:
        """Any API call by concrete path relative to the base URL (``/webinars/123``)."""
        return self.transport.request(method, path, params=params, json=json)

    def _call(
        self,
        method: str,
        template: str,
        *,
        params: dict[str, Any] | None = None,
        json: JSON | None = None,
        **path_params: object,
    ) -> JSON | None:
        return self.transport.request(
            method, template, path_params=path_params, params=params, json=json
        )

    def _pages(
        self, model: type[Page], template: str, params: dict[str, Any] | None = None,
        *, page_numbers: bool = False, **path_params: object,
    ) -> Iterator[Page]:
        """Each page of a listing (300 a page), fetched only when the previous one is used."""
        def fetch(query: dict[str, Any]) -> JSON | None:
            return self.transport.request(
                "GET", template, path_params=path_params, params=query
            )

        for body in iter_pages(fetch, params, page_size=MAX_PAGE_SIZE,
                               page_numbers=page_numbers):
            yield model.model_validate(body)

    # --- webinars ---------------------------------------------------------------------

    def create_webinar(self, body: JSON, user_id: str = "me") -> Webinar:
        """Schedule a webinar; never creates two if the answer is lost on the way back."""
        started = datetime.now(UTC)

        def reconcile() -> Landed | Resend:
            existing = self._find_created_webinar(user_id, body, started)
            if existing is None:
                return Resend(body)
            return Landed(self._call("GET", "/webinars/{webinarId}", webinarId=existing.id))

        data = self.transport.request(
            "POST", "/users/{userId}/webinars", path_params={"userId": user_id},
            json=body, reconcile=reconcile,
        )
        return Webinar.model_validate(data or {})

    def _find_created_webinar(
        self, user_id: str, body: JSON, started: datetime
    ) -> Webinar | None:
        topic = str(body.get("topic", "")).strip()
        candidates = [w for w in self.iter_webinars(user_id) if w.topic.strip() == topic]
        # The listing call above refreshed our estimate of Zoom's clock.
        since = started + self.transport.server_offset - CREATED_SINCE_TOLERANCE
        matches = [
            w for w in candidates
            if _same_start(body, w) and (w.created_at is None or w.created_at >= since)
        ]
        if not matches:
            return None
        newest = max(matches, key=lambda w: w.created_at or since)
        log.info("found webinar %s created by an unanswered attempt", newest.id)
        return newest

    def get_webinar(self, webinar_id: int) -> Webinar:
        """The webinar; ZoomNotFound if it does not exist (or has expired)."""
        data = self._call("GET", "/webinars/{webinarId}", webinarId=webinar_id)
        return Webinar.model_validate(data or {})

    def update_webinar(self, webinar_id: int, changes: JSON) -> None:
        """Change the given fields (PATCH): fields not named stay as they are."""
        self._call("PATCH", "/webinars/{webinarId}", json=changes, webinarId=webinar_id)

    def delete_webinar(self, webinar_id: int) -> None:
        self._call("DELETE", "/webinars/{webinarId}", webinarId=webinar_id)

    def end_webinar(self, webinar_id: int) -> None:
        """End a running webinar for everyone."""
        self._call(
            "PUT", "/webinars/{webinarId}/status", json={"action": "end"}, webinarId=webinar_id
        )

    def iter_webinars(self, user_id: str = "me") -> Iterator[Webinar]:
        """The user's scheduled webinars, page by page (300 a page)."""
        pages = self._pages(
            WebinarsPage, "/users/{userId}/webinars", page_numbers=True, userId=user_id
        )
        for page in pages:
            yield from page.webinars

    # --- panelists --------------------------------------------------------------------

    def get_panelists(self, webinar_id: int) -> PanelistList:
        """The webinar's panelists as one answer (Zoom does not page them)."""
        data = self._call("GET", "/webinars/{webinarId}/panelists", webinarId=webinar_id)
        return PanelistList.model_validate(data or {})

    def list_panelists(self, webinar_id: int) -> list[Panelist]:
        return self.get_panelists(webinar_id).panelists

    def add_panelists(
        self, webinar_id: int, panelists: Sequence[NewPanelist | dict[str, Any]]
    ) -> None:
        """Invite panelists, 30 a call; a lost answer never invites anyone twice."""
        rows = [
            p.model_dump(exclude_none=True) if isinstance(p, NewPanelist) else dict(p)
            for p in panelists
        ]
        for chunk in _chunks(rows, PANELISTS_PER_CALL):
            self._add_panelist_chunk(webinar_id, chunk)

    def _add_panelist_chunk(self, webinar_id: int, chunk: list[dict[str, Any]]) -> None:
        def reconcile() -> Landed | Resend:
            present = {_email(p.email) for p in self.list_panelists(webinar_id)}
            missing = [p for p in chunk if _email(p.get("email")) not in present]
            if not missing:
                return Landed(None)
            return Resend({"panelists": missing})

        self.transport.request(
            "POST", "/webinars/{webinarId}/panelists", path_params={"webinarId": webinar_id},
            json={"panelists": chunk}, reconcile=reconcile,
        )

    def remove_panelist(self, webinar_id: int, panelist_id: str) -> None:
        self._call(
            "DELETE", "/webinars/{webinarId}/panelists/{panelistId}",
            webinarId=webinar_id, panelistId=panelist_id,
        )

    def remove_all_panelists(self, webinar_id: int) -> None:
        self._call("DELETE", "/webinars/{webinarId}/panelists", webinarId=webinar_id)

    # --- registrants ------------------------------------------------------------------

    def iter_registrant_pages(
        self, webinar_id: int, status: str = "approved"
    ) -> Iterator[RegistrantsPage]:
        """The pages of registrants with ``status`` (approved, pending or denied).

        ZoomValidationError or ZoomNotFound when the webinar takes no registrations.
        """
        return self._pages(
            RegistrantsPage, "/webinars/{webinarId}/registrants", {"status": status},
            webinarId=webinar_id,
        )

    def iter_registrants(
        self, webinar_id: int, status: str = "approved"
    ) -> Iterator[Registrant]:
        """Registrants with ``status`` (approved, pending or denied), 300 a page."""
        for page in self.iter_registrant_pages(webinar_id, status):
            yield from page.registrants

    def _find_registrants(self, webinar_id: int, emails: set[str]) -> dict[str, Registrant]:
        """Registrants with any of ``emails`` (casefolded), whatever their status."""
        found: dict[str, Registrant] = {}
        for status in REGISTRANT_STATUSES:
            for registrant in self.iter_registrants(webinar_id, status):
                key = _email(registrant.email)
                if key in emails:
                    found.setdefault(key, registrant)
            if len(found) == len(emails):
                break
        return found

    def add_registrant(self, webinar_id: int, registrant: JSON) -> RegistrantCreated:
        """Register one person; a lost answer never registers them twice."""
        email = _email(registrant.get("email"))

        def reconcile() -> Landed | Resend:
            found = self._find_registrants(webinar_id, {email}).get(email)
            if found is None or found.id is None:
                return Resend(registrant)
            return Landed(
                {"id": webinar_id, "registrant_id": found.id, "join_url": found.join_url}
            )

        data = self.transport.request(
            "POST", "/webinars/{webinarId}/registrants", path_params={"webinarId": webinar_id},
            json=registrant, reconcile=reconcile,
        )
        return RegistrantCreated.model_validate(data or {})

    def batch_add_registrants(
        self, webinar_id: int, registrants: Sequence[JSON], auto_approve: bool
    ) -> list[BatchRegistrant]:
        """Register many people, 30 a call (webinar type 5 only); nobody twice."""
        result: list[BatchRegistrant] = []
        for chunk in _chunks(registrants, REGISTRANTS_PER_BATCH):
            result.extend(self._batch_chunk(webinar_id, chunk, auto_approve))
        order = {_email(r.get("email")): i for i, r in enumerate(registrants)}
        result.sort(key=lambda r: order.get(_email(r.email), len(order)))
        return result

    def _batch_chunk(
        self, webinar_id: int, chunk: list[JSON], auto_approve: bool
    ) -> list[BatchRegistrant]:
        already: list[BatchRegistrant] = []
        pending = list(chunk)

        def reconcile() -> Landed | Resend:
            found = self._find_registrants(
                webinar_id, {_email(r.get("email")) for r in pending}
            )
            still_missing = []
            for row in pending:
                registrant = found.get(_email(row.get("email")))
                if registrant is None or registrant.id is None:
                    still_missing.append(row)
                else:
                    already.append(BatchRegistrant(
                        email=registrant.email, registrant_id=registrant.id,
                        join_url=registrant.join_url,
                    ))
            pending[:] = still_missing
            if not still_missing:
                return Landed(None)
            return Resend({"auto_approve": auto_approve, "registrants": still_missing})

        data = self.transport.request(
            "POST", "/webinars/{webinarId}/batch_registrants",
            path_params={"webinarId": webinar_id},
            json={"auto_approve": auto_approve, "registrants": chunk}, reconcile=reconcile,
        )
        created = [BatchRegistrant.model_validate(r) for r in (data or {}).get("registrants", [])]
        return already + created

    def update_registrant_status(
        self, webinar_id: int, action: RegistrantAction, registrants: Sequence[JSON]
    ) -> None:
        """Approve, deny or cancel registrants (``{id}`` or ``{email}``), 30 a call."""
        if action not in ("approve", "deny", "cancel"):
            raise ValueError(f"action must be approve, deny or cancel, not {action!r}")
        for chunk in _chunks(registrants, REGISTRANTS_PER_STATUS_UPDATE):
            self._call(
                "PUT", "/webinars/{webinarId}/registrants/status",
                json={"action": action, "registrants": chunk}, webinarId=webinar_id,
            )

    def get_registrant(self, webinar_id: int, registrant_id: str) -> Registrant:
        data = self._call(
            "GET", "/webinars/{webinarId}/registrants/{registrantId}",
            webinarId=webinar_id, registrantId=registrant_id,
        )
        return Registrant.model_validate(data or {})

    def delete_registrant(self, webinar_id: int, registrant_id: str) -> None:
        self._call(
            "DELETE", "/webinars/{webinarId}/registrants/{registrantId}",
            webinarId=webinar_id, registrantId=registrant_id,
        )

    def get_registration_questions(self, webinar_id: int) -> RegistrationQuestions:
        data = self._call(
            "GET", "/webinars/{webinarId}/registrants/questions", webinarId=webinar_id
        )
        return RegistrationQuestions.model_validate(data or {})

    def update_registration_questions(
        self, webinar_id: int, questions: RegistrationQuestions | JSON
    ) -> None:
        body = (
            questions.model_dump(exclude_none=True)
            if isinstance(questions, RegistrationQuestions)
            else dict(questions)
        )
        self._call(
            "PATCH", "/webinars/{webinarId}/registrants/questions", json=body,
            webinarId=webinar_id,
        )

    # --- reports and past webinars ----------------------------------------------------

    # A past webinar is named by its id (then Zoom answers for its latest occurrence) or by
    # an occurrence's UUID (the transport double-encodes a UUID that needs it). Zoom answers
    # ZoomNotFound for a webinar that has not ended, was deleted or is past its retention.

    def get_webinar_report(self, webinar_id: int | str) -> WebinarReport:
        """Totals of a past webinar: its occurrence's UUID, actual start, end, duration."""
        data = self._call("GET", "/report/webinars/{webinarId}", webinarId=webinar_id)
        return WebinarReport.model_validate(data or {})

    def iter_participants_report_pages(
        self, webinar_id: int | str
    ) -> Iterator[ParticipantsReportPage]:
        """The pages of the participants report: one row per join, with registrant ids."""
        return self._pages(
            ParticipantsReportPage, "/report/webinars/{webinarId}/participants",
            {"include_fields": "registrant_id"}, webinarId=webinar_id,
        )

    def iter_participants_report(self, webinar_id: int | str) -> Iterator[ParticipantReportRow]:
        """One row per join of a past webinar, with registrant ids, 300 a page."""
        for page in self.iter_participants_report_pages(webinar_id):
            yield from page.participants

    def iter_absentee_pages(self, webinar_uuid: int | str) -> Iterator[RegistrantsPage]:
        """The pages of approved registrants who did not attend the occurrence
        ``webinar_uuid`` (ZoomValidationError when the webinar takes no registrations)."""
        return self._pages(
            RegistrantsPage, "/past_webinars/{webinarId}/absentees", webinarId=webinar_uuid
        )

    def iter_absentees(self, webinar_uuid: int | str) -> Iterator[Registrant]:
        """Registrants who did not attend the occurrence ``webinar_uuid``, 300 a page."""
        for page in self.iter_absentee_pages(webinar_uuid):
            yield from page.registrants

    def get_qa_report(self, webinar_id: int | str) -> QAReport:
        """The questions asked in a past webinar, with their answers, by who asked."""
        data = self._call("GET", "/report/webinars/{webinarId}/qa", webinarId=webinar_id)
        return QAReport.model_validate(data or {})

    def get_polls_report(self, webinar_id: int | str) -> PollsReport:
        """The poll answers of a past webinar, by who answered."""
        data = self._call("GET", "/report/webinars/{webinarId}/polls", webinarId=webinar_id)
        return PollsReport.model_validate(data or {})

    # --- live -------------------------------------------------------------------------

    def send_chat_message(
        self,
        message: str,
        *,
        to_contact: str | None = None,
        to_channel: str | None = None,
        user_id: str = "me",
    ) -> str:
        """Send a Team Chat message to a contact (email) or channel; returns its id.

        Not repeated after a lost answer (a duplicate cue would mislead): such a failure
        raises ZoomConnectionError with ``ambiguous=True``.
        """
        if (to_contact is None) == (to_channel is None):
            raise ValueError("send_chat_message needs exactly one of to_contact or to_channel")
        body: JSON = {"message": message}
        if to_contact is not None:
            body["to_contact"] = to_contact
        else:
            body["to_channel"] = to_channel
        data = self._call("POST", "/chat/users/{userId}/messages", json=body, userId=user_id)
        return str((data or {}).get("id", ""))


def _same_start(body: JSON, webinar: Webinar) -> bool:
    """Whether ``webinar`` starts when ``body`` asked (Zoom echoes it back in UTC)."""
    requested = body.get("start_time")
    if not requested:
        return True  # recurring without a fixed time: the topic decides
    if webinar.start_time is None:
        return False
    try:
        moment = datetime.fromisoformat(str(requested).replace("Z", "+00:00"))
    except ValueError:
        return False
    if moment.tzinfo is None:
        zone_name = body.get("timezone") or webinar.timezone
        try:
            zone = ZoneInfo(str(zone_name)) if zone_name else UTC
        except (ZoneInfoNotFoundError, ValueError):
            zone = UTC
        moment = moment.replace(tzinfo=zone)
    return abs((moment - webinar.start_time).total_seconds()) < 1
