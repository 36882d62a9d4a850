"""Server-to-Server OAuth: an account-wide access token, cached and renewed before expiry."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from pydantic import SecretStr

from zoomorch.zoom.config import ZoomCredentials
from zoomorch.zoom.errors import ZoomAuthError
from zoomorch.zoom.retry import RetryableFailure, RetryPolicy, classify_network_error

log = logging.getLogger("zoomorch.zoom")

# Renew this long before expiry (at most), so a token never dies in flight.
MAX_REFRESH_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and when it stops working."""

    value: SecretStr = field(repr=False)
    expires_at: datetime
    refresh_at: datetime
    scopes: frozenset[str] = frozenset()  # what Zoom granted (the token answer's ``scope``)

    def fresh(self, now: datetime) -> bool:
        return now < self.refresh_at


class ServerToServerOAuth:
    """Fetches ``account_credentials`` tokens and shares one among all threads."""

    def __init__(
        self,
        credentials: ZoomCredentials,
        session: requests.Session,
        *,
        policy: RetryPolicy | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._credentials = credentials
        self._session = session
        self._policy = policy or RetryPolicy()
        self._timeout = timeout
        self._now = now
        self._lock = threading.Lock()
        self._token: AccessToken | None = None
        self.tokens_fetched = 0

    def __repr__(self) -> str:
        return (
            f"ServerToServerOAuth(account_id={self._credentials.account_id!r}, "
            f"oauth_url={self._credentials.oauth_url!r})"
        )

    def token(self) -> str:
        """A valid access token, fetching a new one if none is cached or it is about to expire."""
        with self._lock:
            token = self._token
            if token is None or not token.fresh(self._now()):
                token = self._token = self._fetch()
            return token.value.get_secret_value()

    def granted_scopes(self) -> frozenset[str]:
        """The OAuth scopes of the current token, as Zoom listed them (fetching one if needed)."""
        self.token()
        with self._lock:
            return self._token.scopes if self._token is not None else frozenset()

    def invalidate(self, stale: str) -> None:
        """Forget ``stale`` (Zoom said it is invalid); a no-op if another thread renewed it."""
        with self._lock:
            if self._token is not None and self._token.value.get_secret_value() == stale:
                self._token = None

    def _fetch(self) -> AccessToken:
        creds = self._credentials
        # Asking for a token twice is harmless (several may be valid at once), so every
        # transient failure is simply retried.
        try:
            return self._policy.run(self._fetch_once, describe=f"POST {creds.oauth_url}")
        except RetryableFailure as failure:
            # Attempts used up: report it as an auth failure, so the API call around
            # this one does not start a second round of retries.
            assert failure.error is not None
            raise failure.error from None

    def _fetch_once(self) -> AccessToken:
        creds = self._credentials
        started = self._now()
        try:
            response = self._session.post(
                creds.oauth_url,
                params={"grant_type": "account_credentials", "account_id": creds.account_id},
                auth=(creds.client_id, creds.client_secret.get_secret_value()),
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            failure = classify_network_error(exc)
            failure.error = ZoomAuthError(
                f"could not reach Zoom's OAuth endpoint {creds.oauth_url}: {failure.reason}"
            )
            failure.ambiguous = False
            raise failure from None
        if response.status_code >= 500:
            raise RetryableFailure(
                f"OAuth endpoint answered HTTP {response.status_code}",
                ambiguous=False,
                error=ZoomAuthError(
                    f"Zoom's OAuth endpoint failed (HTTP {response.status_code})",
                    status=response.status_code,
                ),
            )
        body = _json(response)
        if response.status_code != 200 or "access_token" not in body:
            reason = body.get("reason") or body.get("error") or response.reason
            raise ZoomAuthError(
                f"Zoom refused the Server-to-Server OAuth credentials ({reason}); check "
                "ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET and that the app "
                "is activated",
                status=response.status_code,
            )
        ttl = timedelta(seconds=float(body.get("expires_in", 3599)))
        margin = min(MAX_REFRESH_MARGIN, ttl / 10)
        self.tokens_fetched += 1
        log.info("fetched a Zoom access token valid for %d s", ttl.total_seconds())
        return AccessToken(
            value=SecretStr(str(body["access_token"])),
            expires_at=started + ttl,
            refresh_at=started + ttl - margin,
            scopes=frozenset(str(body.get("scope") or "").replace(",", " ").split()),
        )


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
