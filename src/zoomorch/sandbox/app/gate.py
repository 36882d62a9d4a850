"""``ZoomGate``: what Zoom does around every ``/v2`` call, in the order Zoom applies it.

A plain ASGI wrapper around the FastAPI app: fault injection (latency, 5xx, 429 bursts),
the token check, OAuth scopes, rate limits, the request log, X-RateLimit headers, and
connections dropped after the call changed state. It also stamps every response with the
sandbox clock's ``Date`` and keeps the ``/_sandbox`` admin API to loopback clients.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from zoomorch.rate_labels import label_for
from zoomorch.sandbox.auth import TokenExpired, TokenInvalid, granted_scopes
from zoomorch.sandbox.clock import zoom_time
from zoomorch.scopes import REFUSAL_CODE, refusal_message, scopes_for

if TYPE_CHECKING:
    from zoomorch.sandbox.server import Sandbox

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
DAILY_MESSAGE = "You have reached the maximum daily rate limit for this API. Try again later."
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
