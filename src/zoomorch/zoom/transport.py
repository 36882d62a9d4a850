"""One Zoom API call, with everything around it: pacing, auth, retries, error mapping.

Every request the client makes goes through ``Transport.request``, so the policy lives
here once: wait for the label's rate-limit slot, attach the bearer token (renewing it once
on a 401 code 124), retry transient failures with the shared ``RetryPolicy``, and turn
error answers into typed exceptions.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from zoomorch.rate_labels import (
    Plan,
    RateLabel,
    label_for,
    next_utc_midnight,
    operation_for,
)
from zoomorch.zoom.auth import ServerToServerOAuth
from zoomorch.zoom.config import ZoomCredentials
from zoomorch.zoom.errors import (
    ZoomAuthError,
    ZoomConnectionError,
    ZoomDailyLimitReached,
    ZoomError,
    ZoomHostDailyLimitReached,
    ZoomRateLimited,
    ZoomRegistrantDailyLimit,
    error_from_response,
)
from zoomorch.zoom.ratelimit import RateLimiter, read_rate_limit_headers
from zoomorch.zoom.retry import RetryableFailure, RetryPolicy, classify_network_error

log = logging.getLogger("zoomorch.zoom")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
DEFAULT_TIMEOUT = (5.0, 30.0)

JSON = dict[str, Any]


@dataclass(frozen=True)
class Landed:
    """Reconciliation found the write already done; ``body`` stands in for its answer."""

    body: JSON | None


@dataclass(frozen=True)
class Resend:
    """Reconciliation found the write (or part of it) missing; send ``json`` instead."""

    json: JSON


# Looks up, after an ambiguous failure, whether a non-idempotent write happened.
Reconcile = Callable[[], Landed | Resend]


def encode_path_value(value: object) -> str:
    """A path segment; webinar UUIDs starting with ``/`` or holding ``//`` are encoded twice."""
    text = str(value)
    encoded = quote(text, safe="")
    if text.startswith("/") or "//" in text:
        encoded = quote(encoded, safe="")
    return encoded


def path_template(method: str, path: str) -> str:
    """The OpenAPI template of a concrete path (``/webinars/1`` → ``/webinars/{webinarId}``)."""
    return operation_for(method, path)[0]


def _fill(template: str, path_params: Mapping[str, object]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in path_params:
            raise KeyError(f"path parameter {name!r} missing for {template}")
        return encode_path_value(path_params[name])

    return re.sub(r"\{([^}]+)\}", value, template)


class Transport:
    """Sends Zoom API requests under the client's rate-limit, auth and retry policy."""

    def __init__(
        self,
        credentials: ZoomCredentials,
        *,
        plan: Plan | str = Plan.PRO,
        limiter: RateLimiter | None = None,
        policy: RetryPolicy | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = credentials.api_base_url
        self.policy = policy or RetryPolicy()
        self.limiter = limiter or RateLimiter(plan)
        self.timeout = timeout
        self.session = session or _session()
        self.auth = ServerToServerOAuth(
            credentials, self.session, policy=self.policy, timeout=timeout
        )
        self.calls: Counter[str] = Counter()
        self._calls_lock = threading.Lock()
        # Zoom's clock minus ours, from the Date header, for "created since" checks.
        self.server_offset = timedelta(0)

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r}, limiter={self.limiter!r})"

    def server_now(self) -> datetime:
        """Our best guess of Zoom's current time."""
        return datetime.now(UTC) + self.server_offset

    def request(
        self,
        method: str,
        template: str,
        *,
        path_params: Mapping[str, object] | None = None,
        params: Mapping[str, Any] | None = None,
        json: JSON | None = None,
        reconcile: Reconcile | None = None,
    ) -> JSON | None:
        """Send one API call and return its JSON body (None for 204).

        Non-idempotent calls (POST) are repeated after an ambiguous failure only if
        ``reconcile`` is given; it runs first and may find the write already done.
        """
        method = method.upper()
        if path_params is None:
            path = template
            template = path_template(method, path)
        else:
            path = _fill(template, path_params)
        call = _Call(self, method, template, self.base_url + path, params, json, reconcile)
        try:
            return self.policy.run(call.attempt, describe=f"{method} {template}")
        except RetryableFailure as failure:
            assert failure.error is not None
            raise failure.error from None

    def count(self, key: str) -> None:
        with self._calls_lock:
            self.calls[key] += 1

    def observe_date(self, response: requests.Response) -> None:
        header = response.headers.get("Date")
        if not header:
            return
        try:
            server = parsedate_to_datetime(header)
        except (TypeError, ValueError, IndexError):
            return
        if server.tzinfo is not None:
            self.server_offset = server - datetime.now(UTC)


