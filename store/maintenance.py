"""Planned maintenance windows: schedule, change and cancel them under the notice and budget rules
(intake/maintenance.py), with every affected account's notices queued in the same transaction.

Each notice is an outbox item due when it should go out (now, the reminder in the account's zone, the start,
the end); its dedupe key names the window's version, and a change or a cancellation skips the pending items
of the older version, so a reminder never goes out with stale times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.maintenance import (
    Budget,
    Rules,
    Stage,
    Window,
    budget,
    check_budget,
    check_notice,
    notice_plan,
)
from intake.notices import NoticeKind
from store.accounts import canonical_k_number
from store.errors import StoreError
from store.models import (
    Account,
    MaintenanceAccount,
    MaintenanceAudit,
    MaintenanceWindow,
    Outbox,
    OutboxStatus,
    WindowStatus,
)
from store.models import MaintenanceWindowPublic as WindowPublic
from store.notices import NOTICE_KIND, notice_item
from store.outbox import NewOutboxItem, enqueue

__all__ = [
    "MaintenanceNotFoundError",
    "MaintenanceStoreError",
    "Scheduled",
    "UnknownAccountError",
    "budgets",
    "cancel_window",
    "change_window",
    "get_window",
    "list_windows",
    "schedule_window",
    "window_of",
]


class MaintenanceStoreError(StoreError, ValueError):
    """A window cannot be changed as asked: unknown accounts, already cancelled or over."""


class MaintenanceNotFoundError(MaintenanceStoreError, LookupError):
    """No window has the given id."""


class UnknownAccountError(MaintenanceStoreError):
    """A window names an account that does not exist."""


@dataclass(frozen=True)
class Scheduled:
    """A window as stored, the budgets an override took past the cap, and how many notices were queued."""

    window: WindowPublic
    over: tuple[Budget, ...]
    queued: int


def window_of(public: WindowPublic) -> Window:
    """The pure window of a stored one."""
    return Window(
        start=public.start_at,
        end=public.end_at,
        accounts=None if public.all_accounts else frozenset(public.accounts),
        components=tuple(public.components),
        downtime=public.downtime,
        summary=public.summary,
    )


async def schedule_window(
    session: AsyncSession, *, window: Window, override: str, actor: str, at: datetime, rules: Rules, desk_tz: ZoneInfo
) -> Scheduled:
    """Store a new window and queue its notices; NoticeTooShort, OverBudget (without `override`), or
    MaintenanceStoreError for an account that does not exist."""
    check_notice(window, now=at, rules=rules, override=override)
    zones = await _zones(session, window.accounts, desk_tz)
    over = check_budget(window, await _live(session, at, exclude=None), accounts=zones, rules=rules, override=override)
    row = MaintenanceWindow(
        status=WindowStatus.SCHEDULED.value, version=1, created_at=at, created_by=actor, updated_at=at,
        updated_by=actor, override_reason=override.strip() if _overridden(window, at, rules, over) else "",
        **_columns(window),
    )  # fmt: skip
    session.add(row)
    await session.flush()
    assert row.id is not None
    await _name_accounts(session, row.id, window.accounts)
    public = await _require(session, row.id)
    _audit(session, public, action="scheduled", actor=actor, at=at, over=over)
    queued = await _queue_plan(session, public, zones, first=True, at=at, rules=rules)
    return Scheduled(public, over, queued)


async def change_window(
    session: AsyncSession,
    *,
    window_id: int,
    window: Window,
    override: str,
    actor: str,
    at: datetime,
    rules: Rules,
    desk_tz: ZoneInfo,
) -> Scheduled:
    """Change a window: a new version, its notices queued anew, the older version's pending ones skipped.

    A change that asks more of customers (earlier start, later end, downtime added, accounts added) needs the
    notice period as a new window does; accounts no longer named are told it is off for them.
    """
    old = await _require_live(session, window_id, at)
    before = window_of(old)
    if _asks_more(before, window):
        check_notice(window, now=at, rules=rules, override=override)
    zones = await _zones(session, window.accounts, desk_tz)
    others = await _live(session, at, exclude=window_id)
    over = check_budget(window, others, accounts=zones, rules=rules, override=override)
    row = await session.get(MaintenanceWindow, window_id)
    assert row is not None
    for name, value in _columns(window).items():
        setattr(row, name, value)
    row.status, row.version, row.updated_at, row.updated_by = WindowStatus.CHANGED.value, old.version + 1, at, actor
    if override.strip() and (_overridden(window, at, rules, over) or _asks_more(before, window)):
        row.override_reason = override.strip()
    await session.exec(delete(MaintenanceAccount).where(col(MaintenanceAccount.window_id) == window_id))
    await _name_accounts(session, window_id, window.accounts)
    await session.flush()
    await _skip_pending(session, window_id, at)
    public = await _require(session, window_id)
    _audit(session, public, action="changed", actor=actor, at=at, over=over)
    queued = await _queue_plan(session, public, zones, first=False, at=at, rules=rules)
    dropped = [(k, tz) for k, tz in await _zones(session, before.accounts, desk_tz) if not window.affects(k)]
    queued += await _queue_cancelled(session, public, dropped, at=at)
    return Scheduled(public, over, queued)


async def cancel_window(
    session: AsyncSession, *, window_id: int, actor: str, at: datetime, desk_tz: ZoneInfo
) -> Scheduled:
    """Cancel a window: its pending notices are skipped and every affected account is told."""
    old = await _require_live(session, window_id, at)
    row = await session.get(MaintenanceWindow, window_id)
    assert row is not None
    row.status, row.version, row.updated_at, row.updated_by = WindowStatus.CANCELLED.value, old.version + 1, at, actor
    await session.flush()
    await _skip_pending(session, window_id, at)
    public = await _require(session, window_id)
    _audit(session, public, action="cancelled", actor=actor, at=at, over=())
    zones = await _zones(session, window_of(old).accounts, desk_tz)
    return Scheduled(public, (), await _queue_cancelled(session, public, zones, at=at))


async def get_window(session: AsyncSession, *, window_id: int) -> WindowPublic | None:
    """The window with the K#s it names, or None."""
    row = await session.get(MaintenanceWindow, window_id)
    if row is None:
        return None
    assert row.id is not None
    query = (
        select(Account.k_number)
        .join(MaintenanceAccount, col(MaintenanceAccount.account_id) == col(Account.id))
        .where(MaintenanceAccount.window_id == row.id)
        .order_by(col(Account.k_number))
    )
    accounts = list((await session.exec(query)).all())
    return WindowPublic.model_validate({**row.model_dump(), "accounts": accounts})


