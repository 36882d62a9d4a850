"""The one error type of the sandbox: becomes Zoom's ``{"code", "message"}`` body."""

from __future__ import annotations

from typing import Any


class ZoomApiError(Exception):
    """An error Zoom would answer with: HTTP ``status`` and a Zoom ``code``."""

    def __init__(self, status: int, code: int, message: str,
                 errors: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            data["errors"] = self.errors
        return data


def webinar_not_found(webinar_id: object) -> ZoomApiError:
    return ZoomApiError(404, 3001, f"Webinar does not exist: {webinar_id}.")


def invalid_field(field: str, message: str) -> ZoomApiError:
    return ZoomApiError(400, 300, "Validation Failed.", [{"field": field, "message": message}])
