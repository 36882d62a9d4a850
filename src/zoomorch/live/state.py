"""The live state of an event — its one record — and the commands that change it.

One row per event (``cue_live_state``): the actual start, every adjustment (shift, next,
extend) in the order issued, the end, who recorded each of them (:class:`LiveSource`), and
the Zoom webinar the event ran as once Zoom has said so. The cue planner reads it as a
:class:`~zoomorch.cues.LiveState`; :func:`load_live_record` gives the whole row, sources
included (the run-of-show record builds on them).

Every command here is the only way to change the row: Zoom's webhooks
(:mod:`zoomorch.live.webhooks`), ``zoomorch cues start/next/shift/extend/end``, the cue board's
buttons and a rehearsal's simulated host all come through them. Each change bumps the row's
revision (optimistic concurrency, and how a running scheduler notices a change made by another
process); a command that changes nothing (Zoom retrying a delivery) writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from zoomorch.cues import Adjustment, AdjustmentKind, CueAgenda, LiveState, current_segment
from zoomorch.db.store import StateStore, utcnow
from zoomorch.db.tables import CueLive

log = logging.getLogger(__name__)


# The adjustments stored: shift (every cue still to come moves), next (the current segment
# ends now), extend (the current segment gets more time). The planner's "start" is the row's
# own actual start, and the end its own column: neither is ever an entry.
STORED_KINDS = frozenset({AdjustmentKind.SHIFT, AdjustmentKind.NEXT, AdjustmentKind.EXTEND})


class LiveSource(StrEnum):
    """Who recorded a start, an adjustment or an end."""

    ZOOM = "zoom"  # Zoom's webinar.started / webinar.ended webhook
    CLI = "cli"  # zoomorch cues start / next / shift / extend / end
    BOARD = "board"  # a controller's button on the cue board
    REHEARSAL = "rehearsal"  # the simulated host of zoomorch demo / rehearse
    UNKNOWN = "unknown"  # recorded before sources were kept, or the caller did not say


@dataclass(frozen=True)
class RecordedAdjustment:
    """One stored adjustment and who made it."""

    adjustment: Adjustment
    by: LiveSource


@dataclass(frozen=True)
class LiveRecord:
    """The stored row of one event's live state, as read."""

    event_slug: str
    live: LiveState  # what the planner follows
    revision: int  # 0: nothing recorded yet
    webinar_id: int | None = None
    start_source: LiveSource | None = None
    end_source: LiveSource | None = None
    adjustments: tuple[RecordedAdjustment, ...] = ()


def _source(value: str | None) -> LiveSource | None:
    return LiveSource(value) if value is not None else None


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def _stored_kind(value: str) -> AdjustmentKind:
    kind = AdjustmentKind(value)
    if kind not in STORED_KINDS:
        raise ValueError(f"{value!r} is not an adjustment that is stored; expected one of "
                         f"{sorted(STORED_KINDS)}")
    return kind


def _record(row: CueLive) -> LiveRecord:
    recorded = tuple(
        RecordedAdjustment(
            Adjustment(_stored_kind(entry["kind"]),
                       datetime.fromisoformat(entry["at"]).astimezone(UTC),
                       timedelta(seconds=float(entry.get("seconds", 0)))),
            LiveSource(entry.get("by", LiveSource.UNKNOWN)))
        for entry in row.adjustments or [])
    live = LiveState(_utc(row.actual_start), tuple(r.adjustment for r in recorded),
                     _utc(row.ended_at))
    return LiveRecord(row.event_slug, live, row.revision, row.webinar_id,
                      _source(row.start_source), _source(row.end_source), recorded)


# --------------------------------------------------------------------------- reading


def load_live_record(store: StateStore, event_slug: str) -> LiveRecord:
    """The stored live state of an event with who recorded what (empty: nothing yet)."""
    with store.session() as session:
        row = session.get(CueLive, event_slug)
        return _record(row) if row is not None else LiveRecord(event_slug, LiveState(), 0)


def load_live(store: StateStore, event_slug: str) -> LiveState:
    """The stored live state of an event (empty if nothing happened yet)."""
    return load_live_record(store, event_slug).live


def load_live_revision(store: StateStore, event_slug: str) -> tuple[LiveState, int]:
    """The stored live state and its revision (0: nothing stored), from one read of its row."""
    record = load_live_record(store, event_slug)
    return record.live, record.revision


def load_live_revisions(store: StateStore, slugs: list[str]
                        ) -> dict[str, tuple[LiveState, int]]:
    """:func:`load_live_revision` of many events in one query per 500 (a scheduler's start)."""
    out = {slug: (LiveState(), 0) for slug in slugs}
    with store.session() as session:
        for i in range(0, len(slugs), 500):
            for row in session.scalars(select(CueLive).where(
                    CueLive.event_slug.in_(slugs[i:i + 500]))):
                record = _record(row)
                out[row.event_slug] = (record.live, record.revision)
    return out


def live_revision(store: StateStore, event_slug: str) -> int:
    return live_revisions(store).get(event_slug, 0)


def live_revisions(store: StateStore) -> dict[str, int]:
    """event slug -> revision of its live state, for every event with one (one query)."""
    with store.session() as session:
        rows = session.execute(select(CueLive.event_slug, CueLive.revision))
        return {slug: revision for slug, revision in rows}


# --------------------------------------------------------------------------- changing

_CHANGE_ATTEMPTS = 50


