"""Messages to the presenter: ``cue_live_state`` gains ``messages``, a JSON list of
``{"id", "text", "at", "by", "notify", "acknowledged_at", "acknowledged_by"}`` in the order
posted (:mod:`zoomorch.live.state`).

Every row already stored gets an empty list; nothing else moves, and no revision changes
(nothing about the plan is new). The column keeps its server default (``'[]'``), so a
zoomorch of revision 0002 still running beside this one (a ``cues shift`` from an older
install) can go on inserting rows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cue_live_state") as batch:
        batch.add_column(sa.Column("messages", sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))


def downgrade() -> None:
    """The messages are dropped: revision 0002 has nowhere to keep them."""
    with op.batch_alter_table("cue_live_state") as batch:
        batch.drop_column("messages")
