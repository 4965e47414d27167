"""Customer accounts: K# lookup, caller-ID lookup and the all-or-nothing CSV import."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Executable, Table, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.domain import require_aware
from intake.phones import InvalidPhoneError, to_e164
from intake.policy import AccountFormat
from store.clock import utc_now
from store.db import SessionMaker, insert_for, upsert
from store.errors import CsvImportError, CsvProblem
from store.jobs import fetch, run
from store.models import Account, AccountPhone, AccountPublic, Commitment, NotifyBy

# The columns an import file may have, in this order: the first three are required (older files have just
# those), the rest optional; what a file leaves out is kept as it is on known accounts.
CSV_HEADER = ("k_number", "name", "phones", "emails", "timezone", "notify", "commitment")
_REQUIRED = 3

# POLICY.md's K# (a K and 4 to 10 digits); the CLI passes the deployment's policy.
POLICY_K_NUMBER = AccountFormat()


def canonical_k_number(raw: str) -> str:
    """Return the K# as stored and looked up: upper-case, without whitespace.

    No format check: what a K# may look like is the policy's (intake.policy.AccountFormat), which read
    the K# before it came here.
    """
    return re.sub(r"\s+", "", raw).upper()


def ensure_account_in(conn: Connection, *, k_number: str, at: datetime) -> int:
    """Return the id of the account with `k_number`, creating it (empty name) when unknown."""
    # ON CONFLICT DO NOTHING: two processes meeting a new K# at once must not fail each other.
    run(conn, _add_account(conn.dialect.name), {"k_number": k_number, "at": at})
    ((account_id,),) = fetch(conn, _ACCOUNT_ID, {"k_number": k_number})
    return int(account_id)


_ACCOUNTS: Table = Account.__table__  # type: ignore[attr-defined]
_ACCOUNT_ID = sa_select(_ACCOUNTS.c.id).where(_ACCOUNTS.c.k_number == bindparam("k_number"))


@cache
def _add_account(dialect: str) -> Executable:
    at = bindparam("at", type_=_ACCOUNTS.c.created_at.type)
    return (
        insert_for(dialect, Account)
        .values(
            k_number=bindparam("k_number"),
            name="",
            notes="",
            emails=[],
            timezone="",
            notify_by=NotifyBy.EMAIL.value,
            commitment=Commitment.SINGLE.value,
            created_at=at,
            updated_at=at,
        )
        .on_conflict_do_nothing(index_elements=["k_number"])
    )


async def get_account(session: AsyncSession, *, k_number: str) -> AccountPublic | None:
    """Return the account with `k_number`, or None."""
    query = select(Account).where(Account.k_number == canonical_k_number(k_number))
    account = (await session.exec(query)).first()
    return None if account is None else await _public(session, account)


async def get_account_by_id(session: AsyncSession, *, account_id: int) -> AccountPublic | None:
    """Return the account with row id `account_id`, or None."""
    account = await session.get(Account, account_id)
    return None if account is None else await _public(session, account)


async def set_unsubscribed(session: AsyncSession, *, account_id: int, at: datetime, unsubscribed: bool) -> bool:
    """Opt the account's contacts out of non-essential notices (or back in); False when no such account."""
    account = await session.get(Account, account_id)
    if account is None:
        return False
    if unsubscribed and account.unsubscribed_at is None:
        account.unsubscribed_at = require_aware(at, "at")
    elif not unsubscribed:
        account.unsubscribed_at = None
    account.updated_at = max(account.updated_at, at)
    session.add(account)
    await session.flush()
    return True


async def find_account_by_phone(session: AsyncSession, *, e164: str) -> AccountPublic | None:
    """Return the account calling from `e164`, or None when no account or several share the number."""
    try:
        number = to_e164(e164)
    except InvalidPhoneError:
        # Withheld or garbled caller IDs simply identify nobody.
        return None
    rows = (await session.exec(select(AccountPhone.account_id).where(AccountPhone.e164 == number).limit(2))).all()
    if len(rows) != 1:
        return None
    account = await session.get(Account, rows[0])
    return None if account is None else await _public(session, account)


async def _public(session: AsyncSession, account: Account) -> AccountPublic:
    phones = (
        await session.exec(
            select(AccountPhone.e164).where(AccountPhone.account_id == account.id).order_by(col(AccountPhone.e164))
        )
    ).all()
    return AccountPublic.model_validate(account, update={"phones": list(phones)})


@dataclass(frozen=True)
class _Row:
    line: int
    k_number: str
    name: str
    phones: tuple[str, ...]
    # Only the optional columns the file has (emails, timezone, notify_by, commitment), as stored.
    contacts: dict[str, object]


