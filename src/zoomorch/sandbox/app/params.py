"""Reading a request as Zoom does, for every router: JSON bodies into the request models,
query parameters, and Zoom's 400 / 300 ``Validation Failed.`` with ``errors[{field, message}]``
for anything malformed."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from zoomorch.sandbox.errors import ZoomApiError

M = TypeVar("M", bound=BaseModel)

MAX_PAGE_SIZE = 300


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validation_error(exc: ValidationError | RequestValidationError) -> ZoomApiError:
    errors = []
    for err in exc.errors():
        loc = tuple(p for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        # Drop pydantic's union/literal branch labels so the field reads like Zoom's.
        loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in (
            "literal", "constrained-str", "str", "int", "bool", "list"))))
        errors.append({"field": _field_path(loc) or "body", "message": err.get("msg", "Invalid")})
    return ZoomApiError(400, 300, "Validation Failed.", errors)


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object (empty: ``{}``) or Zoom's 400 / 300."""
    raw = await request.body()
    try:
        data = json.loads(raw) if raw.strip() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ZoomApiError(400, 300, "Request Body should be a valid JSON object.") from None
    if not isinstance(data, dict):
        raise ZoomApiError(400, 300, "Request Body should be a valid JSON object.")
    return data


async def read_body(request: Request, model: type[M]) -> M:
    """Parse a JSON body into ``model`` or raise Zoom's 400 / 300."""
    data = await json_object(request)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


def fields_of(model: BaseModel) -> dict[str, Any]:
    """The fields the request set (as the store takes them: unset and null left out)."""
    return model.model_dump(exclude_unset=True, exclude_none=True)


def int_param(request: Request, name: str, default: int, *, lo: int = 1,
              hi: int | None = None) -> int:
    """An integer query parameter; Zoom caps page_size at its maximum rather than failing."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ZoomApiError(400, 300, f"Invalid field: {name}.",
                           [{"field": name, "message": f"{name} must be an integer."}]) from None
    if value < lo:
        raise ZoomApiError(400, 300, f"Invalid field: {name}.",
                           [{"field": name, "message": f"{name} must be >= {lo}."}])
    return min(value, hi) if hi is not None else value


def page_size_param(request: Request) -> int:
    """``page_size``: 30 unless given, at most 300."""
    return int_param(request, "page_size", 30, hi=MAX_PAGE_SIZE)


def page_token_param(request: Request) -> str | None:
    return request.query_params.get("next_page_token") or None


def choice_param(request: Request, name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = request.query_params.get(name) or default
    if value not in allowed:
        raise ZoomApiError(400, 300, f"Invalid field: {name}.", [
            {"field": name, "message": f"{name} must be one of {', '.join(allowed)}."}])
    return value