async def list_windows(
    session: AsyncSession, *, since: datetime | None = None, cancelled: bool = True, limit: int = 200
) -> list[WindowPublic]:
    """Windows by start, the earliest first; those ending after `since` when given."""
    query = select(MaintenanceWindow.id)
    if since is not None:
        query = query.where(col(MaintenanceWindow.end_at) > since)
    if not cancelled:
        query = query.where(MaintenanceWindow.status != WindowStatus.CANCELLED.value)
    ids = await session.exec(query.order_by(col(MaintenanceWindow.start_at), col(MaintenanceWindow.id)).limit(limit))
    found = [await get_window(session, window_id=int(i)) for i in ids.all() if i is not None]
    return [w for w in found if w is not None]


async def audit_of(session: AsyncSession, *, window_id: int) -> list[MaintenanceAudit]:
    """What was done to a window, oldest first."""
    query = select(MaintenanceAudit).where(MaintenanceAudit.window_id == window_id).order_by(col(MaintenanceAudit.id))
    return list((await session.exec(query)).all())


async def budgets(
    session: AsyncSession, *, rules: Rules, desk_tz: ZoneInfo, k_number: str | None = None, year: int | None = None
) -> list[Budget]:
    """Scheduled downtime per account per calendar year (the account's zone) against the cap: one account's
    every year, or every account's with downtime in `year` (all years when None)."""
    windows = [window_of(w) for w in await list_windows(session, cancelled=False, limit=10_000) if w.downtime]
    names = frozenset({canonical_k_number(k_number)}) if k_number else None
    result: list[Budget] = []
    for k, tz in await _zones(session, names, desk_tz):
        mine = budget(windows, k_number=k, tz=tz, rules=rules)
        result.extend(b for y, b in mine.items() if year is None or y == year)
    return result


# ---------------------------------------------------------------- helpers


def _columns(window: Window) -> dict[str, Any]:
    return {
        "start_at": window.start,
        "end_at": window.end,
        "all_accounts": window.accounts is None,
        "components": list(window.components),
        "downtime": window.downtime,
        "summary": window.summary.strip(),
    }


def _overridden(window: Window, at: datetime, rules: Rules, over: Sequence[Budget]) -> bool:
    """True when the override let the window through (inside the notice period, or past a cap)."""
    return bool(over) or (window.downtime and window.start - at < rules.notice)


def _asks_more(before: Window, after: Window) -> bool:
    added = after.accounts is None and before.accounts is not None
    if after.accounts is not None and before.accounts is not None:
        added = not after.accounts <= before.accounts
    longer = after.start < before.start or after.end > before.end
    return after.downtime and (longer or added or not before.downtime)


async def _zones(session: AsyncSession, names: frozenset[str] | None, desk_tz: ZoneInfo) -> list[tuple[str, ZoneInfo]]:
    """The named accounts (every account when None) with their time zones; MaintenanceStoreError for unknown K#s."""
    query = select(Account.k_number, Account.timezone).order_by(col(Account.k_number))
    if names is not None:
        query = query.where(col(Account.k_number).in_(sorted(names)))
    rows = list((await session.exec(query)).all())
    if names is not None and len(rows) != len(names):
        missing = sorted(names - {k for k, _ in rows})
        raise UnknownAccountError(f"no such account: {', '.join(missing[:5])}")
    return [(k, ZoneInfo(tz) if tz else desk_tz) for k, tz in rows]