async def import_accounts_csv(
    session_maker: SessionMaker,
    source: str | Path,
    *,
    account_format: AccountFormat = POLICY_K_NUMBER,
    region: str = "US",
    now: datetime | None = None,
) -> int:
    """Import `k_number,name,phones[,emails[,timezone[,notify[,commitment]]]]` rows (a Path is read, a str is
    the CSV text); return the row count.

    Every bad row is reported in one CsvImportError and nothing is written; known K#s are updated (name,
    phones and the columns the file has replaced; notes and the columns it lacks kept).
    """
    rows = _parse(await asyncio.to_thread(_read, source), account_format=account_format, region=region)
    at = utc_now() if now is None else require_aware(now, "now")
    async with session_maker() as session, session.begin():
        for row in rows:
            account_id = (
                await session.exec(
                    upsert(session, Account)
                    .values(
                        k_number=row.k_number,
                        name=row.name,
                        notes="",
                        **{**_NEW_CONTACTS, **row.contacts},
                        created_at=at,
                        updated_at=at,
                    )
                    .on_conflict_do_update(
                        index_elements=["k_number"], set_={"name": row.name, **row.contacts, "updated_at": at}
                    )
                    .returning(col(Account.id))
                )
            ).scalar_one()
            await session.exec(delete(AccountPhone).where(col(AccountPhone.account_id) == account_id))
            session.add_all(AccountPhone(account_id=account_id, e164=phone) for phone in row.phones)
    return len(rows)


_NEW_CONTACTS: dict[str, object] = {
    "emails": [],
    "timezone": "",
    "notify_by": NotifyBy.EMAIL.value,
    "commitment": Commitment.SINGLE.value,
}


def _read(source: str | Path) -> str:
    if isinstance(source, Path):
        return source.read_text(encoding="utf-8-sig")
    return source.removeprefix("\ufeff")


def _parse(text: str, *, account_format: AccountFormat, region: str) -> list[_Row]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    columns = () if header is None else tuple(h.strip().lower() for h in header)
    if len(columns) < _REQUIRED or columns != CSV_HEADER[: len(columns)]:
        optional = CSV_HEADER[_REQUIRED:]
        expected = ",".join(CSV_HEADER[:_REQUIRED]) + "".join(f"[,{c}" for c in optional) + "]" * len(optional)
        raise CsvImportError([CsvProblem(1, f"header must be {expected!r}, got {header!r}")])
    rows: list[_Row] = []
    problems: list[CsvProblem] = []
    first_line: dict[str, int] = {}
    previous_end = reader.line_num
    for fields in reader:
        # line_num is where the record ended; a quoted field may span lines, so report where it began.
        line, previous_end = previous_end + 1, reader.line_num
        if not any(f.strip() for f in fields):
            continue
        row, reasons = _parse_row(line, fields, columns=len(columns), account_format=account_format, region=region)
        if row is not None and row.k_number in first_line:
            reasons.append(f"duplicate K# {row.k_number} (first on line {first_line[row.k_number]})")
        elif row is not None:
            first_line[row.k_number] = line
        if reasons:
            # One problem per row, its reasons together: the error counts bad rows, not reasons.
            problems.append(CsvProblem(line, "; ".join(reasons)))
        elif row is not None:
            rows.append(row)
    if problems:
        raise CsvImportError(problems)
    return rows


def _parse_row(
    line: int, fields: list[str], *, columns: int, account_format: AccountFormat, region: str
) -> tuple[_Row | None, list[str]]:
    if len(fields) != columns:
        return None, [f"expected {columns} fields, got {len(fields)}"]
    raw_k, raw_name, raw_phones, *optional = (f.strip() for f in fields)
    reasons: list[str] = []
    contacts = _contacts(dict(zip(CSV_HEADER[_REQUIRED:], optional, strict=False)), reasons)
    k_number = account_format.normalise(raw_k)
    if k_number is None:
        reasons.append(f"bad K# {raw_k!r} (expected {account_format.pattern.pattern})")
    if not raw_name:
        reasons.append("missing name")
    phones: list[str] = []
    for raw in (p.strip() for p in raw_phones.split(";")):
        if not raw:
            continue
        try:
            phone = to_e164(raw, region)
        except InvalidPhoneError:
            reasons.append(f"bad phone number {raw!r}")
            continue
        if phone not in phones:
            phones.append(phone)
    row = None if k_number is None else _Row(line, k_number, raw_name, tuple(phones), contacts)
    return row, reasons


def _contacts(raw: dict[str, str], reasons: list[str]) -> dict[str, object]:
    """The optional columns a row has, checked and as stored; a bad value adds a reason."""
    contacts: dict[str, object] = {}
    if "emails" in raw:
        emails: list[str] = []
        for address in (a.strip() for a in raw["emails"].split(";")):
            if not address:
                continue
            try:
                normal = validate_email(address, check_deliverability=False).normalized
            except EmailNotValidError:
                reasons.append(f"bad email address {address!r}")
                continue
            if normal not in emails:
                emails.append(normal)
        contacts["emails"] = emails
    if "timezone" in raw:
        zone = raw["timezone"]
        if zone and not _known_zone(zone):
            reasons.append(f"unknown time zone {zone!r} (an IANA name such as America/Chicago)")
        contacts["timezone"] = zone
    if "notify" in raw:
        notify = raw["notify"].lower() or NotifyBy.EMAIL.value
        if notify not in {n.value for n in NotifyBy}:
            reasons.append(f"notify must be email or sms, got {raw['notify']!r}")
        contacts["notify_by"] = notify
    if "commitment" in raw:
        commitment = raw["commitment"].lower() or Commitment.SINGLE.value
        if commitment not in {c.value for c in Commitment}:
            reasons.append(f"commitment must be single or clustered, got {raw['commitment']!r}")
        contacts["commitment"] = commitment
    return contacts


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
