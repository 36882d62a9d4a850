"""The JSON API: ``GET /healthz`` (liveness, no secrets); ``GET /api/events``,
``GET /api/events/{slug}/plan`` and ``/state`` (viewer); ``POST /api/events/{slug}/shift|next|
extend`` and ``/message`` (controller); ``POST /api/events/{slug}/message/{id}/ack`` (any
board of the event: the presenter's viewer link acknowledges). Token: ``Authorization:
Bearer`` or ``?token=`` — the board's link."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from zoomorch.cues import parse_amount, plan_cues
from zoomorch.db.notify import REPLICA_ID
from zoomorch.live.state import (
    LiveSource,
    UnknownMessage,
    acknowledge_message,
    extend,
    load_live,
    next_segment,
    post_message,
    shift,
)
from zoomorch.service.context import ServiceContext, grant, problem, service_context

T = TypeVar("T")

log = logging.getLogger(__name__)

# Health comes first in the app's routes, before the webhook; the rest of the API after it.
health_router = APIRouter()
router = APIRouter()


@health_router.get("/healthz")
async def healthz(request: Request) -> dict[str, Any]:
    ctx = service_context(request)
    scheduler = ctx.scheduler
    listener = ctx.listener
    return {"status": "ok", "events": sorted(ctx.agendas),
            "scheduler": "running" if scheduler and scheduler.scheduler.running else "off",
            "webhooks": "configured" if ctx.webhook_secret else "not configured",
            "replica": REPLICA_ID,
            "database": {
                "dialect": ctx.store.engine.dialect.name,
                "reachable": await run_in_threadpool(_reachable, ctx),
                "listening": bool(listener is not None and listener.listening),
                "replicas": list(listener.peers) if listener is not None else [],
                "last_notification_age_seconds": (listener.notification_age()
                                                  if listener is not None else None)}}


def _reachable(ctx: Any) -> bool:
    """One trivial query against the state store (never raises)."""
    try:
        with ctx.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception as exc:
        log.warning("the state database is not reachable: %s", type(exc).__name__)
        return False


@router.get("/api/events")
async def list_events(request: Request) -> list[dict[str, Any]]:
    ctx = service_context(request)
    g = grant(request, None, "viewer")
    return [{"event": a.slug, "title": a.title, "zone": str(a.zone),
             "scheduled_start": a.scheduled_start.isoformat(),
             "board": f"/board/{a.slug}"}
            for a in ctx.agendas.values() if a.slug == g.event]


@router.get("/api/events/{slug}/state")
async def event_state(slug: str, request: Request) -> dict[str, Any]:
    ctx = service_context(request)
    g = grant(request, slug, "viewer")
    lang = request.query_params.get("lang") or g.language
    return await run_in_threadpool(ctx.state, slug, lang)


@router.get("/api/events/{slug}/plan")
async def event_plan(slug: str, request: Request) -> dict[str, Any]:
    ctx = service_context(request)
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


async def _change_then_state(ctx: ServiceContext, slug: str, language: str,
                             change: Callable[[], T]) -> tuple[T, dict[str, Any]]:
    """Apply a live-state change off the event loop, wake every board of the event, and
    answer the board snapshot in ``language``: ``(what change returned, snapshot)``. The
    change's own errors reach the caller."""
    def apply() -> tuple[T, dict[str, Any]]:
        result = change()
        ctx.changed(slug)
        return result, ctx.state(slug, language)

    return await run_in_threadpool(apply)


async def _control(slug: str, request: Request, action: str) -> Response:
    ctx = service_context(request)
    g = grant(request, slug, "controller")
    amount: timedelta | None = None
    if action in ("shift", "extend"):
        try:
            body = await request.json()
        except ValueError:
            return problem(400, 'the body is not JSON; send {"amount": "+3m"}')
        raw = body.get("amount") if isinstance(body, dict) else None
        if raw is None:
            return problem(400, 'no amount; send {"amount": "+3m"}')
        try:
            amount = parse_amount(str(raw))
        except ValueError as exc:
            return problem(400, str(exc))

    def change() -> None:
        if action == "shift":
            assert amount is not None
            shift(ctx.store, slug, amount, by=LiveSource.BOARD)
        elif action == "extend":
            assert amount is not None
            extend(ctx.store, slug, amount, by=LiveSource.BOARD)
        else:
            # Before any start, `next` is the host saying "we are starting now".
            next_segment(ctx.store, slug, agenda=ctx.agendas[slug], by=LiveSource.BOARD)

    try:
        _, state = await _change_then_state(ctx, slug, g.language, change)
    except ValueError as exc:
        return problem(400, str(exc))
    log.info("board control: %s %s%s", slug, action, f" {amount}" if amount else "")
    return JSONResponse(state)


@router.post("/api/events/{slug}/shift")
async def shift_event(slug: str, request: Request) -> Response:
    return await _control(slug, request, "shift")


@router.post("/api/events/{slug}/next")
async def next_event(slug: str, request: Request) -> Response:
    return await _control(slug, request, "next")


@router.post("/api/events/{slug}/extend")
async def extend_event(slug: str, request: Request) -> Response:
    return await _control(slug, request, "extend")


_MESSAGE_BODY = 'send {"text": "wrap up", "notify": false}'


@router.post("/api/events/{slug}/message")
async def post_event_message(slug: str, request: Request) -> Response:
    """A controller's message to the presenter: every board of the event shows it at once,
    highlighted until acknowledged. ``notify: true`` also sends it, once, to the host and the
    moderator on their channels (the cue scheduler's; none: the board alone shows it).
    ``id`` (optional, letters, digits, ``-``, ``_``): the caller's id for it, so a retried
    request posts it once. Answers the board snapshot."""
    ctx = service_context(request)
    g = grant(request, slug, "controller")
    try:
        body = await request.json()
    except ValueError:
        return problem(400, f"the body is not JSON; {_MESSAGE_BODY}")
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        return problem(400, f"no message text; {_MESSAGE_BODY}")
    notify = body.get("notify", False)
    if not isinstance(notify, bool):
        return problem(400, f"notify is true or false, not {notify!r}; {_MESSAGE_BODY}")
    given_id = body.get("id")
    if given_id is not None and not isinstance(given_id, str):
        return problem(400, "id is a string of letters, digits, '-' or '_' (or leave it out)")
    text: str = body["text"]

    def change() -> str:
        return post_message(ctx.store, slug, text, by=LiveSource.BOARD, notify=notify,
                            message_id=given_id)

    try:
        message_id, state = await _change_then_state(ctx, slug, g.language, change)
    except ValueError as exc:
        return problem(400, str(exc))
    # Not the text: it is the presenter's, not the log's.
    log.info("board message: %s %s%s", slug, message_id,
             "" if not notify else " (to the host's and moderator's channels)"
             if ctx.scheduler is not None else " (notify asked; no channels here: the board "
             "shows it)")
    return JSONResponse(state)


@router.post("/api/events/{slug}/message/{message_id}/ack")
async def acknowledge_event_message(slug: str, message_id: str, request: Request) -> Response:
    """Any board of the event acknowledges a message (idempotent: the first stands).
    Answers the board snapshot; 404 for a message never posted."""
    ctx = service_context(request)
    g = grant(request, slug, "viewer")

    def change() -> None:
        acknowledge_message(ctx.store, slug, message_id, by=LiveSource.BOARD)

    try:
        _, state = await _change_then_state(ctx, slug, g.language, change)
    except UnknownMessage as exc:
        return problem(404, str(exc))
    log.info("board message acknowledged: %s %s (%s link)", slug, message_id, g.role)
    return JSONResponse(state)
