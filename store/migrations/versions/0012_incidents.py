"""Incidents: an outage many customers report (at most one open per component), the cases linked to it, the
updates posted on it, and the components each case names (what the reports rule counts).

Revision ID: 0012_incidents
Revises: 0011_case_assignee
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = "0012_incidents"
down_revision = "0011_case_assignee"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("component", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("paged_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
    )
    op.create_index("ix_incidents_component", "incidents", ["component"])
    op.create_index("ix_incidents_status", "incidents", ["status"])
    op.create_index(
        "uq_incidents_open_component",
        "incidents",
        ["component"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "incident_cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("linked_at", UTCDateTime(), nullable=False),
        sa.Column("linked_by", sa.String(length=100), nullable=False),
        sa.Column("detached_at", UTCDateTime(), nullable=True),
        sa.Column("detached_by", sa.String(length=100), nullable=True),
        sa.UniqueConstraint("case_id", name="uq_incident_cases_case_id"),
    )
    op.create_index("ix_incident_cases_incident_id", "incident_cases", ["incident_id"])
    op.create_table(
        "incident_updates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reached", sa.Integer(), nullable=False),
    )
    op.create_index("ix_incident_updates_incident_id", "incident_updates", ["incident_id"])
    op.create_table(
        "case_components",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("component", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "component", name="pk_case_components"),
    )
    op.create_index("ix_case_components_component_at", "case_components", ["component", "created_at"])


def downgrade() -> None:
    op.drop_table("case_components")
    op.drop_table("incident_updates")
    op.drop_table("incident_cases")
    op.drop_table("incidents")
