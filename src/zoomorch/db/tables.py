"""Every table of the state database, in one place: the schema the migrations
(:mod:`zoomorch.db.migrations`) build, whatever module a command happened to import.

A change here needs a migration: ``tests/test_db_migrations.py`` fails while the migrated
schema and these declarations differ. Times are stored in UTC (:class:`UTCDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, tz-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime column that only accepts aware values and always returns them in UTC.

    SQLite has no time zone type, so values are normalised to UTC on the way in and marked
    UTC on the way out; PostgreSQL keeps ``timestamptz`` semantics.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; attach a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base every zoomorch table derives from."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class CueDelivery(Base):
    """One cue × channel × recipient: the idempotency key and what became of it."""

    __tablename__ = "cue_delivery"

    key: Mapped[str] = mapped_column(String(500), primary_key=True)
    event_slug: Mapped[str] = mapped_column(String(200), index=True)
    cue_id: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    # The segment's title as the event file has it: no length limit there, so none here
    # (PostgreSQL, unlike SQLite, refuses a longer value and the whole delivery batch with it).
    segment: Mapped[str | None] = mapped_column(Text, default=None)
    channel: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(200))
    due: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="pending")
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RegistrantSyncRun(Base):
    """One ``registrants sync`` run."""

    __tablename__ = "registrant_sync_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(200), index=True)
    webinar_id: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(1000))
    source_sha256: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(Text, default=None)
    counts: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class RegistrantSyncCall(Base):
    """One write call of a sync: who it carried, and what Zoom answered."""

    __tablename__ = "registrant_sync_call"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("registrant_sync_run.id"), index=True)
    webinar_id: Mapped[int] = mapped_column(BigInteger, index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # batch_add | add | approve | deny | cancel
    auto_approve: Mapped[bool | None] = mapped_column(default=None)
    emails: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # [{email, registrant_id, join_url}] for adds; the emails Zoom had for reconciled calls.
    result: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class ReportSnapshot(Base):
    """One fetch of one webinar's reports."""

    __tablename__ = "report_snapshot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(200), index=True)
    webinar_id: Mapped[int] = mapped_column(BigInteger)
    webinar_uuid: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Reports Zoom refused (e.g. Q&A disabled): kind -> "code: message", shown in the report.
    missing: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ReportPage(Base):
    """One raw page (or one unpaginated report) exactly as Zoom returned it."""

    __tablename__ = "report_page"

    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("report_snapshot.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class WebinarBinding(Base):
    """One event file's webinar in Zoom, plus what the last successful apply wrote.

    ``intent_*`` is written *before* the create call, so that a crash between Zoom creating the
    webinar and us storing its id can be recovered by adopting the webinar instead of creating
    a second one.
    """

    __tablename__ = "webinar_binding"

    event_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    webinar_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    intent_topic: Mapped[str | None] = mapped_column(String(300), default=None)
    intent_start_time: Mapped[datetime | None] = mapped_column(default=None)
    intent_at: Mapped[datetime | None] = mapped_column(default=None)
    # The comparable snapshot of the webinar as we last left it (see provision.py); drift is
    # "Zoom now differs from this".
    last_applied: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    applied_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CueLive(Base):
    """The live state of one event, its one record: the actual start and who recorded it, every
    adjustment (shift, next, extend) with who made it, the end and who recorded it, the
    Zoom webinar it ran as once Zoom has told us, and the control room's messages to the
    presenter.

    ``adjustments`` holds ``{"kind", "at", "seconds", "by"}`` entries in the order issued
    (:class:`~zoomorch.live.state.AdjustmentKind`, :class:`~zoomorch.live.state.LiveSource`);
    the sources are kept for the run-of-show record (who ended which segment).
    ``messages`` holds ``{"id", "text", "at", "by", "notify", "acknowledged_at",
    "acknowledged_by"}`` entries in the order posted (:mod:`zoomorch.live.state`).
    """

    __tablename__ = "cue_live_state"

    event_slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    webinar_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    actual_start: Mapped[datetime | None] = mapped_column(default=None)
    start_source: Mapped[str | None] = mapped_column(String(20), default=None)
    adjustments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    end_source: Mapped[str | None] = mapped_column(String(20), default=None)
    # The server default lets a zoomorch from before messages (revision 0002) still insert.
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list,
                                                           server_default=text("'[]'"))
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Every UPDATE carries "WHERE revision = <the one read>": two writers (the board, a
    # webhook, `cues shift` in another process) cannot silently overwrite each other's
    # adjustments; the loser gets StaleDataError and the change is applied again to a fresh
    # read (:mod:`zoomorch.live.state`).
    __mapper_args__ = {  # noqa: RUF012 (SQLAlchemy reads it once, at mapping)
        "version_id_col": revision, "version_id_generator": False}
