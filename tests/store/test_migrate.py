"""Migrations: upgrade from empty, repeatable, and in step with the models."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers every table on the metadata)
from store.accounts import get_account, import_accounts_csv
from store.cases import get_case
from store.db import SessionMaker, create_engine
from store.migrate import downgrade_async, head_revision, upgrade_async
from store.models import UTCDateTime
from tests.store.helpers import T0, new_case


async def test_upgrade_from_empty_is_repeatable(blank_db_url: str) -> None:
    await upgrade_async(blank_db_url)
    await upgrade_async(blank_db_url)
    engine = create_engine(blank_db_url)
    try:
        async with engine.connect() as connection:
            version = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    finally:
        await engine.dispose()
    assert version == head_revision()


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


async def test_models_match_the_migrations(db_url: str) -> None:
    # A table or column changed without a revision shows up here: run `python -m store.migrate revision`.
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(_diff)
    finally:
        await engine.dispose()
    assert diff == []


_AGENTS = sa.table(
    "agents",
    sa.column("name", sa.String()),
    sa.column("email", sa.String()),
    sa.column("role", sa.String()),
    sa.column("password_hash", sa.String()),
    sa.column("disabled", sa.Boolean()),
    sa.column("presence", sa.String()),
    sa.column("created_at", UTCDateTime()),
)
_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


async def _agents(url: str) -> dict[str, tuple[str, bool]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT name, password_hash, password_one_time FROM agents"))
            return {name: (password_hash, bool(one_time)) for name, password_hash, one_time in rows}
    finally:
        await engine.dispose()


async def test_0008_moves_the_one_time_mark_into_its_own_column_and_back(blank_db_url: str) -> None:
    await upgrade_async(blank_db_url, "0007_directline_delivery")
    engine = create_engine(blank_db_url)
    at = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                _AGENTS.insert(),
                [
                    {"name": name, "email": "", "role": "agent", "password_hash": stored, "disabled": False,
                     "presence": "offline", "created_at": at}
                    for name, stored in (("ada", f"once{_HASH}"), ("bob", _HASH), ("cy", ""), ("dee", f"ONCE{_HASH}"))
                ],
            )  # fmt: skip
    finally:
        await engine.dispose()

    await upgrade_async(blank_db_url)
    assert await _agents(blank_db_url) == {
        "ada": (_HASH, True),
        "bob": (_HASH, False),
        "cy": ("", False),
        "dee": (f"ONCE{_HASH}", False),  # not the mark (it is lower case): left as it was
    }

    await downgrade_async(blank_db_url, "0007_directline_delivery")
    engine = create_engine(blank_db_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT name, password_hash FROM agents"))
            restored = {name: stored for name, stored in rows}
    finally:
        await engine.dispose()
    assert restored == {"ada": f"once{_HASH}", "bob": _HASH, "cy": "", "dee": f"ONCE{_HASH}"}


async def test_an_existing_sqlite_database_with_cases_upgrades_and_downgrades(
    session_maker: SessionMaker, db_url: str
) -> None:
    # SQLite alters a table by copying it: with rows pointing at it (a case at its account, an account's phone
    # numbers) the copy must neither fail on nor cascade through foreign keys, and nothing may be left dangling.
    await import_accounts_csv(session_maker, "k_number,name,phones\nK123456,North,617 253 1000\n", now=T0)
    case = await new_case(session_maker)
    await downgrade_async(db_url, "0009_sla_watch")  # back across the accounts' own migrations
    await upgrade_async(db_url)
    async with session_maker() as session:
        account = await get_account(session, k_number="K123456")
        assert await get_case(session, number=case.number) is not None
    assert account is not None and account.phones == ["+16172531000"]  # not cascaded away
