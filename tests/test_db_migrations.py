"""The state database's migrations, on SQLite and on PostgreSQL: a new store is built at the
head with exactly the declared schema; a store from before migrations (the old DDL, written
out here) is upgraded with its data moved — the end out of the adjustments, Zoom's start and
end out of ``webinar_run`` — and the old tables dropped; a second upgrade changes nothing;
processes opening an old store at once upgrade it once; a failed upgrade leaves it as it was;
a store at 0002 gains the presenter messages (0003) with its live state kept.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.pool import NullPool

from postgres_support import fresh_schema, postgres_server_url
from zoomorch.cues import Adjustment, AdjustmentKind, LiveState
from zoomorch.db.store import (
    downgrade_schema,
    head_revision,
    open_store,
    schema_revision,
    upgrade_schema,
)
from zoomorch.db.tables import Base
from zoomorch.delivery.log import DeliveryStatus, deliveries
from zoomorch.live.state import (
    LiveSource,
    acknowledge_message,
    load_live_record,
    post_message,
    shift,
)

T0 = datetime(2030, 5, 17, 12, 30, tzinfo=UTC)
M = timedelta(minutes=1)

# --------------------------------------------------------------------------- the old schema
# The tables zoomorch created with create_all before migrations existed (and APScheduler's
# job table), as they were: nothing here may import today's declarations.

OLD = sa.MetaData()
WHEN = sa.DateTime(timezone=True)
OLD_LIVE = sa.Table(
    "cue_live_state", OLD,
    sa.Column("event_slug", sa.String(200), primary_key=True),
    sa.Column("actual_start", WHEN, nullable=True),
    sa.Column("adjustments", sa.JSON, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("updated_at", WHEN, nullable=False))
OLD_RUN = sa.Table(
    "webinar_run", OLD,
    sa.Column("event_slug", sa.String(200), primary_key=True),
    sa.Column("webinar_id", sa.BigInteger, nullable=True),
    sa.Column("started_at", WHEN, nullable=True),
    sa.Column("ended_at", WHEN, nullable=True),
    sa.Column("updated_at", WHEN, nullable=False))
OLD_DELIVERY = sa.Table(
    "cue_delivery", OLD,
    sa.Column("key", sa.String(500), primary_key=True),
    sa.Column("event_slug", sa.String(200), nullable=False, index=True),
    sa.Column("cue_id", sa.String(200), nullable=False, index=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("segment", sa.Text, nullable=True),
    sa.Column("channel", sa.String(60), nullable=False),
    sa.Column("recipient", sa.String(200), nullable=False),
    sa.Column("due", WHEN, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("late", sa.Boolean, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("next_attempt_at", WHEN, nullable=True),
    sa.Column("delivered_at", WHEN, nullable=True),
    sa.Column("updated_at", WHEN, nullable=False))
OLD_BINDING = sa.Table(
    "webinar_binding", OLD,
    sa.Column("event_key", sa.String(200), primary_key=True),
    sa.Column("webinar_id", sa.BigInteger, nullable=True),
    sa.Column("intent_topic", sa.String(300), nullable=True),
    sa.Column("intent_start_time", WHEN, nullable=True),
    sa.Column("intent_at", WHEN, nullable=True),
    sa.Column("last_applied", sa.JSON, nullable=True),
    sa.Column("applied_at", WHEN, nullable=True),
    sa.Column("created_at", WHEN, nullable=False),
    sa.Column("updated_at", WHEN, nullable=False))
OLD_JOBS = sa.Table(  # APScheduler's SQLAlchemyJobStore table
    "cue_jobs", OLD,
    sa.Column("id", sa.Unicode(191), primary_key=True),
    sa.Column("next_run_time", sa.Float(25), index=True),
    sa.Column("job_state", sa.LargeBinary, nullable=False))
# report_snapshot, report_page and the registrant ledger are left out on purpose: an older
# zoomorch created tables only as commands needed them, so the upgrade must add what is missing.


def utc(value: datetime | None) -> datetime | None:
    """A time read through plain SQLAlchemy: SQLite gives it back naive (it was stored UTC)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def entry(kind: str, at: datetime, seconds: float = 0.0) -> dict[str, Any]:
    return {"kind": kind, "at": at.isoformat(), "seconds": seconds}