async def _name_accounts(session: AsyncSession, window_id: int, names: frozenset[str] | None) -> None:
    if names is None:
        return
    ids = (await session.exec(select(Account.id).where(col(Account.k_number).in_(sorted(names))))).all()
    session.add_all(MaintenanceAccount(window_id=window_id, account_id=int(i)) for i in ids if i is not None)
    await session.flush()


async def _require(session: AsyncSession, window_id: int) -> WindowPublic:
    found = await get_window(session, window_id=window_id)
    if found is None:
        raise MaintenanceNotFoundError(f"no maintenance window {window_id}")
    return found


async def _require_live(session: AsyncSession, window_id: int, at: datetime) -> WindowPublic:
    found = await _require(session, window_id)
    if found.status is WindowStatus.CANCELLED:
        raise MaintenanceStoreError(f"maintenance window {window_id} is cancelled")
    if found.end_at <= at:
        raise MaintenanceStoreError(f"maintenance window {window_id} is over")
    return found


async def _live(session: AsyncSession, at: datetime, exclude: int | None) -> list[Window]:
    """Every window not cancelled (past ones too: they count against this year's budget)."""
    windows = await list_windows(session, cancelled=False, limit=10_000)
    return [window_of(w) for w in windows if w.id != exclude]


def _audit(
    session: AsyncSession, window: WindowPublic, *, action: str, actor: str, at: datetime, over: Sequence[Budget]
) -> None:
    detail = {k: v for k, v in window.to_json_dict().items() if k not in ("created_at", "updated_at")}
    detail["over_cap"] = [{"k_number": b.k_number, "year": b.year, "hours": b.used_hours} for b in over]
    session.add(
        MaintenanceAudit(
            window_id=window.id, at=at, actor=actor, action=action, version=window.version,
            override_reason=window.override_reason if action != "cancelled" else "", detail=detail,
        )
    )  # fmt: skip


def _key(window: WindowPublic, stage: Stage, k_number: str) -> str:
    return f"maintenance:{window.id}:v{window.version}:{stage.value}:{k_number}"


def _extra(window: WindowPublic, stage: Stage) -> dict[str, str]:
    """What the notice renders (intake/notices.py): the times are rendered in the account's zone at send time."""
    return {
        "title": window.summary,
        "stage": stage.value,
        "start": window.start_at.astimezone(UTC).isoformat(),
        "end": window.end_at.astimezone(UTC).isoformat(),
        "downtime": "yes" if window.downtime else "no",
        "components": ",".join(window.components),
        "window": str(window.id),
        "version": str(window.version),
    }


async def _queue(
    session: AsyncSession, window: WindowPublic, stage: Stage, k_number: str, *, due: datetime, at: datetime
) -> bool:
    item = notice_item(
        NoticeKind.MAINTENANCE, dedupe_key=_key(window, stage, k_number), extra=_extra(window, stage), k_number=k_number
    )
    item = NewOutboxItem(kind=item.kind, payload=item.payload, dedupe_key=item.dedupe_key, next_attempt_at=due)
    return await enqueue(session, item=item, case_id=None, now=at) is not None


async def _queue_plan(
    session: AsyncSession,
    window: WindowPublic,
    zones: Sequence[tuple[str, ZoneInfo]],
    *,
    first: bool,
    at: datetime,
    rules: Rules,
) -> int:
    pure = window_of(window)
    queued = 0
    for k_number, tz in zones:
        for planned in notice_plan(pure, first=first, now=at, tz=tz, rules=rules):
            queued += await _queue(session, window, planned.stage, k_number, due=planned.due, at=at)
    return queued


async def _queue_cancelled(
    session: AsyncSession, window: WindowPublic, zones: Sequence[tuple[str, ZoneInfo]], *, at: datetime
) -> int:
    queued = 0
    for k_number, _tz in zones:
        queued += await _queue(session, window, Stage.CANCELLED, k_number, due=at, at=at)
    return queued


async def _skip_pending(session: AsyncSession, window_id: int, at: datetime) -> None:
    """Skip the window's notices not yet sent: they tell an older version."""
    stmt = (
        update(Outbox)
        .where(
            col(Outbox.kind) == NOTICE_KIND,
            col(Outbox.status) == OutboxStatus.PENDING.value,
            col(Outbox.dedupe_key).startswith(f"maintenance:{window_id}:v"),
        )
        .values(status=OutboxStatus.SKIPPED.value, last_error="superseded by a later version of the window")
        .execution_options(synchronize_session=False)
    )
    await session.exec(stmt)
