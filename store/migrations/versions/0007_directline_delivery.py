"""Direct Line activities: the key that makes a retried write the same write, and pending user activities.

Revision ID: 0007_directline_delivery
Revises: 0006_throttle
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_directline_delivery"
down_revision = "0006_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("directline_activities") as batch:
        batch.add_column(sa.Column("client_key", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("pending", sa.Boolean(), nullable=False, server_default="0"))
        batch.create_unique_constraint(
            "uq_directline_activities_conversation_id_client_key", ["conversation_id", "client_key"]
        )
    op.create_index(
        "ix_directline_activities_pending",
        "directline_activities",
        ["created_at"],
        postgresql_where=sa.text("pending"),
        sqlite_where=sa.text("pending"),
    )


def downgrade() -> None:
    op.drop_index("ix_directline_activities_pending", table_name="directline_activities")
    with op.batch_alter_table("directline_activities") as batch:
        batch.drop_constraint("uq_directline_activities_conversation_id_client_key", type_="unique")
        batch.drop_column("pending")
        batch.drop_column("client_key")