def build_old_store(url: str, *, bad_end: bool = False) -> None:
    """A state database as the zoomorch before this change left it, mid-event."""
    engine = sa.create_engine(url, poolclass=NullPool)
    OLD.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(OLD_LIVE), [
            # Zoom started it (the same start in both places), then shift, next, and the end
            # among the adjustments; Zoom's end too.
            {"event_slug": "zoom-run", "actual_start": T0, "revision": 5, "updated_at": T0,
             "adjustments": [entry("shift", T0 + 5 * M, 120.0), entry("next", T0 + 20 * M),
                             entry("end", T0 + 58 * M)]},
            # The host's `next` started it before Zoom's webhook (whose later start lost);
            # the end only in webinar_run (e.g. applied while cues ran elsewhere).
            {"event_slug": "host-first", "actual_start": T0 + M, "revision": 2,
             "updated_at": T0, "adjustments": [entry("extend", T0 + 10 * M, 180.0)]},
            # Nothing from Zoom; `cues end` only.
            {"event_slug": "cli-only", "actual_start": None, "revision": 1, "updated_at": T0,
             "adjustments": [{"kind": "end", "at": "not a time", "seconds": 0.0}] if bad_end
             else [entry("end", T0 + 40 * M)]},
        ])
        conn.execute(sa.insert(OLD_RUN), [
            {"event_slug": "zoom-run", "webinar_id": 81234567890, "started_at": T0,
             "ended_at": T0 + 58 * M, "updated_at": T0},
            {"event_slug": "host-first", "webinar_id": 81234567891, "started_at": T0 + 2 * M,
             "ended_at": T0 + 61 * M, "updated_at": T0},
            # Only Zoom knew of this one.
            {"event_slug": "zoom-only", "webinar_id": 81234567892, "started_at": T0 + 3 * M,
             "ended_at": None, "updated_at": T0},
        ])
        conn.execute(sa.insert(OLD_DELIVERY), [{
            "key": "zoom-run|time_up/s0@x|console|p1", "event_slug": "zoom-run",
            "cue_id": "time_up/s0@x", "kind": "time_up", "segment": "Opening",
            "channel": "console", "recipient": "p1", "due": T0 + 5 * M, "status": "delivered",
            "late": False, "attempts": 1, "last_error": None, "next_attempt_at": None,
            "delivered_at": T0 + 5 * M, "updated_at": T0 + 5 * M}])
        conn.execute(sa.insert(OLD_BINDING), [{
            "event_key": "zoom-run", "webinar_id": 81234567890, "intent_topic": "Foro",
            "intent_start_time": T0, "intent_at": T0, "last_applied": {"topic": "Foro"},
            "applied_at": T0, "created_at": T0, "updated_at": T0}])
        conn.execute(sa.insert(OLD_JOBS), [
            {"id": "zoom-run|hard_stop@x", "next_run_time": 1.0, "job_state": b"\x80\x04."}])
    engine.dispose()


# --------------------------------------------------------------------------- helpers


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each dialect (PostgreSQL: a fresh schema on the test server)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.sqlite3'}"
        return
    with fresh_schema(postgres_server_url()) as schema_url:
        yield schema_url


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def revision_of(url: str) -> str | None:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return schema_revision(conn)
    finally:
        engine.dispose()