def _change(store: StateStore, event_slug: str, change: Callable[[CueLive], bool]) -> LiveState:
    """Apply ``change`` to the event's row (created if missing) and bump its revision; when
    ``change`` says it changed nothing, nothing is written."""
    # Neither SQLite (pysqlite reads outside the write transaction) nor PostgreSQL (read
    # committed) stops a concurrent writer between our read and our write: the revision check
    # refuses a write based on a stale read, and the change is applied again to a fresh one.
    for attempt in range(_CHANGE_ATTEMPTS):
        try:
            with store.session() as session:
                row = session.get(CueLive, event_slug)
                fresh = row is None
                if row is None:
                    row = CueLive(event_slug=event_slug, adjustments=[], revision=0)
                if not change(row):
                    break
                if fresh:
                    session.add(row)
                row.revision = (row.revision or 0) + 1
                row.updated_at = utcnow()
            break
        except (StaleDataError, IntegrityError):
            if attempt + 1 == _CHANGE_ATTEMPTS:
                raise
            log.debug("live state of %s changed concurrently; applying again", event_slug)
    return load_live(store, event_slug)


def _learn_webinar(row: CueLive, webinar_id: int | None) -> bool:
    if webinar_id is None or row.webinar_id == webinar_id:
        return False
    row.webinar_id = webinar_id
    return True


def aware_or_now(at: datetime | None) -> datetime:
    if at is None:
        return utcnow()
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at!r} has no time zone; give an aware datetime")
    return at.astimezone(UTC)


def record_actual_start(store: StateStore, event_slug: str, at: datetime | None = None, *,
                        replace: bool = False, by: LiveSource = LiveSource.UNKNOWN,
                        webinar_id: int | None = None) -> LiveState:
    """Fix the actual start (``webinar.started``, ``cues start``, or ``next`` before any
    start); every agenda cue follows it.

    The first start recorded stands: Zoom's webhook arriving after the host's ``next`` (or a
    retried delivery) changes nothing, so nothing is announced twice. ``replace=True``
    (``cues start --replace``) corrects a recorded start; the plan is then worked out again
    from the corrected start. ``webinar_id``: the Zoom webinar that started, when Zoom said so.
    """
    when = aware_or_now(at)

    def change(row: CueLive) -> bool:
        learned = _learn_webinar(row, webinar_id)
        if row.actual_start is not None and not replace:
            if _utc(row.actual_start) != when:
                log.info("start of %s already recorded at %s; %s not recorded", event_slug,
                         _utc(row.actual_start), when.isoformat())
            return learned
        row.actual_start, row.start_source = when, by
        return True

    return _change(store, event_slug, change)


def _adjust(store: StateStore, event_slug: str, kind: AdjustmentKind, amount: timedelta,
            at: datetime | None, by: LiveSource) -> LiveState:
    entry: dict[str, Any] = {"kind": _stored_kind(kind).value, "at": aware_or_now(at).isoformat(),
                             "seconds": amount.total_seconds(), "by": by.value}

    def change(row: CueLive) -> bool:
        row.adjustments = [*(row.adjustments or []), entry]
        return True

    return _change(store, event_slug, change)


def shift(store: StateStore, event_slug: str, amount: timedelta, at: datetime | None = None, *,
          by: LiveSource = LiveSource.UNKNOWN) -> LiveState:
    """Move every cue still to come by ``amount`` (may be negative)."""
    return _adjust(store, event_slug, AdjustmentKind.SHIFT, amount, at, by)


def next_segment(store: StateStore, event_slug: str, at: datetime | None = None, *,
                 agenda: CueAgenda | None = None,
                 by: LiveSource = LiveSource.UNKNOWN) -> LiveState:
    """End the current segment now; the next one starts.

    With no start recorded and no segment in progress (manual advance before the start; auto
    before the scheduled start) ``next`` means "we are starting now": it records the actual
    start, with ``by`` as its source (give ``agenda`` so this can be told; without it the
    planner still reads such a ``next`` as the start, but the start is not recorded as such).
    """
    when = aware_or_now(at)
    if agenda is not None:
        live = load_live(store, event_slug)
        if not live.started_by(when) and live.ended_at is None and \
                current_segment(agenda, live, when)[0] is None:
            return record_actual_start(store, event_slug, when, by=by)
    return _adjust(store, event_slug, AdjustmentKind.NEXT, timedelta(0), when, by)


def extend(store: StateStore, event_slug: str, amount: timedelta, at: datetime | None = None,
           *, by: LiveSource = LiveSource.UNKNOWN) -> LiveState:
    """Give the current segment ``amount`` more (from now if it is already over time)."""
    if amount <= timedelta(0):
        raise ValueError("extend needs a positive amount, e.g. 2m; use shift for moving back")
    return _adjust(store, event_slug, AdjustmentKind.EXTEND, amount, at, by)


def record_end(store: StateStore, event_slug: str, at: datetime | None = None, *,
               by: LiveSource = LiveSource.UNKNOWN,
               webinar_id: int | None = None) -> LiveState:
    """Record that the webinar ended (``webinar.ended`` or ``cues end``): every cue due from
    ``at`` on is cancelled. The first end recorded stands (Zoom retries its deliveries)."""
    when = aware_or_now(at)

    def change(row: CueLive) -> bool:
        learned = _learn_webinar(row, webinar_id)
        if row.ended_at is not None:
            return learned
        row.ended_at, row.end_source = when, by
        return True

    return _change(store, event_slug, change)
