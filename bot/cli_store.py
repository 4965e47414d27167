"""CLI commands that read or write the store: `intake cases`, `intake accounts import`."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import TextIO

from bot.settings import Settings
from intake.domain import CaseStatus, IntakeError, Severity
from store.accounts import import_accounts_csv
from store.cases import list_cases
from store.db import create_engine, session_factory
from store.errors import CsvImportError
from store.migrate import upgrade_async

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


class CommandError(IntakeError):
    """A store command that cannot run as asked."""


async def list_cases_command(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    try:
        status = CaseStatus(args.status) if args.status else None
    except ValueError as exc:
        choices = ", ".join(s.value for s in CaseStatus)
        raise CommandError(f"--status {args.status!r} is not a status ({choices})") from exc
    account = None
    if args.account:
        account = settings.policy().account.normalise(args.account)
        if account is None:
            raise CommandError(f"--account {args.account!r} is not a K# like {settings.policy().account.example}")
    url = settings.effective_database_url()
    await upgrade_async(url)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            cases = await list_cases(
                session,
                status=status,
                severity=Severity(args.severity) if args.severity else None,
                k_number=account,
                limit=args.limit,
            )
    finally:
        await engine.dispose()
    for case in cases:
        data = case.to_json_dict()
        record = {"account": data["k_number"], **{k: data[k] for k in CASE_FIELDS if k != "k_number"}}
        if args.json:
            print(json.dumps(record), file=out)
        else:
            fix = record["fix_due"] or "-"
            print(
                f"{record['number']}  sev{record['severity']}  {record['status']:<11} {record['account']:<12} "
                f"{record['channel']:<5} {record['outcome']:<14} response by {record['response_due']}  fix by {fix}",
                file=out,
            )
    if not cases and not args.json:
        print("no cases", file=out)
    return 0


async def import_accounts_command(settings: Settings, path: Path, out: TextIO) -> int:
    if not await asyncio.to_thread(path.is_file):
        raise CommandError(f"{path}: no such file")
    url = settings.effective_database_url()
    await upgrade_async(url)
    engine = create_engine(url)
    try:
        count = await import_accounts_csv(session_factory(engine), path, k_pattern=settings.policy().account.pattern)
    except CsvImportError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        await engine.dispose()
    print(f"imported {count} account(s) from {path}", file=out)
    return 0