def schema_differences(url: str) -> list[Any]:
    """What autogenerate would change to reach the declared schema (nothing, at the head)."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))
    finally:
        engine.dispose()


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: what "changes nothing" is checked against."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            meta = sa.MetaData()
            meta.reflect(conn)
            return {name: sorted(tuple(str(v) for v in row)
                                  for row in conn.execute(sa.select(table)))
                    for name, table in meta.tables.items()}
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- the tests


def test_a_new_store_is_built_at_the_head_with_exactly_the_declared_schema(url: str) -> None:
    store = open_store(url)
    store.close()
    assert revision_of(url) == head_revision()
    assert tables(url) == {*Base.metadata.tables, "alembic_version"}
    assert schema_differences(url) == []


def test_a_store_from_before_migrations_is_upgraded_with_its_live_state_moved(url: str) -> None:
    build_old_store(url)
    assert revision_of(url) is None
    store = open_store(url)

    assert revision_of(url) == head_revision()
    assert "webinar_run" not in tables(url) and "cue_jobs" not in tables(url)
    assert tables(url) == {*Base.metadata.tables, "alembic_version"}  # the missing ones added
    assert schema_differences(url) == []

    zoom_run = load_live_record(store, "zoom-run")
    assert zoom_run.live == LiveState(
        T0, (Adjustment(AdjustmentKind.SHIFT, T0 + 5 * M, 2 * M),
             Adjustment(AdjustmentKind.NEXT, T0 + 20 * M)), T0 + 58 * M)
    assert (zoom_run.start_source, zoom_run.end_source) == (LiveSource.ZOOM, LiveSource.ZOOM)
    assert zoom_run.webinar_id == 81234567890
    assert [a.by for a in zoom_run.adjustments] == [LiveSource.UNKNOWN] * 2
    assert zoom_run.revision == 5  # the same live state: nothing to plan again

    host_first = load_live_record(store, "host-first")
    assert host_first.live.actual_start == T0 + M  # what the cues followed stands
    assert host_first.start_source == LiveSource.UNKNOWN
    assert (host_first.live.ended_at, host_first.end_source) == (T0 + 61 * M, LiveSource.ZOOM)
    assert host_first.revision == 3  # it now says more (Zoom's end): a new revision

    cli_only = load_live_record(store, "cli-only")
    assert cli_only.live == LiveState(None, (), T0 + 40 * M)
    assert (cli_only.start_source, cli_only.end_source, cli_only.webinar_id) == (
        None, LiveSource.UNKNOWN, None)

    zoom_only = load_live_record(store, "zoom-only")
    assert zoom_only.live == LiveState(T0 + 3 * M, (), None)
    assert (zoom_only.start_source, zoom_only.webinar_id, zoom_only.revision) == (
        LiveSource.ZOOM, 81234567892, 1)

    # Everything else is kept as it was, and the upgraded row takes new changes.
    (row,) = deliveries(store, "zoom-run")
    assert (row.status, row.delivered_at) == (DeliveryStatus.DELIVERED, T0 + 5 * M)
    binding = store.binding("zoom-run")
    assert binding is not None and binding.last_applied == {"topic": "Foro"}
    shift(store, "cli-only", M, T0 + 41 * M, by=LiveSource.CLI)
    assert load_live_record(store, "cli-only").adjustments[-1].by == LiveSource.CLI
    store.close()


def test_a_second_upgrade_changes_nothing(url: str) -> None:
    build_old_store(url)
    open_store(url).close()
    upgraded = dump(url)
    upgrade_schema(url)
    open_store(url).close()
    assert dump(url) == upgraded


def test_a_failed_upgrade_leaves_the_old_store_as_it_was(url: str) -> None:
    build_old_store(url, bad_end=True)  # an "end" whose time cannot be read
    before = dump(url)
    with pytest.raises(ValueError, match="not a time"):
        open_store(url)
    assert revision_of(url) is None
    assert dump(url) == before  # no new column, webinar_run and cue_jobs still there


def test_downgrade_gives_the_old_schema_back_and_upgrading_again_gives_the_same_state(
        url: str) -> None:
    build_old_store(url)
    store = open_store(url)
    records = {slug: load_live_record(store, slug)
               for slug in ("zoom-run", "host-first", "cli-only", "zoom-only")}
    store.close()
    downgrade_schema(url, "0001")
    assert "webinar_run" in tables(url)
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        live = {r.event_slug: r for r in conn.execute(sa.select(OLD_LIVE))}
        runs = {r.event_slug: r for r in conn.execute(sa.select(OLD_RUN))}
    engine.dispose()
    assert live["cli-only"].adjustments == [entry("end", T0 + 40 * M)]
    assert (utc(runs["zoom-run"].started_at), utc(runs["zoom-run"].ended_at)) == (
        T0, T0 + 58 * M)
    assert runs["host-first"].started_at is None  # the start Zoom reported had lost
    store = open_store(url)
    again = {slug: load_live_record(store, slug) for slug in records}
    store.close()
    assert {s: (r.live, r.webinar_id, r.start_source, r.end_source) for s, r in again.items()} \
        == {s: (r.live, r.webinar_id, r.start_source, r.end_source) for s, r in records.items()}


OPEN_AND_SHIFT = """
import sys
from datetime import timedelta
from zoomorch.db.store import open_store
from zoomorch.live.state import LiveSource, shift
store = open_store(sys.argv[1])
shift(store, "host-first", timedelta(seconds=30), by=LiveSource.CLI)
"""


def test_processes_opening_an_old_store_at_once_upgrade_it_once(url: str) -> None:
    """`serve` starting while `cues shift` runs in another terminal, six times over."""
    build_old_store(url)
    procs = [subprocess.Popen([sys.executable, "-c", OPEN_AND_SHIFT, url],
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    errors = [p.communicate(timeout=90)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, errors
    store = open_store(url)
    record = load_live_record(store, "host-first")
    store.close()
    assert revision_of(url) == head_revision()
    # Upgraded once (Zoom's end: revision 2 -> 3), then each process's shift kept.
    assert record.revision == 3 + 6
    assert [a.kind for a in record.live.adjustments] == ["extend"] + ["shift"] * 6
    assert record.live.ended_at == T0 + 61 * M


def test_a_store_at_0002_is_upgraded_to_keep_messages_with_its_live_state_kept(
        url: str) -> None:
    """0003: the presenter's messages. A store a zoomorch of 0002 left (mid-event: a start,
    adjustments, an end) gets an empty list of messages and keeps everything else, revision
    included; an older zoomorch can still insert rows beside it (the column's default)."""
    build_old_store(url)
    upgrade_schema(url, "0002")
    assert revision_of(url) == "0002"
    before = dump(url)["cue_live_state"]
    store = open_store(url)
    assert revision_of(url) == head_revision()
    assert schema_differences(url) == []
    after = dump(url)["cue_live_state"]
    assert after == sorted((*row, "[]") for row in before)  # one more column, empty
    zoom_run = load_live_record(store, "zoom-run")
    assert zoom_run.messages == ()
    assert zoom_run.revision == 5 and zoom_run.live.ended_at == T0 + 58 * M
    assert zoom_run.webinar_id == 81234567890

    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:  # a 0002 zoomorch inserting a row: no messages column
        conn.execute(sa.text(
            "INSERT INTO cue_live_state (event_slug, adjustments, revision, updated_at) "
            "VALUES ('old-writer', '[]', 1, :at)"), {"at": T0})
    engine.dispose()
    assert load_live_record(store, "old-writer").messages == ()

    message_id = post_message(store, "zoom-run", "wrap up", at=T0 + 50 * M, by=LiveSource.CLI)
    acknowledge_message(store, "zoom-run", message_id, at=T0 + 51 * M, by=LiveSource.BOARD)
    record = load_live_record(store, "zoom-run")
    assert [(m.text, m.acknowledged_at) for m in record.messages] == [("wrap up", T0 + 51 * M)]
    assert record.live == zoom_run.live and record.revision == 7
    store.close()

    downgrade_schema(url, "0002")  # the messages go; the live state stays
    assert revision_of(url) == "0002"
    store = open_store(url)
    assert load_live_record(store, "zoom-run").messages == ()
    assert load_live_record(store, "zoom-run").live == zoom_run.live
    store.close()
