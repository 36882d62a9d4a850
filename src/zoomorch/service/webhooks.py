"""``POST /zoom/webhook``: Zoom's events. The body is read with a cap and refused past it
before it is buffered; the signature and timestamp are checked before anything is parsed."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from zoomorch.service.context import problem, service_context
from zoomorch.zoom import webhooks as zoom_webhooks

WEBHOOK_SECRET_ENV = "ZOOM_WEBHOOK_SECRET_TOKEN"  # noqa: S105 - a variable name, not a secret
MAX_WEBHOOK_BODY = 256 * 1024

router = APIRouter()


async def _capped_body(request: Request, cap: int) -> bytes | None:
    """The request's body, or None once it is known to exceed ``cap`` bytes: at once for a
    Content-Length above it, else as soon as the chunks read so far do. Never buffers more
    than ``cap`` plus one chunk."""
    declared = request.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > cap:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/zoom/webhook")
async def zoom_webhook(request: Request) -> Response:
    ctx = service_context(request)
    if not ctx.webhook_secret:
        return problem(503, f"webhooks are not configured: set {WEBHOOK_SECRET_ENV}")
    body = await _capped_body(request, MAX_WEBHOOK_BODY)
    if body is None:
        # Refused before more than the cap was buffered; the rest is never read.
        return JSONResponse({"error": f"body too large (at most {MAX_WEBHOOK_BODY} bytes)"},
                            status_code=413, headers={"Connection": "close"})
    # Verify before parsing: an unsigned body is never interpreted.
    if not zoom_webhooks.verify(ctx.webhook_secret, request.headers, body):
        return problem(401, "bad or stale signature")
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return problem(400, "body is not JSON")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("event"), str):
        return problem(400, "not a Zoom event: no 'event' field")
    payload = envelope.get("payload")
    if envelope["event"] == "endpoint.url_validation":
        plain = payload.get("plainToken") if isinstance(payload, dict) else None
        if not isinstance(plain, str) or not plain:
            return problem(400, "endpoint.url_validation without payload.plainToken")
        return JSONResponse(zoom_webhooks.url_validation_response(ctx.webhook_secret, plain))
    if not isinstance(payload, dict):
        return problem(400, "not a Zoom event: no 'payload' object")
    assert ctx.events is not None
    ctx.events.submit(envelope)
    return JSONResponse({"status": "accepted"})
