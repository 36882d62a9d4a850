"""The live state of an event — its one record — and the commands that change it.

One row per event (``cue_live_state``): the actual start, every adjustment (shift, next,
extend) in the order issued, the end, who recorded each of them (:class:`LiveSource`), the
Zoom webinar the event ran as once Zoom has said so, and the control room's messages to the
presenter (:class:`PresenterMessage`: posted, then acknowledged from a board). The cue
planner reads it as a :class:`~zoomorch.cues.LiveState`; :func:`load_live_record` gives the
whole row, sources and messages included (the run-of-show record builds on them).

Every command here is the only way to change the row: Zoom's webhooks
(:mod:`zoomorch.live.webhooks`), ``zoomorch cues start/next/shift/extend/end``, the cue board's
buttons and a rehearsal's simulated host all come through them. Each change bumps the row's
revision (optimistic concurrency, and how a running scheduler notices a change made by another
process); a command that changes nothing (Zoom retrying a delivery) writes nothing.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from zoomorch.cues import Adjustment, AdjustmentKind, CueAgenda, LiveState, current_segment
from zoomorch.db.notify import notify_in
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


# What a message to the presenter may be: short enough to read at a glance on a board.
MESSAGE_MAX_CHARS = 280
# A message id: ours are 12 hex digits; a caller may bring its own (a retried request).
_MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class PresenterMessage:
    """One message from the control room to the presenter ("wrap up", "Q&A next").

    ``notify``: it also goes out once through the host's and moderator's channels (the cue
    scheduler sends it, :mod:`zoomorch.delivery.scheduler`). Acknowledged from any board of
    the event (the presenter's viewer link included); the first acknowledgement stands.
    """

    id: str
    text: str
    at: datetime  # tz-aware UTC: when it was posted
    by: LiveSource
    notify: bool = False
    acknowledged_at: datetime | None = None
    acknowledged_by: LiveSource | None = None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    def as_json(self) -> dict[str, Any]:
        """The stored entry (and ``cues status --json``, the run-of-show record)."""
        return {"id": self.id, "text": self.text, "at": self.at.isoformat(),
                "by": self.by.value, "notify": self.notify,
                "acknowledged_at": _iso(self.acknowledged_at),
                "acknowledged_by": self.acknowledged_by.value if self.acknowledged_by
                else None}


class UnknownMessage(LookupError):
    """No message with that id was posted for the event."""

    def __init__(self, event_slug: str, message_id: str) -> None:
        super().__init__(f"no message {message_id!r} was posted for {event_slug}; "
                         "`zoomorch cues status EVENT` lists the messages and their ids")
        self.event_slug, self.message_id = event_slug, message_id


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
    messages: tuple[PresenterMessage, ...] = ()  # in the order posted

    def message(self, message_id: str) -> PresenterMessage | None:
        return next((m for m in self.messages if m.id == message_id), None)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


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


def _message(entry: dict[str, Any]) -> PresenterMessage:
    acked = entry.get("acknowledged_at")
    return PresenterMessage(
        str(entry["id"]), str(entry["text"]),
        datetime.fromisoformat(entry["at"]).astimezone(UTC),
        LiveSource(entry.get("by", LiveSource.UNKNOWN)), bool(entry.get("notify", False)),
        datetime.fromisoformat(acked).astimezone(UTC) if acked else None,
        _source(entry.get("acknowledged_by")))


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
                      _source(row.start_source), _source(row.end_source), recorded,
                      tuple(_message(entry) for entry in row.messages or []))


# --------------------------------------------------------------------------- reading


def read_live_record(session: Session, event_slug: str) -> LiveRecord:
    """:func:`load_live_record` within ``session`` (with other reads in one transaction)."""
    row = session.get(CueLive, event_slug)
    return _record(row) if row is not None else LiveRecord(event_slug, LiveState(), 0)


def load_live_record(store: StateStore, event_slug: str) -> LiveRecord:
    """The stored live state of an event with who recorded what (empty: nothing yet)."""
    with store.session() as session:
        return read_live_record(session, event_slug)


def load_live(store: StateStore, event_slug: str) -> LiveState:
    """The stored live state of an event (empty if nothing happened yet)."""
    return load_live_record(store, event_slug).live


def load_live_revision(store: StateStore, event_slug: str) -> tuple[LiveState, int]:
    """The stored live state and its revision (0: nothing stored), from one read of its row."""
    record = load_live_record(store, event_slug)
    return record.live, record.revision


def load_live_records(store: StateStore, slugs: list[str]) -> dict[str, LiveRecord]:
    """:func:`load_live_record` of many events in one query per 500 (a scheduler's start)."""
    out = {slug: LiveRecord(slug, LiveState(), 0) for slug in slugs}
    with store.session() as session:
        for i in range(0, len(slugs), 500):
            for row in session.scalars(select(CueLive).where(
                    CueLive.event_slug.in_(slugs[i:i + 500]))):
                out[row.event_slug] = _record(row)
    return out


def load_live_revisions(store: StateStore, slugs: list[str]
                        ) -> dict[str, tuple[LiveState, int]]:
    """:func:`load_live_revision` of many events in one query per 500."""
    return {slug: (record.live, record.revision)
            for slug, record in load_live_records(store, slugs).items()}


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
                session.flush()
                # The other replicas' boards and schedulers hear of it at the commit.
                notify_in(session, event_slug, "live")
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


# --------------------------------------------------------------------------- messages


def message_text(text: str) -> str:
    """A message as stored: control characters gone, every run of white space (line breaks,
    tabs) one space, trimmed; 1 to :data:`MESSAGE_MAX_CHARS` characters, else ValueError
    saying so."""
    kept = "".join(ch for ch in str(text)
                   if ch.isspace() or unicodedata.category(ch) != "Cc")
    cleaned = " ".join(kept.split())  # every run of spaces, tabs, line breaks: one space
    if not cleaned:
        raise ValueError("the message is empty; write a few words, e.g. \"wrap up\"")
    if len(cleaned) > MESSAGE_MAX_CHARS:
        raise ValueError(f"the message has {len(cleaned)} characters; at most "
                         f"{MESSAGE_MAX_CHARS} fit on the board, shorten it")
    return cleaned


def post_message(store: StateStore, event_slug: str, text: str, *, at: datetime | None = None,
                 by: LiveSource, notify: bool = False, message_id: str | None = None) -> str:
    """Post a message to the presenter: every board of the event shows it (highlighted until
    acknowledged) from the revision this bumps. Its id is returned.

    ``message_id``: the caller's own id for it (letters, digits, ``-``, ``_``; at most 40), so
    a retried request posts it once: a message with that id already posted is left as it
    was and its id returned. ``notify``: the cue scheduler also sends it, once, to the host
    and the moderator on their channels.
    """
    cleaned = message_text(text)
    when = aware_or_now(at)
    if message_id is not None and not _MESSAGE_ID.match(message_id):
        raise ValueError(f"{message_id!r} is not a usable message id; use at most 40 letters, "
                         "digits, '-' or '_' (or none: one is made up)")
    chosen = message_id or secrets.token_hex(6)
    entry = {"id": chosen, "text": cleaned, "at": when.isoformat(), "by": by.value,
             "notify": bool(notify), "acknowledged_at": None, "acknowledged_by": None}

    def change(row: CueLive) -> bool:
        if any(m.get("id") == chosen for m in row.messages or []):
            return False  # posted already (a retried request)
        row.messages = [*(row.messages or []), entry]
        return True

    _change(store, event_slug, change)
    return chosen


def acknowledge_message(store: StateStore, event_slug: str, message_id: str, *,
                        at: datetime | None = None, by: LiveSource) -> PresenterMessage:
    """Mark a message as seen (from a board, or ``cues ack``). The first acknowledgement
    stands: acknowledging it again changes nothing. Raises :class:`UnknownMessage`."""
    when = aware_or_now(at)

    def change(row: CueLive) -> bool:
        messages = list(row.messages or [])
        for i, entry in enumerate(messages):
            if entry.get("id") != message_id:
                continue
            if entry.get("acknowledged_at"):
                return False
            messages[i] = {**entry, "acknowledged_at": when.isoformat(),
                           "acknowledged_by": by.value}
            row.messages = messages
            return True
        raise UnknownMessage(event_slug, message_id)

    _change(store, event_slug, change)
    found = load_live_record(store, event_slug).message(message_id)
    assert found is not None
    return found
