"""The schema as zoomorch created it before migrations existed.

Such a database (no ``alembic_version`` table) already has some or all of these tables:
every one is created only if it is missing, so the chain starts from any of them.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cue_delivery",
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("event_slug", sa.String(length=200), nullable=False),
        sa.Column("cue_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("segment", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=60), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("due", _when(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", _when(), nullable=True),
        sa.Column("delivered_at", _when(), nullable=True),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_cue_delivery_cue_id"), "cue_delivery", ["cue_id"],
                    unique=False, if_not_exists=True)
    op.create_index(op.f("ix_cue_delivery_event_slug"), "cue_delivery", ["event_slug"],
                    unique=False, if_not_exists=True)
    op.create_table(
        "cue_live_state",
        sa.Column("event_slug", sa.String(length=200), nullable=False),
        sa.Column("actual_start", _when(), nullable=True),
        sa.Column("adjustments", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("event_slug"),
        if_not_exists=True,
    )
    op.create_table(
        "registrant_sync_run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("webinar_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("started_at", _when(), nullable=False),
        sa.Column("finished_at", _when(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_registrant_sync_run_event_key"), "registrant_sync_run",
                    ["event_key"], unique=False, if_not_exists=True)
    op.create_table(
        "report_snapshot",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("webinar_id", sa.BigInteger(), nullable=False),
        sa.Column("webinar_uuid", sa.String(length=200), nullable=False),
        sa.Column("started_at", _when(), nullable=False),
        sa.Column("completed_at", _when(), nullable=True),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_report_snapshot_event_key"), "report_snapshot", ["event_key"],
                    unique=False, if_not_exists=True)
    op.create_table(
        "webinar_binding",
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("webinar_id", sa.BigInteger(), nullable=True),
        sa.Column("intent_topic", sa.String(length=300), nullable=True),
        sa.Column("intent_start_time", _when(), nullable=True),
        sa.Column("intent_at", _when(), nullable=True),
        sa.Column("last_applied", sa.JSON(), nullable=True),
        sa.Column("applied_at", _when(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("event_key"),
        if_not_exists=True,
    )
    op.create_table(
        "webinar_run",
        sa.Column("event_slug", sa.String(length=200), nullable=False),
        sa.Column("webinar_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", _when(), nullable=True),
        sa.Column("ended_at", _when(), nullable=True),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("event_slug"),
        if_not_exists=True,
    )
    op.create_table(
        "registrant_sync_call",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("webinar_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("auto_approve", sa.Boolean(), nullable=True),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("finished_at", _when(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["registrant_sync_run.id"]),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_registrant_sync_call_run_id"), "registrant_sync_call",
                    ["run_id"], unique=False, if_not_exists=True)
    op.create_index(op.f("ix_registrant_sync_call_state"), "registrant_sync_call",
                    ["state"], unique=False, if_not_exists=True)
    op.create_index(op.f("ix_registrant_sync_call_webinar_id"), "registrant_sync_call",
                    ["webinar_id"], unique=False, if_not_exists=True)
    op.create_table(
        "report_page",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["snapshot_id"], ["report_snapshot.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("snapshot_id", "kind", "seq"),
        if_not_exists=True,
    )


def downgrade() -> None:
    for table in ("report_page", "registrant_sync_call", "webinar_run", "webinar_binding",
                  "report_snapshot", "registrant_sync_run", "cue_live_state", "cue_delivery"):
        op.drop_table(table)
