"""``zoomorch serve``: the cue scheduler, Zoom's webhook receiver, the cue board and a JSON API.

One process, one FastAPI app on uvicorn, bound to 127.0.0.1 unless told otherwise. The app is
assembled here from one router per part, each reading the :class:`ServiceContext` from
``app.state`` (:mod:`zoomorch.service.context`):

- ``POST /zoom/webhook`` — Zoom's events (:mod:`zoomorch.service.webhooks`). The signature and
  timestamp are checked first (constant time, 5-minute window); nothing unsigned is even
  parsed. ``endpoint.url_validation`` is answered inline; everything else is queued and
  answered 200 at once (Zoom's 3 s window).
- ``GET /healthz`` — liveness, no secrets (:mod:`zoomorch.service.api`).
- ``GET /api/events``, ``GET /api/events/{slug}/plan`` and ``/state`` (viewer);
  ``POST /api/events/{slug}/shift|next|extend`` (controller) (:mod:`zoomorch.service.api`).
  Token: ``Authorization: Bearer`` or ``?token=`` — the same signed link the board uses.
- ``GET /board/{slug}?token=…`` — the cue board page, which hands the link to its stream in a
  cookie; ``GET /board/{slug}/stream`` — its server-sent events: one snapshot per change,
  shared by every board of the event (:mod:`zoomorch.service.board`, :mod:`zoomorch.board.feed`).
- ``GET /overview?token=…`` — every event on one page, and ``GET /overview/state``, its JSON
  (an overview link: :mod:`zoomorch.service.overview`).

No log line carries a board token (:mod:`zoomorch.service.redact`). Webhook bodies are read
with a cap and refused past it before they are buffered.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

import uvicorn
from dotenv import dotenv_values
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from zoomorch.board.feed import BoardFeed
from zoomorch.board.page import error_page
from zoomorch.board.tokens import BoardAuthError, Role
from zoomorch.service import DEFAULT_PORT, api, board, overview, redact, webhooks
from zoomorch.service.context import ServiceContext, problem
from zoomorch.service.webhooks import MAX_WEBHOOK_BODY, WEBHOOK_SECRET_ENV

__all__ = ["MAX_WEBHOOK_BODY", "WEBHOOK_SECRET_ENV", "RunningService", "ServiceContext",
           "create_app", "load_webhook_secret", "serve"]


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


# --------------------------------------------------------------------------- the app


def create_app(ctx: ServiceContext) -> FastAPI:
    """The service's ASGI app; starting it starts the webhook worker and the scheduler."""

    feeds: list[BoardFeed] = []

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        assert ctx.events is not None
        ctx.closing.clear()
        # One feed for every board this app serves, on the loop that serves them.
        feed = BoardFeed(ctx.hub, ctx.view, ctx.versions, poll_seconds=ctx.poll_seconds)
        feeds.append(feed)
        ctx.stop_boards = feed.close_threadsafe
        ctx.events.start()
        if ctx.scheduler is not None:
            ctx.scheduler.start()
        if ctx.listener is not None:
            ctx.listener.start()
        try:
            yield
        finally:
            if ctx.listener is not None:
                await run_in_threadpool(ctx.listener.stop)
            feed.close()
            ctx.closing.set()
            ctx.events.stop()
            if ctx.scheduler is not None:
                await run_in_threadpool(ctx.scheduler.stop)

    app = FastAPI(title="zoomorch", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    # What the routers serve: the context, and the board feed of each run of the lifespan.
    app.state.ctx = ctx
    app.state.board_feeds = feeds
    redact.install()  # board links are credentials: none reaches a log

    @app.exception_handler(BoardAuthError)
    async def _auth_error(request: Request, exc: BoardAuthError) -> Response:
        if request.url.path.startswith("/board/") and not request.url.path.endswith("/stream"):
            return HTMLResponse(error_page(str(exc)), status_code=exc.status)
        return problem(exc.status, str(exc))

    # The routes in their order: health, Zoom's webhook, the JSON API, the cue board.
    app.include_router(api.health_router)
    app.include_router(webhooks.router)
    app.include_router(api.router)
    app.include_router(board.router)
    app.include_router(overview.router)  # the conference overview (an overview link)
    return app


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
    config = uvicorn.Config(create_app(ctx), host=host, port=port, log_level=log_level,
                            log_config=redact.log_config(), timeout_graceful_shutdown=3,
                            proxy_headers=False)
    _Server(config, ctx).run()


class _Server(uvicorn.Server):
    """uvicorn's server, which tells the open boards at once when asked to stop: uvicorn
    waits for open connections before the app's shutdown, and a board's stream would
    otherwise be cancelled (with a traceback) after the graceful timeout."""

    def __init__(self, config: uvicorn.Config, ctx: ServiceContext) -> None:
        super().__init__(config)
        self._ctx = ctx

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._ctx.closing.set()
        self._ctx.stop_boards()
        super().handle_exit(sig, frame)
