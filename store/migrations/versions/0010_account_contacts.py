"""Account contacts: email addresses, the time zone they read times in, email or SMS, and an opt-out of
non-essential notices. Existing accounts get no addresses, the desk's time zone and email.

Revision ID: 0010_account_contacts
Revises: 0009_sla_watch
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = "0010_account_contacts"
down_revision = "0009_sla_watch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("emails", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("notify_by", sa.String(length=8), nullable=False, server_default="email"))
        batch.add_column(sa.Column("unsubscribed_at", UTCDateTime(), nullable=True))
    # The defaults filled the existing rows; new rows get theirs from the application, like every column.
    with op.batch_alter_table("accounts") as batch:
        batch.alter_column("emails", server_default=None)
        batch.alter_column("timezone", server_default=None)
        batch.alter_column("notify_by", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("unsubscribed_at")
        batch.drop_column("notify_by")
        batch.drop_column("timezone")
        batch.drop_column("emails")
