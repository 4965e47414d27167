"""Schema migrations (Alembic) driven from Python, so they run from an installed package without alembic.ini.

After changing store/models.py, add a revision (autogenerate diffs the models against a scratch SQLite
database upgraded to head; review the generated file in store/migrations/versions/ before committing):

    .venv/bin/python -m store.migrate revision -m "add gateway tables"

Apply them with `upgrade(url)` / `await upgrade_async(url)`, or `python -m store.migrate upgrade URL`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

from store.db import create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Any constant will do; every upgrading process must use the same one.
_PG_MIGRATION_LOCK = 7_305_420_001


def alembic_config(url: str | None = None) -> Config:
    """Return the Alembic configuration of the store (optionally pointing at `url`)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Revision ids are "NNNN_slug" (down_revision names them), so the file name is the id.
    config.set_main_option("file_template", "%%(rev)s")
    if url is not None:
        # The ini-style config interpolates "%": URL-encoded passwords must be escaped.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade_async(url: str, revision: str = "head") -> None:
    """Upgrade the database at `url` to `revision`, in one transaction."""
    await _migrate_async(url, partial(command.upgrade, revision=revision))


async def downgrade_async(url: str, revision: str) -> None:
    """Downgrade the database at `url` to `revision`, in one transaction (tests of a migration's data)."""
    await _migrate_async(url, partial(command.downgrade, revision=revision))


async def _migrate_async(url: str, run: Callable[[Config], None]) -> None:
    engine = create_engine(url, poolclass=NullPool)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _foreign_keys_off)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Processes starting together would race to create the same tables; SQLite's
                # BEGIN IMMEDIATE already serialises them.
                await connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            await connection.run_sync(_migrate, run)
    finally:
        await engine.dispose()


def _foreign_keys_off(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # SQLite alters a table by copying it and dropping the original. With foreign keys enforced, dropping a
    # table other rows point at (cases -> accounts) fails, or cascades (account_phones): a migration runs
    # without them (the pragma only takes effect outside a transaction, hence on connecting) and checks the
    # whole database before it commits (_migrate).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = OFF")
    cursor.close()


def _migrate(connection: Connection, run: Callable[[Config], None]) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    run(config)
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left {len(broken)} row(s) pointing at nothing; nothing was changed")


def upgrade(url: str) -> None:
    """Upgrade the database at `url` to the latest revision (for the CLI; no event loop may be running)."""
    asyncio.run(upgrade_async(url))


def head_revision() -> str | None:
    """Return the id of the latest revision."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def new_revision(message: str) -> None:
    """Autogenerate the next numbered revision from the difference between the models and head."""
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [rev.revision for rev in script.walk_revisions()]
    numbers = [int(rev.split("_")[0]) for rev in revisions if rev[:4].isdigit()]
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40]
    rev_id = f"{max(numbers, default=0) + 1:04d}_{slug}"
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'scratch.db'}"
        upgrade(url)
        command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=rev_id)


def main(argv: list[str] | None = None) -> int:
    """Command line: `upgrade URL` or `revision -m MESSAGE`."""
    parser = argparse.ArgumentParser(prog="python -m store.migrate", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="upgrade a database to head").add_argument("url")
    commands.add_parser("revision", help="autogenerate the next revision").add_argument(
        "-m", "--message", required=True
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "upgrade":
        upgrade(args.url)
    else:
        new_revision(args.message)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
