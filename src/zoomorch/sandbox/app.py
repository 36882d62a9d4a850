"""The sandbox's HTTP face: OAuth, the Zoom ``/v2`` API and the ``/_sandbox`` admin API.

``ZoomGate`` (a plain ASGI wrapper) does what Zoom does around every ``/v2`` call — fault
injection, token check, rate limits, request log, X-RateLimit headers, dropped connections —
and the FastAPI app underneath only maps HTTP to ``SandboxStore`` calls.

Admin routes (not part of Zoom, no auth, loopback clients only):

- ``GET  /_sandbox/state`` — dump of the whole state (no secrets).
- ``POST /_sandbox/reset`` — drop all state (credentials stay).
- ``GET  /_sandbox/faults`` / ``PUT /_sandbox/faults`` — read / change fault injection
  (``error_rate``, ``rate_limit_burst``, ``latency_ms``, ``drop_after_processing_rate``, ``seed``).
- ``GET  /_sandbox/scopes`` / ``PUT /_sandbox/scopes`` ``{"scopes": [...]}`` — the app's granted
  scopes; tokens issued afterwards carry the new grant.
- ``GET  /_sandbox/requests`` — log of /v2 requests served ``[{method, path, status, label, at}]``.
- ``GET  /_sandbox/webhooks`` — webhook delivery log.
- ``GET  /_sandbox/chat`` — Team Chat messages sent through the API.
- ``GET  /_sandbox/clock`` / ``POST /_sandbox/clock`` — read the clock / change it
  (``{"advance_seconds": n}``, ``{"set": "2025-05-01T09:00:00Z"}``, ``{"speed": 60}``).
- ``POST /_sandbox/webinars/{id}/start`` and ``/end`` — the host starts / ends the webinar.
- ``POST /_sandbox/webinars/{id}/join`` ``{name, email, registrant_id?}`` → ``{participant_id}``
  and ``/leave`` ``{participant_id | email}`` — attendance recorded by hand.
- ``POST /_sandbox/webinars/{id}/simulate`` ``{seed, late_minutes, show_up_rate, segments, …}``
  — start the webinar now and play the attendance model (``simulation.py``);
  ``GET /_sandbox/webinars/{id}/truth`` — its ground truth; ``GET /_sandbox/simulations``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs, unquote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from zoomorch.rate_labels import label_for
from zoomorch.sandbox import models
from zoomorch.sandbox.auth import TokenExpired, TokenInvalid, granted_scopes, scope_string
from zoomorch.sandbox.clock import zoom_time
from zoomorch.sandbox.errors import ZoomApiError
from zoomorch.sandbox.simulation import SimulationSettings
from zoomorch.scopes import REFUSAL_CODE, refusal_message, scopes_for

if TYPE_CHECKING:
    from zoomorch.sandbox.server import Sandbox

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
M = TypeVar("M", bound=BaseModel)

QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
DAILY_MESSAGE = "You have reached the maximum daily rate limit for this API. Try again later."
MAX_PAGE_SIZE = 300
REQUEST_LOG_CAP = 200_000


class DroppedConnection(Exception):
    """Raised after a partial response so uvicorn closes the connection (fault injection)."""


class _HideDroppedConnections(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


logging.getLogger("uvicorn.error").addFilter(_HideDroppedConnections())


def _json_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


async def _send_json(send: Send, status: int, body: dict[str, Any],
                     headers: dict[str, str] | None = None) -> None:
    payload = _json_bytes(body)
    raw = [(b"content-type", b"application/json;charset=UTF-8"),
           (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


class ZoomGate:
    """Zoom's behaviour around each /v2 call, in the order Zoom applies it."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, outer_send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http":
            await self.app(scope, receive, outer_send)
            return
        clock = self.sandbox.store.clock

        async def send(message: Message) -> None:
            # The HTTP Date is the sandbox's own time, as Zoom's is Zoom's: clients that
            # correct for the server's clock (and reports "as of" now) see one timeline.
            if message["type"] == "http.response.start":
                date = format_datetime(clock.now(), usegmt=True).encode("latin-1")
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                message = {**message, "headers": [*headers, (b"date", date)]}
            await outer_send(message)

        if path.startswith("/_sandbox"):
            client = scope.get("client")
            if client and not _is_loopback(client[0]):
                await _send_json(send, 403, {"code": 403, "message": "Admin API is loopback only."})
                return
        if not path.startswith("/v2/"):
            await self.app(scope, receive, send)
            return
        await self._zoom_call(scope, receive, send, path[3:])

    async def _zoom_call(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        sb = self.sandbox
        method = scope["method"]
        label = label_for(method, path)
        entry: dict[str, Any] = {"method": method, "path": "/v2" + path, "status": 0,
                                 "label": label.value, "at": zoom_time(sb.store.now())}
        sb.log_request(entry)
        faults = sb.faults

        async def answer(status: int, body: dict[str, Any],
                         headers: dict[str, str] | None = None) -> None:
            entry["status"] = status
            await _send_json(send, status, body, headers)

        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.draw_error():
            await answer(500, {"code": 500, "message": "Internal Server Error (injected fault)."})
            return
        if faults.take_burst():
            verdict = sb.limiter.burst_verdict(label)
            await answer(429, {"code": 429, "message": QPS_MESSAGE}, verdict.headers)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        try:
            claims = sb.tokens.verify(headers.get("authorization"))
        except TokenExpired:
            await answer(401, {"code": 124, "message": "Access token is expired."})
            return
        except TokenInvalid:
            await answer(401, {"code": 124, "message": "Invalid access token."})
            return
        rule = scopes_for(method, path)
        if rule is not None and not rule.satisfied_by(granted_scopes(claims)):
            await answer(400, {"code": REFUSAL_CODE, "message": refusal_message(rule)})
            return
        rate_headers: dict[str, str] = {}
        if sb.rate_limits:
            verdict = sb.limiter.admit(label)
            if not verdict.allowed:
                message = QPS_MESSAGE if verdict.limit_type == "QPS" else DAILY_MESSAGE
                await answer(429, {"code": 429, "message": message}, verdict.headers)
                return
            rate_headers = verdict.headers
        drop = faults.draw_drop()
        extra = [(k.lower().encode(), v.encode()) for k, v in rate_headers.items()]

        if not drop:
            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    entry["status"] = message["status"]
                    message["headers"] = list(message.get("headers", [])) + extra
                await send(message)

            await self.app(scope, receive, send_with_headers)
            return

        # Process fully, then cut the connection mid-body: the state changed, the client
        # sees a connection error (requests raises ChunkedEncodingError/ConnectionError).
        captured: dict[str, Any] = {"status": 200, "headers": [], "body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")

        await self.app(scope, receive, capture)
        entry["status"] = captured["status"]
        entry["dropped"] = True
        body: bytes = captured["body"]
        promised = len(body) + 64
        raw_headers = [(k, v) for k, v in captured["headers"] if k.lower() != b"content-length"]
        raw_headers.append((b"content-length", str(promised).encode()))
        await send({"type": "http.response.start", "status": captured["status"],
                    "headers": raw_headers})
        await send({"type": "http.response.body", "body": body[: len(body) // 2],
                    "more_body": True})
        raise DroppedConnection


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in ("localhost", "testclient")


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


async def read_body(request: Request, model: type[M]) -> M:
    """Parse a JSON body into ``model`` or raise Zoom's 400 / 300."""
    data = await _json_object(request)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


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


def choice_param(request: Request, name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = request.query_params.get(name) or default
    if value not in allowed:
        raise ZoomApiError(400, 300, f"Invalid field: {name}.", [
            {"field": name, "message": f"{name} must be one of {', '.join(allowed)}."}])
    return value


def _body(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(exclude_unset=True, exclude_none=True)


def create_app(sb: Sandbox) -> ASGIApp:
    """The ASGI application for one Sandbox (FastAPI wrapped in ZoomGate)."""
    app = FastAPI(title="zoomorch sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    store = sb.store

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

    # ----- OAuth ---------------------------------------------------------------------------

    @app.post("/oauth/token")
    async def oauth_token(request: Request) -> JSONResponse:
        params = dict(request.query_params)
        raw = await request.body()
        if raw:
            for key, values in parse_qs(raw.decode("utf-8", "replace")).items():
                params.setdefault(key, values[0])
        if not sb.credentials.check_basic(request.headers.get("authorization")):
            return JSONResponse({"reason": "Invalid client_id or client_secret",
                                 "error": "invalid_client"}, status_code=400)
        if params.get("grant_type") != "account_credentials":
            return JSONResponse({"reason": "Unsupported grant type",
                                 "error": "unsupported_grant_type"}, status_code=400)
        if params.get("account_id") != sb.credentials.account_id:
            return JSONResponse({"reason": "Invalid request : Account ID is invalid.",
                                 "error": "invalid_request"}, status_code=400)
        granted = sb.scopes
        token = sb.tokens.issue(sb.credentials.client_id, granted)
        return JSONResponse({"access_token": token, "token_type": "bearer",
                             "expires_in": sb.tokens.ttl_seconds,
                             "scope": scope_string(granted), "api_url": sb.origin})

    # ----- users and webinars -----------------------------------------------------------------

    @app.get("/v2/users/{user_id}")
    async def get_user(user_id: str) -> dict[str, Any]:
        return store.user(user_id)

    @app.get("/v2/users/{user_id}/settings")
    async def get_user_settings(user_id: str) -> dict[str, Any]:
        return store.user_settings(user_id)

    @app.post("/v2/users/{user_id}/webinars", status_code=201)
    async def create_webinar(user_id: str, request: Request) -> dict[str, Any]:
        body = await read_body(request, models.WebinarCreate)
        return store.create_webinar(user_id, _body(body))

    @app.get("/v2/users/{user_id}/webinars")
    async def list_webinars(user_id: str, request: Request) -> dict[str, Any]:
        page_size = int_param(request, "page_size", 30, hi=MAX_PAGE_SIZE)
        page_number = (int_param(request, "page_number", 1)
                       if "page_number" in request.query_params else None)
        token = request.query_params.get("next_page_token") or None
        return store.list_webinars(user_id, page_size, page_number, token)

    @app.get("/v2/webinars/{webinar_id}")
    async def get_webinar(webinar_id: str) -> dict[str, Any]:
        return store.get_webinar(webinar_id)

    @app.patch("/v2/webinars/{webinar_id}", status_code=204)
    async def update_webinar(webinar_id: str, request: Request) -> Response:
        store.webinar(webinar_id)  # 404 before 400, as Zoom
        body = await read_body(request, models.WebinarUpdate)
        store.update_webinar(webinar_id, _body(body))
        return Response(status_code=204)

    @app.delete("/v2/webinars/{webinar_id}", status_code=204)
    async def delete_webinar(webinar_id: str) -> Response:
        store.delete_webinar(webinar_id)
        return Response(status_code=204)

    @app.put("/v2/webinars/{webinar_id}/status", status_code=204)
    async def webinar_status(webinar_id: str, request: Request) -> Response:
        # Zoom answers 204 (facts.md); the OpenAPI description lists 200 with no body.
        store.webinar(webinar_id)
        await read_body(request, models.WebinarStatus)
        store.end_webinar(webinar_id)
        return Response(status_code=204)

    # ----- panelists ------------------------------------------------------------------------

    @app.get("/v2/webinars/{webinar_id}/panelists")
    async def list_panelists(webinar_id: str) -> dict[str, Any]:
        return store.list_panelists(webinar_id)

    @app.post("/v2/webinars/{webinar_id}/panelists", status_code=201)
    async def add_panelists(webinar_id: str, request: Request) -> dict[str, Any]:
        store.webinar(webinar_id)
        body = await read_body(request, models.PanelistsAdd)
        return store.add_panelists(webinar_id, [_body(p) for p in body.panelists])

    @app.delete("/v2/webinars/{webinar_id}/panelists", status_code=204)
    async def remove_panelists(webinar_id: str) -> Response:
        store.remove_all_panelists(webinar_id)
        return Response(status_code=204)

    @app.delete("/v2/webinars/{webinar_id}/panelists/{panelist_id}", status_code=204)
    async def remove_panelist(webinar_id: str, panelist_id: str) -> Response:
        store.remove_panelist(webinar_id, panelist_id)
        return Response(status_code=204)

    # ----- registrants ----------------------------------------------------------------------

    @app.get("/v2/webinars/{webinar_id}/registrants")
    async def list_registrants(webinar_id: str, request: Request) -> dict[str, Any]:
        status = choice_param(request, "status", "approved", ("pending", "approved", "denied"))
        page_size = int_param(request, "page_size", 30, hi=MAX_PAGE_SIZE)
        token = request.query_params.get("next_page_token") or None
        return store.list_registrants(webinar_id, status, page_size, token)

    @app.post("/v2/webinars/{webinar_id}/registrants", status_code=201)
    async def add_registrant(webinar_id: str, request: Request) -> dict[str, Any]:
        store.webinar(webinar_id)
        body = await read_body(request, models.RegistrantCreate)
        return store.add_registrant(webinar_id, _body(body))

    @app.post("/v2/webinars/{webinar_id}/batch_registrants", status_code=201)
    async def batch_registrants(webinar_id: str, request: Request) -> dict[str, Any]:
        store.webinar(webinar_id)
        body = await read_body(request, models.BatchRegistrants)
        return store.batch_add_registrants(
            webinar_id, [_body(r) for r in body.registrants], bool(body.auto_approve))

    @app.put("/v2/webinars/{webinar_id}/registrants/status", status_code=204)
    async def registrant_status(webinar_id: str, request: Request) -> Response:
        store.webinar(webinar_id)
        body = await read_body(request, models.RegistrantStatus)
        store.update_registrant_status(webinar_id, body.action,
                                       [_body(r) for r in body.registrants or []])
        return Response(status_code=204)

    @app.get("/v2/webinars/{webinar_id}/registrants/questions")
    async def get_questions(webinar_id: str) -> dict[str, Any]:
        return store.get_registration_questions(webinar_id)

    @app.patch("/v2/webinars/{webinar_id}/registrants/questions", status_code=204)
    async def update_questions(webinar_id: str, request: Request) -> Response:
        store.webinar(webinar_id)
        body = await read_body(request, models.RegistrationQuestions)
        store.update_registration_questions(webinar_id, _body(body))
        return Response(status_code=204)

    @app.get("/v2/webinars/{webinar_id}/registrants/{registrant_id}")
    async def get_registrant(webinar_id: str, registrant_id: str) -> dict[str, Any]:
        return store.get_registrant(webinar_id, registrant_id)

    @app.delete("/v2/webinars/{webinar_id}/registrants/{registrant_id}", status_code=204)
    async def delete_registrant(webinar_id: str, registrant_id: str) -> Response:
        store.delete_registrant(webinar_id, registrant_id)
        return Response(status_code=204)

    # ----- reports --------------------------------------------------------------------------

    @app.get("/v2/report/webinars/{webinar_id}")
    async def report_webinar(webinar_id: str) -> dict[str, Any]:
        return store.report_webinar(webinar_id)

    @app.get("/v2/report/webinars/{webinar_id}/participants")
    async def report_participants(webinar_id: str, request: Request) -> dict[str, Any]:
        page_size = int_param(request, "page_size", 30, hi=MAX_PAGE_SIZE)
        token = request.query_params.get("next_page_token") or None
        include = "registrant_id" in (request.query_params.get("include_fields") or "")
        return store.report_participants(webinar_id, page_size, token, include)

    @app.get("/v2/report/webinars/{webinar_id}/qa")
    async def report_qa(webinar_id: str) -> dict[str, Any]:
        return store.report_qa(webinar_id)

    @app.get("/v2/report/webinars/{webinar_id}/polls")
    async def report_polls(webinar_id: str) -> dict[str, Any]:
        return store.report_polls(webinar_id)

    @app.get("/v2/past_webinars/{webinar_uuid}/absentees")
    async def absentees(webinar_uuid: str, request: Request) -> dict[str, Any]:
        # Zoom asks for uuids with '/' to be double-encoded; the router decoded once.
        uuid = unquote(webinar_uuid) if "%" in webinar_uuid else webinar_uuid
        page_size = int_param(request, "page_size", 30, hi=MAX_PAGE_SIZE)
        token = request.query_params.get("next_page_token") or None
        return store.absentees(uuid, page_size, token)

    # ----- live ------------------------------------------------------------------------------

    @app.patch("/v2/live_meetings/{meeting_id}/events", status_code=202)
    async def live_events(meeting_id: str, request: Request) -> Response:
        body = await read_body(request, models.InMeetingControl)
        store.live_event(meeting_id, body.method, body.params or {})
        return Response(status_code=202)

    @app.post("/v2/chat/users/{user_id}/messages", status_code=201)
    async def send_chat(user_id: str, request: Request) -> dict[str, Any]:
        body = await read_body(request, models.ChatMessage)
        if not body.to_contact and not body.to_channel:
            raise ZoomApiError(400, 300, "Validation Failed.", [
                {"field": "to_contact", "message": "Either to_contact or to_channel is required."}])
        return {"id": store.send_chat(user_id, body.message, body.to_contact, body.to_channel)}

    # ----- join landing page (the personal join_url) --------------------------------------------

    @app.get("/w/{webinar_id}", response_class=HTMLResponse)
    async def join_page(webinar_id: str, request: Request) -> HTMLResponse:
        state = store.webinar(webinar_id)
        who = "attendee"
        token = request.query_params.get("tk")
        if token:
            found = store.token_index.get(token)
            if found is None or found[0] != state.id:
                return HTMLResponse("<h1>Invalid join link</h1>", status_code=404)
            person = state.registrants.get(found[1]) or state.panelists.get(found[1])
            who = person["email"] if person else "panelist"
        topic = state.data["topic"]
        return HTMLResponse(f"<h1>{_html(topic)}</h1><p>Sandbox join page for {_html(who)}."
                            "</p>")

    # ----- admin --------------------------------------------------------------------------------

    @app.get("/_sandbox/state")
    async def admin_state() -> Response:
        return Response(store.dump_json(), media_type="application/json")

    @app.post("/_sandbox/reset")
    async def admin_reset() -> dict[str, Any]:
        sb.reset()
        return {"reset": True}

    @app.get("/_sandbox/faults")
    async def admin_faults() -> dict[str, Any]:
        return sb.faults.to_dict()

    @app.put("/_sandbox/faults")
    async def admin_set_faults(request: Request) -> dict[str, Any]:
        raw = await request.body()
        try:
            settings = models.FaultSettings.model_validate_json(raw or b"{}")
        except ValidationError as exc:
            raise validation_error(exc) from None
        sb.faults.update(settings.model_dump(exclude_unset=True))
        return sb.faults.to_dict()

    @app.get("/_sandbox/scopes")
    async def admin_scopes() -> dict[str, Any]:
        return {"scopes": sorted(sb.scopes)}

    @app.put("/_sandbox/scopes")
    async def admin_set_scopes(request: Request) -> dict[str, Any]:
        granted = (await _json_object(request)).get("scopes")
        if not isinstance(granted, list) or not all(isinstance(s, str) for s in granted):
            raise ZoomApiError(400, 300, "Invalid field: scopes.", [
                {"field": "scopes", "message": "scopes must be a list of scope names."}])
        sb.scopes = granted
        return {"scopes": sorted(sb.scopes)}

    @app.get("/_sandbox/requests")
    async def admin_requests() -> dict[str, Any]:
        return {"requests": sb.requests_log()}

    @app.get("/_sandbox/webhooks")
    async def admin_webhooks() -> dict[str, Any]:
        return {"url": sb.webhook_url, "deliveries": sb.webhook_deliveries()}

    @app.get("/_sandbox/chat")
    async def admin_chat() -> dict[str, Any]:
        with store.lock:
            return {"messages": list(store.chat_messages)}

    @app.get("/_sandbox/account")
    async def admin_account() -> dict[str, Any]:
        with store.lock:
            return {**store.account.to_json(),
                    "users": [u.to_json() for u in store.users.values()],
                    "channels": [c.to_json() for c in store.channels.values()]}

    @app.put("/_sandbox/account")
    async def admin_set_account(request: Request) -> dict[str, Any]:
        data = await _json_object(request)
        try:
            return store.set_account(data)
        except ValueError as exc:
            raise ZoomApiError(400, 300, str(exc)) from None

    @app.put("/_sandbox/users/{email}")
    async def admin_put_user(email: str, request: Request) -> dict[str, Any]:
        data = await _json_object(request)
        try:
            user = store.put_user(email, str(data.get("first_name", "")),
                                  str(data.get("last_name", "")))
        except ValueError as exc:
            raise ZoomApiError(400, 300, str(exc)) from None
        return user.to_json()

    @app.put("/_sandbox/users/{email}/contacts")
    async def admin_put_contacts(email: str, request: Request) -> dict[str, Any]:
        data = await _json_object(request)
        contacts = _emails(data, "contacts", '{"contacts": ["email", …]}')
        return store.set_contacts(email, contacts).to_json()

    @app.put("/_sandbox/channels/{channel_id}")
    async def admin_put_channel(channel_id: str, request: Request) -> dict[str, Any]:
        data = await _json_object(request)
        members = _emails(data, "members", '{"name": "…", "members": ["email", …]}')
        return store.put_channel(channel_id, str(data.get("name", "")), members).to_json()

    @app.get("/_sandbox/clock")
    async def admin_clock() -> dict[str, Any]:
        return {"now": zoom_time(store.now()), "speed": store.clock.speed}

    @app.post("/_sandbox/clock")
    async def admin_set_clock(request: Request) -> dict[str, Any]:
        data = await _json_object(request)
        try:
            if "set" in data:
                store.clock.set(datetime.fromisoformat(str(data["set"]).replace("Z", "+00:00")))
            if "advance_seconds" in data:
                store.clock.advance(float(data["advance_seconds"]))
            if "speed" in data:
                store.clock.set_speed(float(data["speed"]))
        except (TypeError, ValueError) as exc:
            raise ZoomApiError(400, 300, f"Invalid clock change: {exc}") from None
        return {"now": zoom_time(store.now()), "speed": store.clock.speed}

    @app.post("/_sandbox/webinars/{webinar_id}/start")
    async def admin_start(webinar_id: str) -> dict[str, Any]:
        store.start_webinar(webinar_id)
        return {"status": store.webinar(webinar_id).status}

    @app.post("/_sandbox/webinars/{webinar_id}/end")
    async def admin_end(webinar_id: str) -> dict[str, Any]:
        store.end_webinar(webinar_id)
        return {"status": store.webinar(webinar_id).status}

    @app.post("/_sandbox/webinars/{webinar_id}/simulate")
    async def admin_simulate(webinar_id: str, request: Request) -> dict[str, Any]:
        data = await _json_object(request)
        instant = bool(data.pop("instant", False))
        try:
            settings = SimulationSettings.model_validate(data)
        except ValidationError as exc:
            raise validation_error(exc) from None
        simulation = sb.simulations.simulate(webinar_id, settings)
        if instant:
            simulation.run()
        return simulation.summary()

    @app.get("/_sandbox/webinars/{webinar_id}/truth")
    async def admin_truth(webinar_id: str) -> dict[str, Any]:
        return sb.simulation(webinar_id).truth()

    @app.get("/_sandbox/simulations")
    async def admin_simulations() -> dict[str, Any]:
        running = sb.simulations.all()
        return {"clock": {"now": zoom_time(store.now()), "speed": store.clock.speed},
                "simulations": [s.summary() for s in running],
                "webhooks": sb.webhook_stats()}

    @app.post("/_sandbox/webinars/{webinar_id}/join")
    async def admin_join(webinar_id: str, request: Request) -> dict[str, Any]:
        data = await _json_object(request)
        try:
            signed_in = data.get("signed_in")
            if signed_in is not None and not isinstance(signed_in, bool):
                raise ValueError("signed_in must be true or false")
            pid = store.record_join(webinar_id, name=str(data.get("name", "")),
                                    email=str(data.get("email", "")),
                                    registrant_id=data.get("registrant_id"),
                                    role=str(data.get("role", "attendee")),
                                    signed_in=signed_in,
                                    phone_number=str(data.get("phone_number", "")))
        except ValueError as exc:
            raise ZoomApiError(400, 300, str(exc)) from None
        return {"participant_id": pid}

    @app.post("/_sandbox/webinars/{webinar_id}/leave")
    async def admin_leave(webinar_id: str, request: Request) -> dict[str, Any]:
        data = await _json_object(request)
        try:
            store.record_leave(webinar_id, participant_id=data.get("participant_id"),
                               email=data.get("email"), name=data.get("name"))
        except ValueError as exc:
            raise ZoomApiError(400, 300, str(exc)) from None
        return {"left": True}

    return ZoomGate(app, sb)


def _emails(data: dict[str, Any], key: str, shape: str) -> list[str]:
    """An admin body's list of emails, or 400 / 300 showing the expected body."""
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ZoomApiError(400, 300, f"Body must be {shape}.")
    return value


async def _json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object (empty: ``{}``) or Zoom's 400 / 300."""
    raw = await request.body()
    try:
        data = json.loads(raw) if raw.strip() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ZoomApiError(400, 300, "Request Body should be a valid JSON object.") from None
    if not isinstance(data, dict):
        raise ZoomApiError(400, 300, "Request Body should be a valid JSON object.")
    return data


def _html(text: str) -> str:
    import html

    return html.escape(text)
