"""The case workspace: who works a case (cases.assignee, indexed: an agent's "mine" list reads it).

Revision ID: 0011_case_assignee
Revises: 0010_account_contacts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_case_assignee"
down_revision = "0010_account_contacts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("assignee", sa.String(length=100), nullable=True))
    op.create_index("ix_cases_assignee", "cases", ["assignee"])


def downgrade() -> None:
    op.drop_index("ix_cases_assignee", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("assignee")
