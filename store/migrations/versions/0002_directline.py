"""Direct Line gateway: conversations and their activities.

Revision ID: 0002_directline
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_directline"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directline_conversations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_directline_conversations"),
    )
    op.create_table(
        "directline_activities",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.String(length=96), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_directline_activities"),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["directline_conversations.id"],
            name="fk_directline_activities_conversation_id",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("activity_id", name="uq_directline_activities_activity_id"),
        sa.UniqueConstraint("conversation_id", "seq", name="uq_directline_activities_conversation_id_seq"),
    )


def downgrade() -> None:
    op.drop_table("directline_activities")
    op.drop_table("directline_conversations")
