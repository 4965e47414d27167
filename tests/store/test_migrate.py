"""Migrations: upgrade from empty, repeatable, and in step with the models."""

from __future__ import annotations

import importlib
import pkgutil

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import store
from store.db import create_engine
from store.migrate import head_revision, upgrade_async


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
    for module in pkgutil.iter_modules(store.__path__):
        importlib.import_module(f"store.{module.name}")
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(_diff)
    finally:
        await engine.dispose()
    assert diff == []
