"""One live-state table: ``cue_live_state`` keeps the start, the adjustments, the end, who
recorded each, and the webinar id; ``webinar_run`` and APScheduler's ``cue_jobs`` go.

Data moves, row by row:

- an ``"end"`` entry among the adjustments (how the end was kept before) becomes
  ``ended_at``; the first one stands, as it did;
- ``webinar_run`` (what Zoom's webhooks said) fills ``webinar_id``, and the start and end
  where the live state had none (source ``zoom``); where both agree the source is ``zoom``;
  where they differ the live state's own value stands (it was what the cues followed);
- every other source is unknown (``unknown``): it was never recorded.

``cue_jobs`` held APScheduler's pickled jobs; the scheduler now rebuilds them from the event
files, the live state and the delivery log at each start, so nothing is lost with it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UNKNOWN = "unknown"
ZOOM = "zoom"


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _live_table() -> sa.TableClause:
    return sa.table(
        "cue_live_state",
        sa.column("event_slug", sa.String()),
        sa.column("webinar_id", sa.BigInteger()),
        sa.column("actual_start", _when()),
        sa.column("start_source", sa.String()),
        sa.column("adjustments", sa.JSON()),
        sa.column("ended_at", _when()),
        sa.column("end_source", sa.String()),
        sa.column("revision", sa.Integer()),
        sa.column("updated_at", _when()),
    )


def _run_table() -> sa.TableClause:
    return sa.table(
        "webinar_run",
        sa.column("event_slug", sa.String()),
        sa.column("webinar_id", sa.BigInteger()),
        sa.column("started_at", _when()),
        sa.column("ended_at", _when()),
        sa.column("updated_at", _when()),
    )


def _utc(value: datetime | str | None) -> datetime | None:
    """A stored time as aware UTC (SQLite hands back naive UTC; JSON holds ISO text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _tables() -> set[str]:
    return set(sa.inspect(op.get_bind()).get_table_names())


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("cue_live_state") as batch:
        batch.add_column(sa.Column("webinar_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("start_source", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("ended_at", _when(), nullable=True))
        batch.add_column(sa.Column("end_source", sa.String(length=20), nullable=True))

    live = _live_table()
    rows: dict[str, dict[str, Any]] = {}
    for row in bind.execute(sa.select(live)).mappings():
        entries = list(row["adjustments"] or [])
        ends = [e for e in entries if e.get("kind") == "end"]
        ended_at = _utc(ends[0]["at"]) if ends else None
        rows[row["event_slug"]] = {
            "event_slug": row["event_slug"], "webinar_id": None,
            "actual_start": _utc(row["actual_start"]),
            "start_source": UNKNOWN if row["actual_start"] is not None else None,
            "adjustments": [{**e, "by": e.get("by", UNKNOWN)} for e in entries
                            if e.get("kind") != "end"],
            "ended_at": ended_at, "end_source": UNKNOWN if ended_at is not None else None,
            "revision": row["revision"] or 0, "updated_at": _utc(row["updated_at"]),
            "new": False, "changed": False,
        }

    if "webinar_run" in _tables():
        for run in bind.execute(sa.select(_run_table())).mappings():
            entry = rows.setdefault(run["event_slug"], {
                "event_slug": run["event_slug"], "webinar_id": None, "actual_start": None,
                "start_source": None, "adjustments": [], "ended_at": None, "end_source": None,
                "revision": 0, "updated_at": _utc(run["updated_at"]), "new": True,
                "changed": False})
            entry["webinar_id"] = run["webinar_id"]
            for moment, column, source in ((_utc(run["started_at"]), "actual_start",
                                            "start_source"),
                                           (_utc(run["ended_at"]), "ended_at", "end_source")):
                if moment is None:
                    continue
                if entry[column] is None:
                    entry[column], entry[source], entry["changed"] = moment, ZOOM, True
                elif entry[column] == moment:
                    entry[source] = ZOOM

    for entry in rows.values():
        values = {k: v for k, v in entry.items() if k not in ("new", "changed")}
        if entry["changed"]:
            # The live state now says more than before (a start or end only Zoom had told):
            # a new revision, so that anything reading it plans again.
            values["revision"] = entry["revision"] + 1
        if values["updated_at"] is None:
            values["updated_at"] = datetime.now(UTC)
        if entry["new"]:
            bind.execute(sa.insert(live).values(**values))
        else:
            slug = values.pop("event_slug")
            bind.execute(sa.update(live).where(live.c.event_slug == slug).values(**values))

    tables = _tables()
    if "webinar_run" in tables:
        op.drop_table("webinar_run")
    if "cue_jobs" in tables:
        op.drop_table("cue_jobs")


def downgrade() -> None:
    """Back to two records: ``webinar_run`` from what Zoom reported, the end as an ``"end"``
    entry among the adjustments, the sources dropped. ``cue_jobs`` is not recreated: the
    scheduler of that version creates it and fills it from the plan at its start."""
    bind = op.get_bind()
    live = _live_table()
    op.create_table(
        "webinar_run",
        sa.Column("event_slug", sa.String(length=200), nullable=False),
        sa.Column("webinar_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", _when(), nullable=True),
        sa.Column("ended_at", _when(), nullable=True),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("event_slug"),
    )
    run = _run_table()
    for row in bind.execute(sa.select(live)).mappings().all():
        adjustments = [{k: v for k, v in e.items() if k != "by"}
                       for e in row["adjustments"] or []]
        ended_at = _utc(row["ended_at"])
        if ended_at is not None:
            adjustments.append({"kind": "end", "at": ended_at.isoformat(), "seconds": 0.0})
        bind.execute(sa.update(live).where(live.c.event_slug == row["event_slug"])
                     .values(adjustments=adjustments))
        from_zoom = row["start_source"] == ZOOM or row["end_source"] == ZOOM
        if row["webinar_id"] is not None or from_zoom:
            bind.execute(sa.insert(run).values(
                event_slug=row["event_slug"], webinar_id=row["webinar_id"],
                started_at=_utc(row["actual_start"]) if row["start_source"] == ZOOM else None,
                ended_at=ended_at if row["end_source"] == ZOOM else None,
                updated_at=_utc(row["updated_at"]) or datetime.now(UTC)))
    with op.batch_alter_table("cue_live_state") as batch:
        for column in ("end_source", "ended_at", "start_source", "webinar_id"):
            batch.drop_column(column)
