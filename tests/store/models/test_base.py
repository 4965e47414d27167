"""UTCDateTime's one-step SQLite bind stores exactly what SQLAlchemy's own two steps would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import TypeDecorator
from sqlalchemy.dialects import postgresql, sqlite

from intake.domain import NaiveDatetimeError
from store.models.base import UTCDateTime, sqlite_instant

INSTANTS = [
    datetime(2026, 12, 6, 1, 9, 36, 123456, tzinfo=UTC),
    datetime(2026, 12, 6, 1, 9, 36, tzinfo=UTC),  # no microseconds: still six digits
    datetime(2026, 3, 8, 2, 30, tzinfo=ZoneInfo("America/New_York")),  # a wall time that does not exist
    datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),  # the second 1:30
    datetime(2027, 1, 1, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=14))),  # another day in UTC
    datetime(999, 1, 1, 12, tzinfo=UTC),
    datetime.max.replace(tzinfo=UTC),
]


@pytest.mark.parametrize("instant", INSTANTS, ids=str)
def test_the_sqlite_bind_is_sqlalchemys_own_in_one_step(instant: datetime) -> None:
    dialect = sqlite.dialect()
    column_type = UTCDateTime().dialect_impl(dialect)  # as statements compile it
    ours = column_type.bind_processor(dialect)
    theirs = TypeDecorator.bind_processor(column_type, dialect)  # process_bind_param, then SQLite DATETIME's
    assert ours is sqlite_instant
    assert theirs is not None
    assert ours(instant) == theirs(instant)
    assert ours(None) is theirs(None) is None


def test_a_naive_instant_is_refused_on_sqlite() -> None:
    with pytest.raises(NaiveDatetimeError):
        sqlite_instant(datetime(2026, 12, 6, 1, 9))


def test_other_databases_keep_sqlalchemys_processors() -> None:
    dialect = postgresql.dialect()
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert process is not sqlite_instant
    assert process is not None
    assert process(datetime(2026, 12, 6, 1, tzinfo=ZoneInfo("Europe/Paris"))) == datetime(2026, 12, 6, tzinfo=UTC)
