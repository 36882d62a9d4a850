"""What can go wrong talking to Zoom, as exceptions that say what to do about it.

Zoom answers errors with ``{"code", "message", "errors": [{"field", "message"}]}``; the
HTTP status and Zoom's own code together pick the exception class.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from zoomorch import scopes


@dataclass(frozen=True)
class FieldError:
    """One invalid field reported by Zoom in a validation error."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ZoomConfigError(ValueError):
    """The client's settings are missing or invalid (e.g. an unset ZOOM_* variable)."""


class ZoomError(Exception):
    """Zoom refused or failed a call. ``status`` is the HTTP status (None if no answer)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        errors: tuple[FieldError, ...] = (),
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.errors = tuple(errors)
        self.method = method
        self.path = path
        super().__init__(message)

    def __str__(self) -> str:
        where = f"{self.method} {self.path}: " if self.method and self.path else ""
        status = f"HTTP {self.status}" if self.status is not None else "no answer"
        code = f", Zoom code {self.code}" if self.code is not None else ""
        fields = "; ".join(str(error) for error in self.errors)
        detail = f" ({fields})" if fields else ""
        return f"{where}{self.message}{detail} [{status}{code}]"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r})"
        )


class ZoomNotFound(ZoomError):
    """The webinar, user or registrant does not exist (or the webinar has expired)."""


class ZoomAuthError(ZoomError):
    """Zoom rejected the credentials or the access token; check ZOOM_CLIENT_ID/SECRET."""


class ZoomScopeError(ZoomAuthError):
    """The app's token lacks the call's scope (Zoom code 4711): add one in the Marketplace.

    ``missing`` lists the scopes Zoom accepts for the call (any one is enough); ``features``
    names the zoomorch features that make this call.
    """

    def __init__(
        self,
        message: str,
        *,
        missing: tuple[str, ...] = (),
        features: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.missing = tuple(missing)
        self.features = tuple(features)

    def __str__(self) -> str:
        call = f"{self.method} {self.path}" if self.method and self.path else "A call"
        plural = "s" if len(self.features) > 1 else ""
        used_by = (f"zoomorch's {' and '.join(self.features)} feature{plural}"
                   if self.features else "zoomorch")
        one_of = ", ".join(self.missing) or "the call's scope (Zoom did not name it)"
        status = f"HTTP {self.status}" if self.status is not None else "no answer"
        return (
            f"{call} (used by {used_by}): the Zoom app's token lacks the scope it needs. "
            f"Fix: add one of these scopes to the Server-to-Server OAuth app in the Zoom App "
            f"Marketplace: {one_of}; then restart zoomorch so a new token carries it "
            f"(see docs/zoom-app.md) [{status}, Zoom code {self.code}]"
        )


class ZoomValidationError(ZoomError):
    """Zoom rejected the request's content; ``errors`` names the fields."""


class ZoomRateLimited(ZoomError):
    """Too many calls. ``retry_after`` is seconds to wait, ``rate_limit_type`` QPS or Daily."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        rate_limit_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.rate_limit_type = rate_limit_type


class _UntilReset(ZoomRateLimited):
    """A daily rule: nothing more until ``resets_at`` (UTC), so not worth retrying today."""

    def __init__(self, message: str, *, resets_at: datetime, **kwargs: Any) -> None:
        kwargs.setdefault("rate_limit_type", "Daily-limit")
        retry_after = max(0.0, (resets_at - datetime.now(UTC)).total_seconds())
        super().__init__(message, retry_after=retry_after, **kwargs)
        self.resets_at = resets_at


class ZoomDailyLimitReached(_UntilReset):
    """The account's daily quota for this kind of call is spent until ``resets_at`` (UTC)."""


class ZoomHostDailyLimitReached(ZoomDailyLimitReached):
    """The host user's daily allowance of webinar creates and updates (100) is used up until
    ``resets_at``; other calls still work."""


class ZoomRegistrantDailyLimit(_UntilReset):
    """Zoom's per-person rule: ``email`` was registered (or had its status changed) as many
    times today as Zoom allows, across all the account's webinars. Only this person must wait,
    until ``resets_at`` (00:00 UTC); everyone else can go on (not a ZoomDailyLimitReached)."""

    def __init__(self, message: str, *, email: str, resets_at: datetime,
                 **kwargs: Any) -> None:
        super().__init__(message, resets_at=resets_at, **kwargs)
        self.email = email


class ZoomConnectionError(ZoomError):
    """No usable answer from Zoom after retrying (network down, timeouts, resets).

    ``ambiguous`` is True when the request may have reached Zoom, so a write may have
    happened even though no answer came back.
    """

    def __init__(self, message: str, *, ambiguous: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.ambiguous = ambiguous


def _body(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def error_from_response(response: requests.Response, *, method: str, path: str) -> ZoomError:
    """The exception matching a non-2xx Zoom answer (not for 429s: see ratelimit)."""
    body = _body(response)
    status = response.status_code
    code = body.get("code") if isinstance(body.get("code"), int) else None
    message = str(body.get("message") or body.get("reason") or response.reason or "error")
    errors = tuple(
        FieldError(str(item.get("field", "")), str(item.get("message", "")))
        for item in body.get("errors", []) or []
        if isinstance(item, dict)
    )
    kwargs: dict[str, Any] = {
        "status": status, "code": code, "errors": errors, "method": method, "path": path,
    }
    if code == scopes.REFUSAL_CODE and 400 <= status < 500:
        rule = scopes.scopes_for(method, path)
        missing = scopes.scopes_in_refusal(message) or (rule.accepted if rule else ())
        features = tuple(feature.value for feature in scopes.features_for(method, path))
        return ZoomScopeError(message, missing=missing, features=features, **kwargs)
    if status == 404:
        return ZoomNotFound(message, **kwargs)
    if status in (401, 403):
        return ZoomAuthError(message, **kwargs)
    if status == 400 and (code == 300 or errors):
        return ZoomValidationError(message, **kwargs)
    return ZoomError(message, **kwargs)
