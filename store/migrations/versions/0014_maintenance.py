"""Planned maintenance: windows (maintenance_windows), the accounts each names (maintenance_accounts; none
means every account) and what was done to them, with any override (maintenance_audit).

Revision ID: 0014_maintenance
Revises: 0015_account_commitment (landed first, on 0013; chained after it to keep one head)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = "0014_maintenance"
down_revision = "0015_account_commitment"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.Column("all_accounts", sa.Boolean(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("downtime", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
    )
    op.create_index("ix_maintenance_windows_start_at", "maintenance_windows", ["start_at"])
    op.create_index("ix_maintenance_windows_end_at", "maintenance_windows", ["end_at"])
    op.create_index("ix_maintenance_windows_status", "maintenance_windows", ["status"])
    op.create_table(
        "maintenance_accounts",
        sa.Column(
            "window_id", sa.Integer(), sa.ForeignKey("maintenance_windows.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.PrimaryKeyConstraint("window_id", "account_id", name="pk_maintenance_accounts"),
    )
    op.create_index("ix_maintenance_accounts_account_id", "maintenance_accounts", ["account_id"])
    op.create_table(
        "maintenance_audit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "window_id", sa.Integer(), sa.ForeignKey("maintenance_windows.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_maintenance_audit_window_id", "maintenance_audit", ["window_id"])


def downgrade() -> None:
    op.drop_table("maintenance_audit")
    op.drop_table("maintenance_accounts")
    op.drop_table("maintenance_windows")
