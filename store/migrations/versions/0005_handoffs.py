"""Live-agent handoffs: the queue the agent console works from.

Revision ID: 0005_handoffs
Revises: 0004_agents
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = "0005_handoffs"
down_revision = "0004_agents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("case_number", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("severity", sa.Integer(), nullable=True),
        sa.Column("response_due", UTCDateTime(), nullable=True),
        sa.Column("conversation_reference", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("open_conversation_id", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name="fk_handoffs_agent_id", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_handoffs"),
        # At most one open handoff per conversation: the column is NULL once a handoff ends.
        sa.UniqueConstraint("open_conversation_id", name="uq_handoffs_open_conversation_id"),
    )
    op.create_index("ix_handoffs_conversation_id", "handoffs", ["conversation_id"])
    op.create_index("ix_handoffs_case_number", "handoffs", ["case_number"])
    op.create_index("ix_handoffs_agent_id", "handoffs", ["agent_id"])
    op.create_index("ix_handoffs_status", "handoffs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_handoffs_status", table_name="handoffs")
    op.drop_index("ix_handoffs_agent_id", table_name="handoffs")
    op.drop_index("ix_handoffs_case_number", table_name="handoffs")
    op.drop_index("ix_handoffs_conversation_id", table_name="handoffs")
    op.drop_table("handoffs")
