"""``zoomorch serve``: the cue scheduler, Zoom's webhook receiver, the cue board and a JSON API.

One process, one FastAPI app on uvicorn, bound to 127.0.0.1 unless told otherwise:

- ``POST /zoom/webhook`` — Zoom's events. The signature and timestamp are checked first
  (constant time, 5-minute window); nothing unsigned is even parsed. ``endpoint.url_validation``
  is answered inline; everything else is queued and answered 200 at once (Zoom's 3 s window).
- ``GET /healthz`` — liveness, no secrets.
- ``GET /api/events``, ``GET /api/events/{slug}/plan`` and ``/state`` (viewer);
  ``POST /api/events/{slug}/shift|next|extend`` (controller). Token: ``Authorization: Bearer``
  or ``?token=`` — the same signed link the board uses.
- ``GET /board/{slug}?token=…`` — the cue board page, which hands the link to its stream in a
  cookie; ``GET /board/{slug}/stream`` — its server-sent events: one snapshot per change,
  shared by every board of the event (:mod:`zoomorch.board.feed`).

No log line carries a board token (:mod:`zoomorch.service.redact`). Webhook bodies are read
with a cap and refused past it before they are buffered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import uvicorn
from dotenv import dotenv_values
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from zoomorch.board.feed import CLOSED, BoardFeed, Snapshot, sse
from zoomorch.board.hub import BoardHub
from zoomorch.board.page import board_page, error_page
from zoomorch.board.state import BoardView, board_state, board_version, board_view
from zoomorch.board.tokens import BoardAuthError, BoardGrant, BoardTokens, Role
from zoomorch.cues import CueAgenda, parse_amount, plan_cues
from zoomorch.db.store import StateStore
from zoomorch.delivery.scheduler import CueScheduler
from zoomorch.live.state import LiveSource, extend, load_live, next_segment, shift
from zoomorch.live.webhooks import WebinarEventProcessor, agenda_time_translator, webinar_index
from zoomorch.service import DEFAULT_PORT, redact
from zoomorch.zoom import webhooks as zoom_webhooks

log = logging.getLogger(__name__)

WEBHOOK_SECRET_ENV = "ZOOM_WEBHOOK_SECRET_TOKEN"  # noqa: S105 - a variable name, not a secret
MAX_WEBHOOK_BODY = 256 * 1024


def load_webhook_secret(env: Mapping[str, str] | None = None,
                        secrets_file: Path | None = None) -> str | None:
    """Zoom's webhook secret token: the environment first, then a ``.env``-style file."""
    env = os.environ if env is None else env
    value = env.get(WEBHOOK_SECRET_ENV, "").strip()
    if value:
        return value
    if secrets_file is not None:
        if not secrets_file.is_file():
            raise ValueError(f"{secrets_file}: no such secrets file; fix --webhook-secret-file")
        value = (dotenv_values(secrets_file).get(WEBHOOK_SECRET_ENV) or "").strip()
        if not value:
            raise ValueError(f"{secrets_file}: no {WEBHOOK_SECRET_ENV}=… line; add it")
        return value
    return None


@dataclass
class ServiceContext:
    """Everything the app serves; assembled by :mod:`zoomorch.runtime`."""

    store: StateStore
    agendas: dict[str, CueAgenda]
    tokens: BoardTokens
    hub: BoardHub = field(default_factory=BoardHub)
    webhook_secret: str | None = field(default=None, repr=False)
    scheduler: CueScheduler | None = None
    webinar_ids: dict[int, str] = field(default_factory=dict)
    poll_seconds: float = 1.0
    heartbeat_seconds: float = 15.0
    closing: threading.Event = field(default_factory=threading.Event)
    events: WebinarEventProcessor | None = None
    # Tells the open boards that the service is stopping (set while the app runs).
    stop_boards: Callable[[], None] = field(default=lambda: None, repr=False)

    def __post_init__(self) -> None:
        self.store.create_all()
        if self.events is None:
            # Zoom's times are read on each event's timeline: a service run at --speed N
            # against a sandbox at the same speed records the real start, not the event time.
            self.events = WebinarEventProcessor(self.store, self.slug_for_webinar,
                                                on_change=self.changed,
                                                to_wall=agenda_time_translator(self.agendas))

    def changed(self, slug: str) -> None:
        """The live state of ``slug`` changed here: re-plan its cues now (not at the next
        watch tick, so nothing fires after an end) and wake its boards."""
        if self.scheduler is not None:
            try:
                self.scheduler.refresh(slug)
            except Exception:
                log.exception("re-planning %s failed; the watcher will retry", slug)
        self.hub.poke(slug)

    def slug_for_webinar(self, webinar_id: int) -> str | None:
        known = self.webinar_ids.get(webinar_id)
        if known is not None:
            return known
        found = webinar_index(self.store, self.agendas).get(webinar_id)
        if found is not None:
            self.webinar_ids[webinar_id] = found
        return found

    def state(self, slug: str, language: str = "en") -> dict[str, Any]:
        return board_state(self.store, self.agendas[slug], language=language)

    def view(self, slug: str, language: str = "en") -> BoardView:
        return board_view(self.store, self.agendas[slug], language=language)

    def version(self, slug: str) -> Any:
        return board_version(self.store, slug)


