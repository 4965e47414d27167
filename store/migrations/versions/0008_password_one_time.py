"""A one-time password is a column of its own (agents.password_one_time), no longer a "once" prefix on the hash.

Existing rows carry over: a hash stored as "once<argon2 hash>" becomes the bare hash with the flag set (an
argon2 hash starts with "$", so only the mark matches). Downgrading puts the prefix back.

Revision ID: 0008_password_one_time
Revises: 0007_directline_delivery
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_password_one_time"
down_revision = "0007_directline_delivery"
branch_labels = None
depends_on = None

_MARK = "once"

_agents = sa.table(
    "agents",
    sa.column("password_hash", sa.String()),
    sa.column("password_one_time", sa.Boolean()),
)
# substr is 1-based on both backends; "=" compares case-sensitively on both (SQLite's LIKE would not).
_MARKED = sa.func.substr(_agents.c.password_hash, 1, len(_MARK)) == _MARK


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("password_one_time", sa.Boolean(), nullable=False, server_default="0"))
    op.execute(
        _agents.update()
        .where(_MARKED)
        .values(password_hash=sa.func.substr(_agents.c.password_hash, len(_MARK) + 1), password_one_time=True)
    )


def downgrade() -> None:
    op.execute(
        _agents.update()
        .where(_agents.c.password_one_time == sa.true())
        .values(password_hash=sa.literal(_MARK) + _agents.c.password_hash)
    )
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("password_one_time")
