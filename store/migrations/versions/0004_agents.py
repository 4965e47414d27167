"""Agent console sign-in: console sessions (with the heartbeat that makes an agent online) and the sign-in throttle.

Revision ID: 0004_agents
Revises: 0003_voice
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = "0004_agents"
down_revision = "0003_voice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("password_change_required", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name="fk_console_sessions_agent_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_console_sessions"),
    )
    op.create_index("ix_console_sessions_agent_id", "console_sessions", ["agent_id"])
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_sign_in_failures"),
    )


def downgrade() -> None:
    op.drop_table("sign_in_failures")
    op.drop_index("ix_console_sessions_agent_id", table_name="console_sessions")
    op.drop_table("console_sessions")
