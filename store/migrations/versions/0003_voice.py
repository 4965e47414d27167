"""Phone line: stored TwiML per webhook, call records, on-call dial attempts.

Revision ID: 0003_voice
Revises: 0002_directline
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_voice"
down_revision = "0002_directline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("twiml", sa.Text(), nullable=True),
        sa.Column("keypad", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_voice_turns"),
        sa.UniqueConstraint("call_sid", "step", name="uq_voice_turns_call_sid_step"),
    )
    op.create_table(
        "voice_calls",
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("case_number", sa.String(length=16), nullable=True),
        sa.Column("from_e164", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("call_sid", name="pk_voice_calls"),
    )
    op.create_index("ix_voice_calls_case_number", "voice_calls", ["case_number"])
    op.create_table(
        "voice_dial_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("case_number", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_voice_dial_attempts"),
        sa.UniqueConstraint("call_sid", "attempt", name="uq_voice_dial_attempts_call_sid_attempt"),
    )
    op.create_index("ix_voice_dial_attempts_call_sid", "voice_dial_attempts", ["call_sid"])
    op.create_index("ix_voice_dial_attempts_case_number", "voice_dial_attempts", ["case_number"])


def downgrade() -> None:
    op.drop_index("ix_voice_dial_attempts_case_number", table_name="voice_dial_attempts")
    op.drop_index("ix_voice_dial_attempts_call_sid", table_name="voice_dial_attempts")
    op.drop_table("voice_dial_attempts")
    op.drop_index("ix_voice_calls_case_number", table_name="voice_calls")
    op.drop_table("voice_calls")
    op.drop_table("voice_turns")
