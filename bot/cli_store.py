"""CLI commands that read or write the store (`intake cases`, `intake accounts import`) and the database guard.

The commands other than `serve` and `db upgrade` open the database through `open_store`: it never creates
one (no new empty `intake.db` in whatever folder the command ran in) and it refuses a database that is not
at this version's revision. Whatever the driver reports (missing, unreachable, corrupt) becomes one line
naming the database without its password.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TextIO

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError as AlembicError
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli_times import localise, text_instant
from bot.settings import Settings
from intake.domain import CaseStatus, IntakeError, Severity
from store.accounts import import_accounts_csv
from store.cases import list_cases
from store.db import SQLITE_BEGIN_OPTION, SessionMaker, create_engine, session_factory
from store.errors import CsvImportError, DatabaseUrlError
from store.migrate import alembic_config

CASE_FIELDS = (
    "number",
    "k_number",
    "severity",
    "channel",
    "outcome",
    "status",
    "created_at",
    "response_due",
    "fix_due",
)
CASE_INSTANTS = ("created_at", "response_due", "fix_due")


class CommandError(IntakeError):
    """A store command that cannot run as asked."""


class StoreUnavailableError(Exception):
    """The database cannot be used (missing, unreachable, corrupt, not upgraded); printed as one line."""


def database_label(url: str) -> str:
    """The database as a person names it: a SQLite file's path, else the URL with its password hidden."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return "DATABASE_URL"  # unreadable: echoing it could echo a password
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)


@contextmanager
def database_errors(url: str, *, connecting: bool = True) -> Iterator[None]:
    """Turn a failure of the database at `url` into a one-line StoreUnavailableError.

    `connecting`: also take OS errors (refused, unknown host, timeout) as the database's; leave it off
    around code that writes to the terminal, whose broken pipe is not the database's fault.
    """
    kinds: tuple[type[Exception], ...] = (SQLAlchemyError, DatabaseUrlError, AlembicError)
    if connecting:
        kinds += (OSError,)
    try:
        yield
    except kinds as exc:
        if isinstance(exc, ArgumentError):
            # Not SQLAlchemy's message: it quotes the URL, password and all.
            raise StoreUnavailableError("DATABASE_URL is not a database URL (e.g. postgresql://host/db)") from exc
        raise StoreUnavailableError(f"database {database_label(url)}: {_cause(exc)}") from exc


def _cause(exc: BaseException) -> str:
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        text = str(exc.orig)
    elif isinstance(exc, OSError):
        known = exc.errno is not None and exc.errno in errno.errorcode
        text = os.strerror(exc.errno) if known and exc.errno is not None else (exc.strerror or str(exc))
    else:
        text = str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[SessionMaker]:
    """Sessions on the configured database, which must exist at this version's revision (never created)."""
    url = settings.effective_database_url()
    with database_errors(url):
        await _require_file(url, configured=bool(settings.database_url))
        engine = create_engine(url)
    try:
        with database_errors(url):
            await _require_current(engine, url)
        with database_errors(url, connecting=False):
            yield session_factory(engine)
    finally:
        await engine.dispose()


async def _require_file(url: str, *, configured: bool) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    if await asyncio.to_thread(Path(str(parsed.database)).exists):
        return
    where = "correct DATABASE_URL" if configured else "set DATABASE_URL to the service's database"
    raise StoreUnavailableError(
        f"no database at {database_label(url)}: run `intake db upgrade` to create it, or {where}"
    )


async def _require_current(engine: AsyncEngine, url: str) -> None:
    async with engine.connect() as connection:
        # A lookup: on SQLite it must not queue for the write lock.
        await connection.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
        current = await connection.run_sync(_current_revisions)
    script = ScriptDirectory.from_config(alembic_config())
    heads = set(script.get_heads())
    if set(current) == heads:
        return
    label, need = database_label(url), ", ".join(sorted(heads))
    if not current:
        raise StoreUnavailableError(f"database {label} has no intake tables: run `intake db upgrade`")
    known = {revision.revision for revision in script.walk_revisions()}
    at = ", ".join(sorted(current))
    if set(current) <= known:
        raise StoreUnavailableError(
            f"database {label} is at revision {at}, this version needs {need}: run `intake db upgrade`"
        )
    raise StoreUnavailableError(
        f"database {label} is at revision {at}, newer than this version of intake knows ({need}): upgrade intake"
    )


def _current_revisions(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


async def list_cases_command(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """`intake cases`: one line (or JSON object) per case, instants in the desk's zone (bot/cli_times.py)."""
    policy = settings.policy()
    try:
        status = CaseStatus(args.status) if args.status else None
    except ValueError as exc:
        choices = ", ".join(s.value for s in CaseStatus)
        raise CommandError(f"--status {args.status!r} is not a status ({choices})") from exc
    account = None
    if args.account:
        account = policy.account.normalise(args.account)
        if account is None:
            raise CommandError(f"--account {args.account!r} is not a K# like {policy.account.example}")
    async with open_store(settings) as sessions, sessions() as session:
        cases = await list_cases(
            session,
            status=status,
            severity=Severity(args.severity) if args.severity else None,
            k_number=account,
            limit=args.limit,
        )
    zone = policy.chat.tz
    for case in cases:
        data = case.to_json_dict()
        record = {"account": data["k_number"], **{k: data[k] for k in CASE_FIELDS if k != "k_number"}}
        if args.json:
            print(json.dumps(localise(record, zone, CASE_INSTANTS)), file=out)
        else:
            response, fix = text_instant(case.response_due, zone), text_instant(case.fix_due, zone)
            print(
                f"{record['number']}  sev{record['severity']}  {record['status']:<11} {record['account']:<12} "
                f"{record['channel']:<5} {record['outcome']:<14} response by {response}  fix by {fix}",
                file=out,
            )
    if not cases and not args.json:
        print("no cases", file=out)
    return 0


async def import_accounts_command(settings: Settings, path: Path, out: TextIO) -> int:
    """`intake accounts import FILE`: all rows or none."""
    try:
        # Read here: a file that cannot be read is the file's fault, not the database's.
        text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise CommandError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise CommandError(f"cannot read {path}: {reason}") from exc
    async with open_store(settings) as sessions:
        try:
            count = await import_accounts_csv(sessions, text, account_format=settings.policy().account)
        except CsvImportError as exc:
            raise CommandError(str(exc)) from exc
    print(f"imported {count} account(s) from {path}", file=out)
    return 0
