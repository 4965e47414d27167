"""Builders shared by the store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from intake.domain import CaseStatus, Channel, Outcome, Severity
from intake.maintenance import Rules
from intake.wording_maintenance import MaintenanceNote
from store.botstate import get_item_with
from store.cases import CaseCreate, create_case
from store.db import SessionMaker, create_engine
from store.jobs import Jobs
from store.maintenance_notes import notes_of, telling_json, telling_params
from store.models import CasePublic

T0 = datetime(2026, 11, 3, 14, 5, 30, 123456, tzinfo=UTC)


async def new_case(db: SessionMaker | Jobs, key: str = "key-1", /, **overrides: Any) -> CasePublic:
    """Create a Sev2 web request for K123456 at T0 unless told otherwise."""
    created_at = overrides.pop("created_at", T0)
    values: dict[str, Any] = {
        "idempotency_key": key,
        "k_number": "K123456",
        "severity": Severity.SEV2,
        "channel": Channel.CHAT,
        "outcome": Outcome.WEB_REQUEST,
        "status": CaseStatus.NEW,
        "summary": "Dictation down at one site",
        "description": "Since 9am nobody at the north clinic can dictate.",
        "created_at": created_at,
        "response_due": created_at + timedelta(hours=1),
        "fix_due": created_at + timedelta(hours=24),
    }
    values.update(overrides)
    return await create_case(db, case=CaseCreate(**values))


async def end_other_connections(url: str) -> None:
    """Every other connection to the database ends, as in a server restart."""
    admin = create_engine(url)
    try:
        async with admin.connect() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        await admin.dispose()


def maintenance_told(conn: Connection, *, at: datetime, rules: Rules) -> tuple[MaintenanceNote, ...]:
    """The planned maintenance a turn's read of its row tells of at `at` (a store job)."""
    *_, found = get_item_with(conn, "no-such-row", telling_json(conn.dialect.name), telling_params(at, rules))
    return notes_of(found)
