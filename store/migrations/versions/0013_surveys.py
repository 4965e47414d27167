"""The eXceed survey: one survey per closed case (surveys), the support manager's follow-up tasks
(survey_follow_ups) and the customers who said STOP (survey_opt_outs).

Revision ID: 0013_surveys
Revises: 0012_incidents
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = "0013_surveys"
down_revision = "0012_incidents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=16), nullable=False),
        sa.Column("k_number", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=True),
        sa.Column("nps", sa.Integer(), nullable=True),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("recording_url", sa.String(length=500), nullable=True),
        sa.Column("recording_sid", sa.String(length=64), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("link_expires_at", UTCDateTime(), nullable=True),
        sa.Column("skip_reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_surveys_case_id", ondelete="CASCADE"),
        sa.UniqueConstraint("case_id", name="uq_surveys_case_id"),
        sa.UniqueConstraint("token_hash", name="uq_surveys_token_hash"),
    )
    op.create_index("ix_surveys_k_number", "surveys", ["k_number"])
    op.create_index("ix_surveys_agent", "surveys", ["agent"])
    op.create_index("ix_surveys_call_sid", "surveys", ["call_sid"])
    op.create_index("ix_surveys_due_at", "surveys", ["due_at"])
    op.create_table(
        "survey_follow_ups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=16), nullable=False),
        sa.Column("k_number", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("done_by", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name="fk_survey_follow_ups_survey_id", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("survey_id", name="uq_survey_follow_ups_survey_id"),
    )
    op.create_index("ix_survey_follow_ups_status", "survey_follow_ups", ["status"])
    op.create_table(
        "survey_opt_outs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("key", name="uq_survey_opt_outs_key"),
    )


def downgrade() -> None:
    op.drop_table("survey_opt_outs")
    op.drop_table("survey_follow_ups")
    op.drop_table("surveys")