class _Call:
    """The state of one logical call across its attempts."""

    def __init__(
        self,
        transport: Transport,
        method: str,
        template: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: JSON | None,
        reconcile: Reconcile | None,
    ) -> None:
        self.t = transport
        self.method = method
        self.template = template
        self.key = f"{method} {template}"
        self.label: RateLabel = label_for(method, template)
        self.url = url
        self.params = dict(params) if params else None
        self.json = json
        self.reconcile = reconcile
        self.idempotent = method in IDEMPOTENT_METHODS
        self.ambiguous_before = False
        self.refreshed = False

    def attempt(self) -> JSON | None:
        if self.ambiguous_before and self.reconcile is not None:
            outcome = self.reconcile()
            if isinstance(outcome, Landed):
                log.info("%s: the earlier attempt did land; not repeating it", self.key)
                return outcome.body
            log.info("%s: the earlier attempt did not land; sending again", self.key)
            self.json = outcome.json
        while True:
            self.t.limiter.acquire(self.label)
            token = self.t.auth.token()
            response = self._send(token)
            if response.status_code == 401 and _code(response) == 124 and not self.refreshed:
                # Zoom dropped the token early (revoked, clock skew): renew once, repeat.
                log.info("%s: access token refused (code 124); renewing it once", self.key)
                self.t.auth.invalidate(token)
                self.refreshed = True
                continue
            return self._answer(response)

    def _send(self, token: str) -> requests.Response:
        self.t.count(self.key)
        try:
            response = self.t.session.request(
                self.method,
                self.url,
                params=self.params,
                json=self.json,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=self.t.timeout,
            )
        except requests.RequestException as exc:
            failure = classify_network_error(exc)
            failure.error = ZoomConnectionError(
                f"no answer from Zoom ({failure.reason})",
                ambiguous=failure.ambiguous,
                method=self.method,
                path=self.template,
            )
            if failure.ambiguous:
                self.ambiguous_before = True
                if not self.idempotent and self.reconcile is None:
                    # A blind repeat could do the write twice: report instead.
                    raise failure.error from None
            raise failure from None
        log.debug("%s -> HTTP %d (%s)", self.key, response.status_code, self.label.value)
        self.t.observe_date(response)
        return response

    def _answer(self, response: requests.Response) -> JSON | None:
        status = response.status_code
        if 200 <= status < 300:
            self._adapt_pace(response)
            if status == 204 or not response.content:
                return None
            try:
                body = response.json()
            except ValueError:
                raise ZoomError(
                    "Zoom answered with a body that is not JSON",
                    status=status, method=self.method, path=self.template,
                ) from None
            return body if isinstance(body, dict) else {"items": body}
        if status == 429:
            raise self._rate_limited(response)
        error = error_from_response(response, method=self.method, path=self.template)
        if status == 404 and self.method == "DELETE" and self.ambiguous_before:
            # The earlier, unanswered attempt already deleted it.
            return None
        if status == 401 and _code(response) == 124:
            raise ZoomAuthError(
                f"{error.message} (even after renewing the token)",
                status=status, code=124, method=self.method, path=self.template,
            )
        if status >= 500:
            if self.idempotent:
                raise RetryableFailure(f"HTTP {status}", ambiguous=False, error=error)
            self.ambiguous_before = True
            if self.reconcile is not None:
                raise RetryableFailure(
                    f"HTTP {status} on a write (may have landed)", ambiguous=True, error=error
                )
        raise error

    def _adapt_pace(self, response: requests.Response) -> None:
        answer = read_rate_limit_headers(response.headers)
        if answer.limit is not None and not answer.is_daily:
            self._observe_limit(answer.limit)

    def _observe_limit(self, limit: float) -> None:
        if self.t.limiter.observe_limit(self.label, limit):
            log.warning(
                "Zoom says the %s limit is %g/s, below the %s plan's; pacing to match",
                self.label.value, limit, self.t.limiter.plan.value,
            )

    def _rate_limited(self, response: requests.Response) -> ZoomRateLimited:
        now = datetime.now(UTC)
        answer = read_rate_limit_headers(response.headers, now)
        body = _body(response)
        message = str(body.get("message") or "rate limit reached")
        kwargs: dict[str, Any] = {
            "status": 429, "code": _code(response), "method": self.method, "path": self.template,
        }
        if answer.is_daily or "daily" in message.lower():
            kind = daily_rule_of(message)
            resets_at = answer.resets_at or next_utc_midnight(now)
            if resets_at <= now:
                resets_at = next_utc_midnight(now)
            hours, rest = divmod(int((resets_at - now).total_seconds()), 3600)
            when = (f"at {resets_at:%Y-%m-%d %H:%M} UTC (in {hours} h {rest // 60} min)")
            if kind is DailyRuleKind.REGISTRANT:
                # One person, not the account: the caller decides to defer just them.
                email = _REGISTRANT_EMAIL.search(message)
                who = email.group(1) if email else ""
                return ZoomRegistrantDailyLimit(
                    f"Zoom's daily limit for {who or 'this registrant'} is reached (a person "
                    f"can be registered or have their status changed only a few times a day, "
                    f"across all the account's webinars); they can be retried {when}",
                    email=who, resets_at=resets_at, **kwargs)
            if kind is DailyRuleKind.HOST:
                return ZoomHostDailyLimitReached(
                    f"Zoom allows a host 100 webinar creates and updates a day, and today's "
                    f"are used up; they reset {when}. Nothing was changed by this call: run "
                    "the same command again after that.",
                    resets_at=resets_at, rate_limit_type="Daily-limit", **kwargs)
            category = answer.category or self.label.value
            return ZoomDailyLimitReached(
                f"Zoom's daily limit for {category} calls on this account is used up; it "
                f"resets {when}. Run the rest after that, or spread large jobs over several "
                "days.",
                resets_at=resets_at, rate_limit_type="Daily-limit", **kwargs,
            )
        if answer.limit is not None:
            self._observe_limit(answer.limit)
        wait = answer.retry_after if answer.retry_after is not None else 1.0
        self.t.limiter.pause(self.label, wait)
        return ZoomRateLimited(
            f"{message} ({self.label.value}); waiting {wait:.2f} s",
            retry_after=wait, rate_limit_type=answer.limit_type or "QPS", **kwargs,
        )


class DailyRuleKind(Enum):
    """Which of Zoom's per-day rules a 429 is about (see facts.md)."""

    REGISTRANT = "registrant"  # one person: 3 registrations / 10 status changes a day
    HOST = "host"  # one host user: 100 webinar creates and updates a day


_REGISTRANT_EMAIL = re.compile(r"\(([^()\s]+@[^()\s]+)\)")


def daily_rule_of(message: str) -> DailyRuleKind | None:
    """Tell Zoom's per-person and per-host daily rules from an account-wide daily quota by the
    wording of the 429 (their headers may look alike: only the message is reliable)."""
    text = message.lower()
    if "daily" not in text:
        return None
    if "registrant" in text or "registration" in text:
        return DailyRuleKind.REGISTRANT
    if "create/update" in text or "(100)" in text:
        return DailyRuleKind.HOST
    return None


def _body(response: requests.Response) -> JSON:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _code(response: requests.Response) -> int | None:
    code = _body(response).get("code")
    return code if isinstance(code, int) else None


def _session() -> requests.Session:
    session = requests.Session()
    # Retries are ours (see retry.py); urllib3 must not repeat anything behind our back.
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
