"""The cue board: ``GET /board/{slug}?token=…``, the page, which hands the link to its stream
in a cookie; ``GET /board/{slug}/stream``, its server-sent events: one snapshot per change,
shared by every board of the event (:mod:`zoomorch.board.feed`); ``GET /board-key-id``, the id
of the key this service signs links with (not a secret: ``zoomorch board-link`` compares it
with its own before it prints a link).

The page takes ``?view=speaker`` (a bare fullscreen countdown for a second screen or an OBS
browser source), ``&bg=transparent`` and ``&lang=``. It is served with a Content-Security-
Policy that allows nothing but its own inline style and script (a nonce per response) and
requests to this service: the page loads nothing from anywhere."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from zoomorch.board.feed import CLOSED, BoardFeed, Snapshot, sse
from zoomorch.board.page import BOARD_WORDS, board_page, error_page
from zoomorch.board.tokens import BoardAuthError, BoardGrant, unverified_language
from zoomorch.service.context import (
    BOARD_COOKIE,
    ServiceContext,
    grant,
    problem,
    request_token,
    service_context,
)

router = APIRouter()


def _csp(nonce: str) -> str:
    """The page's Content-Security-Policy: its own inline style and script (this response's
    nonce), requests to this service (the stream, the control API), nothing else."""
    return (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
            "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")


def _page_headers(nonce: str) -> dict[str, str]:
    return {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": _csp(nonce), "X-Content-Type-Options": "nosniff"}


def _asked_language(request: Request) -> str | None:
    """``?lang=`` when it names a board language."""
    asked = request.query_params.get("lang", "")
    return asked if asked in BOARD_WORDS else None


def _error_language(request: Request) -> str:
    """The language of an error page: ``?lang=``, the link's own (read without trusting it:
    it only chooses the words), the browser's first board language, else English."""
    language = _asked_language(request) or unverified_language(request_token(request))
    if language in BOARD_WORDS:
        return language
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in BOARD_WORDS:
            return tag
    return "en"


@router.get("/board-key-id")
async def board_key_id(request: Request) -> JSONResponse:
    """The id of the key this service signs and checks board links with (the first 8 hex
    digits of its SHA-256): nothing else, and no link needed."""
    return JSONResponse({"key_id": service_context(request).tokens.key_id},
                        headers={"Cache-Control": "no-store"})


@router.get("/board/{slug}")
async def board(slug: str, request: Request) -> HTMLResponse:
    ctx = service_context(request)
    nonce = secrets.token_urlsafe(18)
    try:
        g = grant(request, slug, "viewer")
    except BoardAuthError as exc:
        return HTMLResponse(error_page(exc, _error_language(request), nonce=nonce),
                            status_code=exc.status, headers=_page_headers(nonce))
    view = "speaker" if request.query_params.get("view") == "speaker" else "board"
    page = HTMLResponse(
        board_page(ctx.agendas[slug].title, g.can_control, _asked_language(request) or g.language,
                   view=view, transparent=request.query_params.get("bg") == "transparent",
                   nonce=nonce, expires=g.expires),
        headers=_page_headers(nonce))
    token = request_token(request)
    assert token is not None  # the grant verified it
    page.set_cookie(BOARD_COOKIE, token, path=f"/board/{quote(slug, safe='')}",
                    max_age=max(1, int((g.expires - datetime.now(UTC)).total_seconds())),
                    httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return page


@router.get("/board/{slug}/stream")
async def board_stream(slug: str, request: Request) -> Response:
    ctx = service_context(request)
    g = grant(request, slug, "viewer")
    lang = request.query_params.get("lang") or g.language
    # The app's board feeds, one per run of its lifespan (create_app keeps the list).
    feeds: list[BoardFeed] = request.app.state.board_feeds
    if not feeds:
        return problem(503, "the service is starting or stopping")
    return _BoardStream(ctx, feeds[-1], slug, lang, g)


class _BoardStream(Response):
    """One board's server-sent events: the shared snapshot first, then each new one and each
    cue as they come; a comment line after ``heartbeat_seconds`` of quiet, and ``expired``
    when the link does.

    A plain ASGI response, not a StreamingResponse: a thousand open boards are a thousand of
    these, and each change wakes every one, so each costs one task and one write per wake-up
    (whatever is queued goes out together), no task group. The client's hang-up is seen by a
    pending ``receive``, which ends the stream."""

    media_type = "text/event-stream"

    def __init__(self, ctx: ServiceContext, feed: BoardFeed, slug: str, language: str,
                 g: BoardGrant) -> None:
        # Not Response.__init__: it would declare a Content-Length for an empty body.
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
        self.ctx, self.feed, self.slug, self.language, self.g = ctx, feed, slug, language, g

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": self.raw_headers})
        sub = self.feed.subscribe(self.slug, self.language)

        async def until_hangup() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        hangup = asyncio.ensure_future(until_hangup())
        hangup.add_done_callback(lambda _f: sub.offer(CLOSED))
        try:
            await send({"type": "http.response.body", "body": b"retry: 2000\n\n",
                        "more_body": True})
            while not self.ctx.closing.is_set():
                left = (self.g.expires - datetime.now(UTC)).total_seconds()
                if left <= 0:
                    await send({"type": "http.response.body", "more_body": False, "body":
                                sse("expired", {"error": "this board link has expired"})})
                    return
                try:
                    async with asyncio.timeout(min(self.ctx.heartbeat_seconds, left)):
                        items = [await sub.queue.get()]
                except TimeoutError:
                    if self.g.expires > datetime.now(UTC):
                        await send({"type": "http.response.body", "body": b": ping\n\n",
                                    "more_body": True})
                    continue
                while not sub.queue.empty():
                    items.append(sub.queue.get_nowait())
                if CLOSED in items:
                    break
                now = datetime.now(UTC)
                body = b"".join(item.event(now) if isinstance(item, Snapshot) else item
                                for item in items)
                await send({"type": "http.response.body", "body": body, "more_body": True})
            if not hangup.done():  # the service is stopping: end the response properly
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self.feed.unsubscribe(sub)
            hangup.cancel()
