"""Shared database fixtures: every store test runs on SQLite and, when available, PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from store.db import SessionMaker, create_engine, normalise_url, session_factory
from store.jobs import Jobs
from store.migrate import upgrade_async

POSTGRES_URL_ENV = "TEST_POSTGRES_URL"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(
                not os.environ.get(POSTGRES_URL_ENV),
                reason=f"{POSTGRES_URL_ENV} is not set (scripts/start-postgres.sh starts a server and prints one)",
            ),
        ],
    ),
]

# Migrating takes most of a test's setup, so each session migrates one template per backend and every
# test gets a fresh copy of it. Values: the template SQLite file, the template PostgreSQL database name.
_templates: dict[str, str] = {}
_session_id = uuid.uuid4().hex[:8]


def _admin_engine() -> AsyncEngine:
    # CREATE/DROP DATABASE cannot run inside a transaction.
    return create_engine(os.environ[POSTGRES_URL_ENV], isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _postgres_url(database: str) -> str:
    url = normalise_url(os.environ[POSTGRES_URL_ENV]).set(database=database)
    return url.render_as_string(hide_password=False)


@asynccontextmanager
async def _postgres_database(template: str | None = None) -> AsyncIterator[str]:
    name = f"intake_test_{_session_id}_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    try:
        async with admin.connect() as connection:
            suffix = f' TEMPLATE "{template}"' if template else ""
            await connection.exec_driver_sql(f'CREATE DATABASE "{name}"{suffix}')
        yield _postgres_url(name)
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.dispose()


async def _template(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if backend not in _templates:
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("template") / "intake.db"
            await upgrade_async(f"sqlite+aiosqlite:///{path}")
            _templates[backend] = str(path)
        else:
            name = f"intake_template_{_session_id}"
            admin = _admin_engine()
            try:
                async with admin.connect() as connection:
                    await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            finally:
                await admin.dispose()
            await upgrade_async(_postgres_url(name))
            _templates[backend] = name
    return _templates[backend]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop this session's PostgreSQL template database."""
    name = _templates.pop("postgres", None)
    if name is None:
        return

    async def drop() -> None:
        admin = _admin_engine()
        try:
            async with admin.connect() as connection:
                await connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.dispose()

    # A thread of its own: no event loop of the test run is touched.
    thread = threading.Thread(target=asyncio.run, args=(drop(),))
    thread.start()
    thread.join()


@pytest.fixture(params=BACKENDS)
async def blank_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """URL of an empty database (no tables): a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'blank.db'}"
        return
    async with _postgres_database() as url:
        yield url


@pytest.fixture(params=BACKENDS)
async def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """URL of a fresh database of this test alone, already at the latest revision."""
    template = await _template(request.param, tmp_path_factory)
    if request.param == "sqlite":
        path = tmp_path / "intake.db"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    async with _postgres_database(template) as url:
        yield url


@pytest.fixture
async def session_maker(db_url: str) -> AsyncIterator[SessionMaker]:
    """A session factory on `db_url`, migrated to the latest revision."""
    # A no-op on the template copy; it keeps the contract for databases made some other way.
    await upgrade_async(db_url)
    engine = create_engine(db_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def jobs(db_url: str) -> AsyncIterator[Jobs]:
    """Store jobs on the test's database (SQLite: on their own thread, as in the app)."""
    engine = create_engine(db_url)
    jobs = Jobs(engine)
    try:
        yield jobs
    finally:
        await jobs.aclose()
        await engine.dispose()