# --------------------------------------------------------------------------- the app


# The board page hands its link to its own stream in this cookie (HttpOnly, SameSite=Strict,
# scoped to the board's path), so the stream's URL, which the browser opens again on every
# reconnect, carries no token for a proxy or an access log to write down.
BOARD_COOKIE = "zoomorch_board"


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    query = request.query_params.get("token")
    if query:
        return query
    if request.url.path.startswith("/board/"):
        return request.cookies.get(BOARD_COOKIE)
    return None


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


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(ctx: ServiceContext) -> FastAPI:
    """The service's ASGI app; starting it starts the webhook worker and the scheduler."""

    feeds: list[BoardFeed] = []

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        assert ctx.events is not None
        ctx.closing.clear()
        # One feed for every board this app serves, on the loop that serves them.
        feed = BoardFeed(ctx.hub, ctx.view, ctx.version, poll_seconds=ctx.poll_seconds)
        feeds.append(feed)
        ctx.stop_boards = feed.close_threadsafe
        ctx.events.start()
        if ctx.scheduler is not None:
            ctx.scheduler.start()
        try:
            yield
        finally:
            feed.close()
            ctx.closing.set()
            ctx.events.stop()
            if ctx.scheduler is not None:
                await run_in_threadpool(ctx.scheduler.stop)

    app = FastAPI(title="zoomorch", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    redact.install()  # board links are credentials: none reaches a log

    def grant(request: Request, slug: str | None, need: Role) -> BoardGrant:
        grant = ctx.tokens.verify(_token(request), slug, need)
        if slug is not None and slug not in ctx.agendas:
            raise BoardAuthError(f"no event {slug!r} runs here", status=404)
        return grant

    @app.exception_handler(BoardAuthError)
    async def _auth_error(request: Request, exc: BoardAuthError) -> Response:
        if request.url.path.startswith("/board/") and not request.url.path.endswith("/stream"):
            return HTMLResponse(error_page(str(exc)), status_code=exc.status)
        return _problem(exc.status, str(exc))

    # -- health --------------------------------------------------------------------------

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        scheduler = ctx.scheduler
        return {"status": "ok", "events": sorted(ctx.agendas),
                "scheduler": "running" if scheduler and scheduler.scheduler.running else "off",
                "webhooks": "configured" if ctx.webhook_secret else "not configured"}

    # -- Zoom webhooks -------------------------------------------------------------------

    @app.post("/zoom/webhook")
    async def zoom_webhook(request: Request) -> Response:
        if not ctx.webhook_secret:
            return _problem(503, f"webhooks are not configured: set {WEBHOOK_SECRET_ENV}")
        body = await _capped_body(request, MAX_WEBHOOK_BODY)
        if body is None:
            # Refused before more than the cap was buffered; the rest is never read.
            return JSONResponse({"error": f"body too large (at most {MAX_WEBHOOK_BODY} bytes)"},
                                status_code=413, headers={"Connection": "close"})
        # Verify before parsing: an unsigned body is never interpreted.
        if not zoom_webhooks.verify(ctx.webhook_secret, request.headers, body):
            return _problem(401, "bad or stale signature")
        try:
            envelope = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _problem(400, "body is not JSON")
        if not isinstance(envelope, dict) or not isinstance(envelope.get("event"), str):
            return _problem(400, "not a Zoom event: no 'event' field")
        payload = envelope.get("payload")
        if envelope["event"] == "endpoint.url_validation":
            plain = payload.get("plainToken") if isinstance(payload, dict) else None
            if not isinstance(plain, str) or not plain:
                return _problem(400, "endpoint.url_validation without payload.plainToken")
            return JSONResponse(zoom_webhooks.url_validation_response(ctx.webhook_secret, plain))
        if not isinstance(payload, dict):
            return _problem(400, "not a Zoom event: no 'payload' object")
        assert ctx.events is not None
        ctx.events.submit(envelope)
        return JSONResponse({"status": "accepted"})

    # -- JSON API ------------------------------------------------------------------------

    @app.get("/api/events")
    async def list_events(request: Request) -> list[dict[str, Any]]:
        g = grant(request, None, "viewer")
        return [{"event": a.slug, "title": a.title, "zone": str(a.zone),
                 "scheduled_start": a.scheduled_start.isoformat(),
                 "board": f"/board/{a.slug}"}
                for a in ctx.agendas.values() if a.slug == g.event]

    @app.get("/api/events/{slug}/state")
    async def event_state(slug: str, request: Request) -> dict[str, Any]:
        g = grant(request, slug, "viewer")
        lang = request.query_params.get("lang") or g.language
        return await run_in_threadpool(ctx.state, slug, lang)

    @app.get("/api/events/{slug}/plan")
    async def event_plan(slug: str, request: Request) -> dict[str, Any]:
        grant(request, slug, "viewer")
        agenda = ctx.agendas[slug]

        def compute() -> dict[str, Any]:
            live = load_live(ctx.store, slug)
            return {"event": slug, "title": agenda.title,
                    "actual_start": live.actual_start.isoformat() if live.actual_start
                    else None,
                    "adjustments": [{"kind": a.kind, "at": a.at.isoformat(),
                                     "seconds": a.amount.total_seconds()}
                                    for a in live.adjustments],
                    "cues": [c.as_json() for c in plan_cues(agenda, live)]}

        return await run_in_threadpool(compute)

    async def control(slug: str, request: Request, action: str) -> Response:
        g = grant(request, slug, "controller")
        amount: timedelta | None = None
        if action in ("shift", "extend"):
            try:
                body = await request.json()
            except ValueError:
                return _problem(400, 'the body is not JSON; send {"amount": "+3m"}')
            raw = body.get("amount") if isinstance(body, dict) else None
            if raw is None:
                return _problem(400, 'no amount; send {"amount": "+3m"}')
            try:
                amount = parse_amount(str(raw))
            except ValueError as exc:
                return _problem(400, str(exc))

        def apply() -> dict[str, Any]:
            if action == "shift":
                assert amount is not None
                shift(ctx.store, slug, amount, by=LiveSource.BOARD)
            elif action == "extend":
                assert amount is not None
                extend(ctx.store, slug, amount, by=LiveSource.BOARD)
            else:
                # Before any start, `next` is the host saying "we are starting now".
                next_segment(ctx.store, slug, agenda=ctx.agendas[slug], by=LiveSource.BOARD)
            ctx.changed(slug)
            return ctx.state(slug, g.language)

        try:
            state = await run_in_threadpool(apply)
        except ValueError as exc:
            return _problem(400, str(exc))
        log.info("board control: %s %s%s", slug, action, f" {amount}" if amount else "")
        return JSONResponse(state)

    @app.post("/api/events/{slug}/shift")
    async def shift_event(slug: str, request: Request) -> Response:
        return await control(slug, request, "shift")

    @app.post("/api/events/{slug}/next")
    async def next_event(slug: str, request: Request) -> Response:
        return await control(slug, request, "next")

    @app.post("/api/events/{slug}/extend")
    async def extend_event(slug: str, request: Request) -> Response:
        return await control(slug, request, "extend")

    # -- the cue board -------------------------------------------------------------------

    @app.get("/board/{slug}")
    async def board(slug: str, request: Request) -> HTMLResponse:
        g = grant(request, slug, "viewer")
        page = HTMLResponse(board_page(ctx.agendas[slug].title, g.can_control, g.language),
                            headers={"Cache-Control": "no-store",
                                     "Referrer-Policy": "no-referrer"})
        token = _token(request)
        assert token is not None  # the grant verified it
        page.set_cookie(BOARD_COOKIE, token, path=f"/board/{quote(slug, safe='')}",
                        max_age=max(1, int((g.expires - datetime.now(UTC)).total_seconds())),
                        httponly=True, samesite="strict", secure=request.url.scheme == "https")
        return page

    @app.get("/board/{slug}/stream")
    async def board_stream(slug: str, request: Request) -> Response:
        g = grant(request, slug, "viewer")
        lang = request.query_params.get("lang") or g.language
        if not feeds:
            return _problem(503, "the service is starting or stopping")
        return _BoardStream(ctx, feeds[-1], slug, lang, g)

    return app


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


# --------------------------------------------------------------------------- running it


class RunningService:
    """A service on uvicorn in a background thread (tests, `zoomorch demo`)."""

    def __init__(self, ctx: ServiceContext, host: str = "127.0.0.1", port: int = 0) -> None:
        self.ctx = ctx
        config = uvicorn.Config(create_app(ctx), host=host, port=port, log_level="warning",
                                log_config=redact.log_config(),
                                timeout_graceful_shutdown=2, lifespan="on")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name="zoomorch-serve",
                                        daemon=True)
        self.base_url = ""

    def start(self, timeout: float = 10.0) -> RunningService:
        self._thread.start()
        deadline = datetime.now(UTC) + timedelta(seconds=timeout)
        while not self.server.started:
            if not self._thread.is_alive() or datetime.now(UTC) > deadline:
                raise RuntimeError("the zoomorch service did not start")
            threading.Event().wait(0.02)
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        self.base_url = f"http://{host}:{port}"
        return self

    def board_url(self, slug: str, role: Role = "viewer",
                  expires_in: timedelta = timedelta(hours=6), language: str = "en") -> str:
        token = self.ctx.tokens.issue(slug, role, expires_in, language=language)
        return f"{self.base_url}/board/{slug}?token={token}"

    def stop(self) -> None:
        self.ctx.closing.set()
        self.ctx.stop_boards()
        self.server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> RunningService:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()



def serve(ctx: ServiceContext, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          log_level: str = "info") -> None:
    """Run the service in the foreground until Ctrl-C / SIGTERM. Its logs never carry a
    board link's token (:mod:`zoomorch.service.redact`)."""
    uvicorn.run(create_app(ctx), host=host, port=port, log_level=log_level,
                log_config=redact.log_config(), timeout_graceful_shutdown=3,
                proxy_headers=False)
