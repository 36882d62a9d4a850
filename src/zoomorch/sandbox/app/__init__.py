"""The sandbox's HTTP face: OAuth, the Zoom ``/v2`` API and the ``/_sandbox`` admin API.

``create_app`` assembles one FastAPI app from a router per resource and wraps it in
``ZoomGate`` (gate.py), which does what Zoom does around every ``/v2`` call: faults, token,
scopes, rate limits, request log, X-RateLimit headers, dropped connections. The routers only
map HTTP to ``SandboxStore`` calls:

- ``oauth.py``: ``POST /oauth/token``;
- ``users.py``: users and their settings;
- ``webinars.py``: webinars (create, list, get, update, delete, end);
- ``panelists.py``, ``registrants.py``: a webinar's panelists, registrants and questions;
- ``reports.py``: reports on ended webinars, absentees;
- ``live.py``: in-meeting controls; ``chat.py``: Team Chat messages;
- ``join.py``: the page behind a join URL;
- ``admin.py``: the ``/_sandbox`` admin API (its docstring lists the routes).

``params.py`` reads requests the Zoom way (bodies, query parameters, 400 / 300 errors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from zoomorch.sandbox.app import (
    admin,
    chat,
    join,
    live,
    oauth,
    panelists,
    registrants,
    reports,
    users,
    webinars,
)
from zoomorch.sandbox.app.gate import REQUEST_LOG_CAP, ASGIApp, ZoomGate
from zoomorch.sandbox.app.params import validation_error
from zoomorch.sandbox.errors import ZoomApiError

if TYPE_CHECKING:
    from zoomorch.sandbox.server import Sandbox

__all__ = ["REQUEST_LOG_CAP", "create_app"]

# Routes match in the order they were added; this is the order of the one app they came from
# (no two routers' paths overlap; within a router, a fixed path comes before a {parameter}).
ROUTERS = (oauth, users, webinars, panelists, registrants, reports, live, chat, join, admin)


def create_app(sb: Sandbox) -> ASGIApp:
    """The ASGI application for one Sandbox (FastAPI wrapped in ZoomGate)."""
    app = FastAPI(title="zoomorch sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    _answer_errors_as_zoom(app)
    for module in ROUTERS:
        app.include_router(module.router(sb))
    return ZoomGate(app, sb)


def _answer_errors_as_zoom(app: FastAPI) -> None:
    """Every error becomes Zoom's ``{"code", "message"}`` body."""

    @app.exception_handler(ZoomApiError)
    async def _zoom_error(_: Request, exc: ZoomApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        err = validation_error(exc)
        return JSONResponse(err.body(), status_code=err.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return JSONResponse({"code": 404, "message": "Not Found."}, status_code=404)
        if exc.status_code == 405:
            return JSONResponse({"code": 405, "message": "Method Not Allowed."},
                                status_code=405)
        return JSONResponse({"code": exc.status_code, "message": str(exc.detail)},
                            status_code=exc.status_code)
