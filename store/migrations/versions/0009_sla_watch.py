"""The SLA watch: when to look at a case next (cases.sla_next_at, indexed) and the alerts fired (sla_alerts).

Existing cases that are not closed get a look at once (their next look is their last update), so their
clocks are worked out by the first watch round after the upgrade.

Revision ID: 0009_sla_watch
Revises: 0008_password_one_time
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = "0009_sla_watch"
down_revision = "0008_password_one_time"
branch_labels = None
depends_on = None

_cases = sa.table(
    "cases",
    sa.column("status", sa.String()),
    sa.column("updated_at", UTCDateTime()),
    sa.column("sla_next_at", UTCDateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("sla_next_at", UTCDateTime(), nullable=True))
    op.create_index("ix_cases_sla_next_at", "cases", ["sla_next_at"])
    op.execute(_cases.update().where(_cases.c.status != "closed").values(sla_next_at=_cases.c.updated_at))
    op.create_table(
        "sla_alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("clock", sa.String(length=16), nullable=False),
        sa.Column("threshold", sa.String(length=16), nullable=False),
        sa.Column("run_start", UTCDateTime(), nullable=False),
        sa.Column("fired_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("case_id", "clock", "threshold", "run_start", name="uq_sla_alerts_once"),
    )


def downgrade() -> None:
    op.drop_table("sla_alerts")
    op.drop_index("ix_cases_sla_next_at", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("sla_next_at")
