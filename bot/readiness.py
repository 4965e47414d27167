"""Whether the process can do its work: the database answers and, on SQLite, its file can still be written."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# Below this much free space beside a SQLite file a turn's writes (state, transcript, a case) may fail
# half-way through a conversation; a 256 KiB message and its write-ahead log fit many times over.
MIN_FREE_BYTES = 4 * 1024 * 1024


class NotReadyError(Exception):
    """The database cannot take the service's work; the message says why (no path or URL in it)."""


async def check_ready(engine: AsyncEngine) -> None:
    """Raise NotReadyError unless the database answers and, on a SQLite file, it and its directory are
    writable with room to write (a SELECT alone succeeds on a full disk or a read-only file)."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        return
    path = Path(database)
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        raise NotReadyError("the database file is read-only")
    space = os.statvfs(path.parent)
    if space.f_bavail * space.f_frsize < MIN_FREE_BYTES:
        raise NotReadyError("the database's disk is full")
