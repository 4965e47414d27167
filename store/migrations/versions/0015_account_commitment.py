"""Accounts gain their availability commitment (single: 99.0%, clustered: 99.9%); existing accounts are single.

Revision ID: 0015_account_commitment
Revises: 0013_surveys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_account_commitment"
down_revision = "0013_surveys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("commitment", sa.String(length=16), nullable=False, server_default="single"))
    # The default filled the existing rows; new rows get theirs from the application, like every column.
    with op.batch_alter_table("accounts") as batch:
        batch.alter_column("commitment", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("commitment")
