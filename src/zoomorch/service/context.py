"""What every router of the service shares: the :class:`ServiceContext` the app serves (kept
on ``app.state``), the board link of a request and its grant, and the JSON problem answer."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from zoomorch.board.hub import BoardHub
from zoomorch.board.state import BoardView, board_state, board_view
from zoomorch.board.tokens import BoardAuthError, BoardGrant, BoardTokens, Role
from zoomorch.cues import CueAgenda
from zoomorch.db.notify import ChangeListener, notify
from zoomorch.db.store import StateStore
from zoomorch.delivery.scheduler import CueScheduler
from zoomorch.live.plan import PlanCache
from zoomorch.live.state import live_revisions
from zoomorch.live.webhooks import WebinarEventProcessor, agenda_time_translator, webinar_index

log = logging.getLogger(__name__)


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
    # The boards' fallback when no notification comes (SQLite, or LISTEN down): a cheap query.
    poll_seconds: float = 0.5
    heartbeat_seconds: float = 15.0
    closing: threading.Event = field(default_factory=threading.Event)
    events: WebinarEventProcessor | None = None
    # Tells the open boards that the service is stopping (set while the app runs).
    stop_boards: Callable[[], None] = field(default=lambda: None, repr=False)
    # The other replicas' changes (PostgreSQL LISTEN); started and stopped with the app.
    listener: ChangeListener | None = None
    # The boards' plans, kept per event while its live state stays the same.
    plans: PlanCache = field(default_factory=PlanCache, repr=False)

    def __post_init__(self) -> None:
        self.store.upgrade()
        if self.listener is None:
            self.listener = ChangeListener(self.store, self.from_replica,
                                           on_peers=self.peers_changed)
        if self.listener.enabled and self.hub.relay is None:
            self.hub.relay = self._relay_cue
        if self.events is None:
            # Zoom's times are read on each event's timeline: a service run at --speed N
            # against a sandbox at the same speed records the real start, not the event time.
            self.events = WebinarEventProcessor(self.store, self.slug_for_webinar,
                                                on_change=self.changed,
                                                to_wall=agenda_time_translator(self.agendas))

    def changed(self, slug: str) -> None:
        """The live state of ``slug`` changed (here, or in another replica): wake its boards
        (they read the stored state themselves, so they need not wait for the scheduler) and
        re-plan its cues now (not at the next watch tick, so nothing fires after an end)."""
        self.hub.poke(slug)
        if self.scheduler is not None:
            try:
                self.scheduler.refresh(slug)
            except Exception:
                log.exception("re-planning %s failed; the watcher will retry", slug)

    def peers_changed(self, peers: tuple[str, ...]) -> None:
        """The replicas listening on the database changed (on the listener's thread): the
        scheduler re-times which events it sends first."""
        if self.scheduler is not None:
            self.scheduler.set_peers(peers)

    def _relay_cue(self, slug: str, item: dict[str, Any]) -> None:
        notify(self.store, slug, "cue", item)

    def from_replica(self, change: dict[str, Any]) -> None:
        """Another replica's change (on the listener's thread): a cue its boards got goes to
        ours (which wakes them); a live-state change wakes our boards and re-plans our cues."""
        slug = change.get("slug")
        if not isinstance(slug, str) or slug not in self.agendas:
            return
        item = change.get("item")
        what = change.get("what")
        if what == "cue" and isinstance(item, dict):
            self.hub.publish(slug, item, dedupe_key=str(item.get("cue_id")), relay=False)
        elif what == "live":
            self.changed(slug)
        else:
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
        return board_view(self.store, self.agendas[slug], language=language,
                          plans=self.plans)

    def versions(self, slugs: Collection[str]) -> dict[str, int]:
        """The stored revision of each event's live state (0: none), from one query."""
        revisions = live_revisions(self.store)
        return {slug: revisions.get(slug, 0) for slug in slugs}


def service_context(request: Request) -> ServiceContext:
    """The context of the app serving ``request`` (``create_app`` puts it on ``app.state``)."""
    ctx: ServiceContext = request.app.state.ctx
    return ctx


# The board page hands its link to its own stream in this cookie (HttpOnly, SameSite=Strict,
# scoped to the board's path), so the stream's URL, which the browser opens again on every
# reconnect, carries no token for a proxy or an access log to write down.
BOARD_COOKIE = "zoomorch_board"


def request_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    query = request.query_params.get("token")
    if query:
        return query
    if request.url.path.startswith("/board/"):
        return request.cookies.get(BOARD_COOKIE)
    return None


def grant(request: Request, slug: str | None, need: Role) -> BoardGrant:
    """The request's board link, verified for ``slug`` and ``need``; a 404 for an event this
    service does not run."""
    ctx = service_context(request)
    grant = ctx.tokens.verify(request_token(request), slug, need)
    if slug is not None and slug not in ctx.agendas:
        raise BoardAuthError(f"no event {slug!r} runs here", status=404)
    return grant


def problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
