"""An incident update's retry key: the same update sent again (a client's retry) is recorded and sent once.

Revision ID: 0016_incident_update_key
Revises: 0014_maintenance
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_incident_update_key"
down_revision = "0014_maintenance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incident_updates") as batch:
        batch.add_column(sa.Column("key", sa.String(length=100), nullable=True))
        batch.create_unique_constraint("uq_incident_updates_incident_id_key", ["incident_id", "key"])


def downgrade() -> None:
    with op.batch_alter_table("incident_updates") as batch:
        batch.drop_constraint("uq_incident_updates_incident_id_key", type_="unique")
        batch.drop_column("key")
