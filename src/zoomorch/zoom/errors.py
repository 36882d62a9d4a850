"""What can go wrong talking to Zoom, as exceptions that say what to do about it.

Zoom answers errors with ``{"code", "message", "errors": [{"field", "message"}]}``; the
HTTP status and Zoom's own code together pick the exception class.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests


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


class ZoomDailyLimitReached(ZoomRateLimited):
    """The account's daily quota for this kind of call is spent until ``resets_at`` (UTC)."""

    def __init__(self, message: str, *, resets_at: datetime, **kwargs: Any) -> None:
        kwargs.setdefault("rate_limit_type", "Daily-limit")
        retry_after = max(0.0, (resets_at - datetime.now(UTC)).total_seconds())
        super().__init__(message, retry_after=retry_after, **kwargs)
        self.resets_at = resets_at


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
    if status == 404:
        return ZoomNotFound(message, **kwargs)
    if status in (401, 403):
        return ZoomAuthError(message, **kwargs)
    if status == 400 and (code == 300 or errors):
        return ZoomValidationError(message, **kwargs)
    return ZoomError(message, **kwargs)
