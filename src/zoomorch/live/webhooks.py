"""Zoom's webinar webhooks, after the signature check: what they change in our state.

The receiver answers Zoom at once and queues the event here; one worker thread applies events
in arrival order. ``webinar.started`` fixes the actual start of the cue plan
(:func:`zoomorch.live.state.record_actual_start`); ``webinar.ended`` marks the event ended and
cancels its remaining cues (:func:`zoomorch.live.state.record_end`). Both go through those
commands only, with Zoom as the source and the webinar's id, into the one live-state record.
Zoom retries a delivery it thinks failed, so applying an event twice changes nothing.

The times Zoom stamps (``start_time``/``end_time``, ``event_ts``) are read on Zoom's clock. Real
Zoom runs on wall time; a sandbox run faster than real time (``zoomorch sandbox --speed N``, a
rehearsal) stamps *event time*. A per-event :data:`TimeTranslator` (from the event's
:class:`~zoomorch.cues.CueAgenda`: :func:`agenda_time_translator`) turns them into the wall
time the cue plan records; at speed 1 it is the identity.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from zoomorch.cues import CueAgenda
from zoomorch.db.store import StateStore, utcnow
from zoomorch.live.state import LiveSource, record_actual_start, record_end

log = logging.getLogger(__name__)

HANDLED_EVENTS = frozenset({"webinar.started", "webinar.ended"})

# (event slug, a moment on Zoom's clock) -> the wall time it stands for.
TimeTranslator = Callable[[str, datetime], datetime]


def wall_clock(_slug: str, moment: datetime) -> datetime:
    """Zoom's own clock is wall time: nothing to translate."""
    return moment


def agenda_time_translator(agendas: Mapping[str, CueAgenda]) -> TimeTranslator:
    """Read Zoom's times on each event's timeline: an event run at ``speed`` N (a rehearsal
    against a sandbox whose clock runs event time) maps them back with
    :meth:`CueAgenda.to_real_time`; speed 1 and unknown events are left as they are.

    ``agendas`` is read at each call, so events added later are translated too.
    """

    def translate(slug: str, moment: datetime) -> datetime:
        agenda = agendas.get(slug)
        if agenda is None or agenda.speed == 1:
            return moment
        return agenda.to_real_time(moment).astimezone(UTC)

    return translate


@dataclass(frozen=True)
class AppliedEvent:
    """One webinar event as it was applied (for listeners: logs, the demo's console)."""

    slug: str
    event: str  # "webinar.started" or "webinar.ended"
    webinar_id: int
    stamped: datetime | None  # the time as Zoom stamped it, on Zoom's clock (None: not given)
    at: datetime  # the wall time recorded



def _zoom_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at.astimezone(UTC) if at.tzinfo else None


def _event_ts(envelope: dict[str, Any]) -> datetime | None:
    ts = envelope.get("event_ts")
    if isinstance(ts, int | float) and ts > 0:
        return datetime.fromtimestamp(ts / 1000, UTC)
    return None


class WebinarEventProcessor:
    """Applies queued webinar events; ``slug_for`` maps a Zoom webinar id to an event slug.

    ``to_wall`` reads the times Zoom stamped as wall time, per event (default: Zoom's clock is
    wall time); the service passes :func:`agenda_time_translator` of its agendas.
    """

    def __init__(self, store: StateStore, slug_for: Callable[[int], str | None],
                 on_change: Callable[[str], None] = lambda _slug: None,
                 to_wall: TimeTranslator = wall_clock) -> None:
        self.store = store
        self.slug_for = slug_for
        self.on_change = on_change
        self.to_wall = to_wall
        self._listeners: list[Callable[[AppliedEvent], None]] = []
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="zoom-webhooks", daemon=True)
        store.upgrade()

    def start(self) -> None:
        self._thread.start()

    def add_listener(self, listener: Callable[[AppliedEvent], None]) -> None:
        """Call ``listener`` after each applied event (Zoom's retries included)."""
        self._listeners.append(listener)

    def stop(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def submit(self, envelope: dict[str, Any]) -> None:
        """Queue one verified webhook envelope (returns at once)."""
        self._queue.put(envelope)

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event was applied (tests, shutdown)."""
        done = threading.Event()
        self._queue.put({"event": "_drain", "_done": done})
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            envelope = self._queue.get()
            if envelope is None:
                return
            if envelope.get("event") == "_drain":
                envelope["_done"].set()
                continue
            try:
                self.apply(envelope)
            except Exception:
                log.exception("applying Zoom event %s failed", envelope.get("event"))

    def apply(self, envelope: dict[str, Any]) -> str | None:
        """Apply one envelope now; returns the slug it changed, if any."""
        event = envelope.get("event")
        obj = (envelope.get("payload") or {}).get("object") or {}
        if event not in HANDLED_EVENTS or not isinstance(obj, dict):
            return None
        try:
            webinar_id = int(obj.get("id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            log.warning("Zoom event %s without a webinar id; ignored", event)
            return None
        slug = self.slug_for(webinar_id)
        if slug is None:
            log.info("Zoom event %s for webinar %s, which no event here runs; ignored",
                     event, webinar_id)
            return None
        stamped = _zoom_time(obj.get("start_time" if event == "webinar.started"
                                     else "end_time")) or _event_ts(envelope)
        # A time Zoom stamped is on Zoom's clock (event time on a sped-up sandbox); only our
        # own fallback is already wall time.
        at = self.to_wall(slug, stamped) if stamped is not None else utcnow()
        if event == "webinar.started":
            self._started(slug, webinar_id, at)
        else:
            self._ended(slug, webinar_id, at)
        self.on_change(slug)
        applied = AppliedEvent(slug, str(event), webinar_id, stamped, at)
        for listener in list(self._listeners):
            try:
                listener(applied)
            except Exception:
                log.exception("a listener of Zoom event %s failed", event)
        return slug

    def _started(self, slug: str, webinar_id: int, at: datetime) -> None:
        # The first start recorded stands: a retried delivery (or one after the host's
        # `next`) changes nothing and bumps no revision.
        record_actual_start(self.store, slug, at, by=LiveSource.ZOOM, webinar_id=webinar_id)

    def _ended(self, slug: str, webinar_id: int, at: datetime) -> None:
        # The first end recorded stands: a retry changes nothing.
        record_end(self.store, slug, at, by=LiveSource.ZOOM, webinar_id=webinar_id)


def webinar_index(store: StateStore, slugs: Iterable[str]) -> dict[int, str]:
    """Zoom webinar id -> event slug, from the bindings `zoomorch apply` stored."""
    wanted = set(slugs)
    return {b.webinar_id: b.event_key for b in store.bindings()
            if b.webinar_id is not None and b.event_key in wanted}
