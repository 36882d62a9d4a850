"""The live state of an event: its actual start, every adjustment (shift, next, extend) and
its end, in one row per event, and the commands that change it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from zoomorch.cues import (
    Adjustment,
    CueAgenda,
    LiveState,
    current_segment,
)
from zoomorch.db.store import StateStore, utcnow
from zoomorch.db.tables import CueLive

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)





# --------------------------------------------------------------------------- live state


def load_live(store: StateStore, event_slug: str) -> LiveState:
    """The stored live state of an event (empty if nothing happened yet)."""
    return load_live_revision(store, event_slug)[0]


def load_live_revision(store: StateStore, event_slug: str) -> tuple[LiveState, int]:
    """The stored live state and its revision (0: nothing stored), from one read of its row."""
    with store.session() as session:
        row = session.get(CueLive, event_slug)
        if row is None:
            return LiveState(), 0
        entries = list(row.adjustments or [])
        adjustments = tuple(
            Adjustment(a["kind"], datetime.fromisoformat(a["at"]),
                       timedelta(seconds=float(a.get("seconds", 0))))
            for a in entries if a["kind"] != "end"
        )
        # The end is kept among the adjustments' entries: no new column, old databases work.
        ended_at = next((datetime.fromisoformat(a["at"]) for a in entries if a["kind"] == "end"),
                        None)
        return LiveState(row.actual_start, adjustments, ended_at), row.revision


def live_revision(store: StateStore, event_slug: str) -> int:
    with store.session() as session:
        row = session.get(CueLive, event_slug)
        return row.revision if row else 0


_CHANGE_ATTEMPTS = 50


def _change(store: StateStore, event_slug: str,
            change: Callable[[CueLive], None]) -> LiveState:
    # Neither SQLite (pysqlite reads outside the write transaction) nor PostgreSQL (read
    # committed) stops a concurrent writer between our read and our write: the revision check
    # refuses a write based on a stale read, and the change is applied again to a fresh one.
    for attempt in range(_CHANGE_ATTEMPTS):
        try:
            with store.session() as session:
                row = session.get(CueLive, event_slug)
                if row is None:
                    row = CueLive(event_slug=event_slug, adjustments=[], revision=0)
                    session.add(row)
                change(row)
                row.revision = (row.revision or 0) + 1
                row.updated_at = utcnow()
            break
        except (StaleDataError, IntegrityError):
            if attempt + 1 == _CHANGE_ATTEMPTS:
                raise
            log.debug("live state of %s changed concurrently; applying again", event_slug)
    return load_live(store, event_slug)


def aware_or_now(at: datetime | None) -> datetime:
    if at is None:
        return utcnow()
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at!r} has no time zone; give an aware datetime")
    return at.astimezone(UTC)


def record_actual_start(store: StateStore, event_slug: str,
                        at: datetime | None = None, *, replace: bool = False) -> LiveState:
    """Fix the actual start (``webinar.started``, ``cues start``, or ``next`` before any
    start); every agenda cue follows it.

    The first start recorded stands: Zoom's webhook arriving after the host's ``next`` (or a
    retried delivery) changes nothing, so nothing is announced twice. ``replace=True``
    (``cues start --replace``) corrects a recorded start; the plan is then worked out again
    from the corrected start.
    """
    when = aware_or_now(at)
    if not replace:
        live = load_live(store, event_slug)
        if live.actual_start is not None:
            if live.actual_start != when:
                log.info("start of %s already recorded at %s; %s not recorded", event_slug,
                         live.actual_start.isoformat(), when.isoformat())
            return live

    def change(row: CueLive) -> None:
        if replace or row.actual_start is None:
            row.actual_start = when

    return _change(store, event_slug, change)


def _adjust(store: StateStore, event_slug: str, kind: str, amount: timedelta,
            at: datetime | None) -> LiveState:
    when = aware_or_now(at)
    entry = {"kind": kind, "at": when.isoformat(), "seconds": amount.total_seconds()}

    def change(row: CueLive) -> None:
        row.adjustments = [*(row.adjustments or []), entry]

    return _change(store, event_slug, change)


def shift(store: StateStore, event_slug: str, amount: timedelta,
          at: datetime | None = None) -> LiveState:
    """Move every cue still to come by ``amount`` (may be negative)."""
    return _adjust(store, event_slug, "shift", amount, at)


def next_segment(store: StateStore, event_slug: str, at: datetime | None = None, *,
                 agenda: CueAgenda | None = None) -> LiveState:
    """End the current segment now; the next one starts.

    With no start recorded and no segment in progress (manual advance before the start; auto
    before the scheduled start) ``next`` means "we are starting now": it records the actual
    start (give ``agenda`` so this can be told; without it the planner still reads such a
    ``next`` as the start, but the start is not recorded as such).
    """
    when = aware_or_now(at)
    if agenda is not None:
        live = load_live(store, event_slug)
        if not live.started_by(when) and live.ended_at is None and \
                current_segment(agenda, live, when)[0] is None:
            return record_actual_start(store, event_slug, when)
    return _adjust(store, event_slug, "next", timedelta(0), when)


def extend(store: StateStore, event_slug: str, amount: timedelta,
           at: datetime | None = None) -> LiveState:
    """Give the current segment ``amount`` more (from now if it is already over time)."""
    if amount <= timedelta(0):
        raise ValueError("extend needs a positive amount, e.g. 2m; use shift for moving back")
    return _adjust(store, event_slug, "extend", amount, at)


def record_end(store: StateStore, event_slug: str, at: datetime | None = None) -> LiveState:
    """Record that the webinar ended (``webinar.ended`` or ``cues end``): every cue due from
    ``at`` on is cancelled. The first end recorded stands (Zoom retries its deliveries)."""
    when = aware_or_now(at)
    live = load_live(store, event_slug)
    if live.ended_at is not None:
        return live
    entry = {"kind": "end", "at": when.isoformat(), "seconds": 0.0}

    def change(row: CueLive) -> None:
        if not any(a.get("kind") == "end" for a in row.adjustments or []):
            row.adjustments = [*(row.adjustments or []), entry]

    return _change(store, event_slug, change)
