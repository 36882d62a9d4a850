"""The cue board: ``GET /board/{slug}?token=…``, the page, which hands the link to its stream
in a cookie; ``GET /board/{slug}/stream``, its server-sent events: one snapshot per change,
shared by every board of the event (:mod:`zoomorch.board.feed`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from zoomorch.board.feed import CLOSED, BoardFeed, Snapshot, sse
from zoomorch.board.page import board_page
from zoomorch.board.tokens import BoardGrant
from zoomorch.service.context import (
    BOARD_COOKIE,
    ServiceContext,
    grant,
    problem,
    request_token,
    service_context,
)

router = APIRouter()


@router.get("/board/{slug}")
async def board(slug: str, request: Request) -> HTMLResponse:
    ctx = service_context(request)
    g = grant(request, slug, "viewer")
    page = HTMLResponse(board_page(ctx.agendas[slug].title, g.can_control, g.language),
                        headers={"Cache-Control": "no-store",
                                 "Referrer-Policy": "no-referrer"})
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
