"""Planned maintenance on the service's side: the settings, reading a window asked for (CLI, API, console),
and the operations each of them runs (store/maintenance.py under intake/maintenance.py's rules).

An override (a window inside the notice period or past an account's yearly cap) is kept with its reason in
the window's audit, shown on the supervisors' page, logged (the window's id, never the reason or accounts) and
mailed to SUPERVISOR_EMAILS.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from intake.components import DEFAULT_COMPONENTS, Components
from intake.maintenance import MaintenanceError, Rules, Window
from store import maintenance as store
from store.accounts import canonical_k_number
from store.db import SessionMaker
from store.notices import queue_staff_mail

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_ACCOUNTS = 500  # named accounts per window; more: use all
MAX_OVERRIDE = 1000
FIELDS = frozenset({"start", "end", "accounts", "components", "downtime", "summary", "override"})


class RequestError(MaintenanceError):
    """A window asked for with a value that cannot be read; the message says which and the accepted form."""


@dataclass(frozen=True)
class MaintenanceConfig:
    """The rules, the desk's zone (for accounts without one), the component keys, who hears of overrides."""

    rules: Rules = field(default_factory=Rules)
    desk_tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    components: Components = DEFAULT_COMPONENTS
    supervisors: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings, components: Components = DEFAULT_COMPONENTS) -> MaintenanceConfig:
        """MAINTENANCE_NOTICE_DAYS, MAINTENANCE_REMINDER_DAYS, MAINTENANCE_YEARLY_HOURS, CHAT_TIMEZONE."""
        rules = Rules.build(
            notice_days=settings.maintenance_notice_days,
            reminder_days=settings.maintenance_reminder_days,
            yearly_hours=settings.maintenance_yearly_hours,
        )
        return cls(rules, ZoneInfo(settings.chat_timezone), components, tuple(settings.supervisors))


def _instant(name: str, raw: object) -> datetime:
    if not isinstance(raw, str) or len(raw) > 40:
        raise RequestError(f"{name} must be an ISO-8601 instant with a UTC offset, e.g. 2026-03-10T09:00-05:00")
    try:
        at = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise RequestError(f"{name} {raw!r} is not an ISO-8601 instant") from exc
    if at.tzinfo is None:
        raise RequestError(f"{name} {raw!r} has no UTC offset; add one, e.g. {raw}-05:00 or {raw}Z")
    return at


def _words(name: str, raw: object) -> list[str]:
    """A list of names, from a JSON list or a comma-separated text."""
    if isinstance(raw, str):
        items: list[object] = [p for p in raw.split(",") if p.strip()]
    elif isinstance(raw, list):
        items = list(raw)
    else:
        raise RequestError(f"{name} must be a list or comma-separated text")
    if len(items) > MAX_ACCOUNTS or not all(isinstance(i, str) and 0 < len(i.strip()) <= 40 for i in items):
        raise RequestError(f"{name}: at most {MAX_ACCOUNTS} names of at most 40 characters")
    return [str(i).strip() for i in items]


def _downtime(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("yes", "no"):
        return raw.strip().lower() == "yes"
    raise RequestError("downtime must be yes or no")


def read_window(body: Mapping[str, Any], config: MaintenanceConfig) -> tuple[Window, str]:
    """The window and the override reason a request asks for; RequestError or WindowInvalid (both 422)."""
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise RequestError(f"unknown field(s) {', '.join(unknown)}: use {', '.join(sorted(FIELDS))}")
    missing = sorted(f for f in FIELDS - {"override"} if body.get(f) in (None, ""))
    if missing:
        raise RequestError(f"missing: {', '.join(missing)}")
    names = _words("accounts", body["accounts"])
    if names == ["all"]:
        accounts: frozenset[str] | None = None
    else:
        accounts = frozenset(canonical_k_number(n) for n in names)
        bad = sorted(n for n in names if not config_account_ok(n))
        if bad or "all" in names:
            raise RequestError("accounts: K numbers like K123456, or all")
    components = _words("components", body["components"])
    unknown_parts = sorted(set(components) - set(config.components.keys))
    if unknown_parts or not components:
        raise RequestError(f"components must be among {', '.join(config.components.keys)}")
    summary = body["summary"]
    override = body.get("override") or ""
    if not isinstance(summary, str) or not isinstance(override, str) or len(override) > MAX_OVERRIDE:
        raise RequestError(f"summary must be text; override text of at most {MAX_OVERRIDE} characters")
    window = Window(
        start=_instant("start", body["start"]),
        end=_instant("end", body["end"]),
        accounts=accounts,
        components=tuple(dict.fromkeys(components)),
        downtime=_downtime(body["downtime"]),
        summary=summary.strip(),
    )
    return window, override.strip()


def config_account_ok(raw: str) -> bool:
    """A K# as accounts are numbered (K and digits)."""
    k = canonical_k_number(raw)
    return len(k) >= 2 and k[0] == "K" and k[1:].isdigit()


async def schedule(
    sessions: SessionMaker, config: MaintenanceConfig, *, window: Window, override: str, actor: str, at: datetime
) -> store.Scheduled:
    """Schedule a window; NoticeTooShort, OverBudget, MaintenanceStoreError refuse it."""
    async with sessions() as session, session.begin():
        done = await store.schedule_window(
            session, window=window, override=override, actor=actor, at=at, rules=config.rules, desk_tz=config.desk_tz
        )
        await _overridden(session, config, done, at)
    log.info("maintenance window %s scheduled (%d notices queued)", done.window.id, done.queued)
    return done


async def change(
    sessions: SessionMaker,
    config: MaintenanceConfig,
    *,
    window_id: int,
    window: Window,
    override: str,
    actor: str,
    at: datetime,
) -> store.Scheduled:
    """Change a window (a new version); the same refusals as schedule, and MaintenanceNotFoundError."""
    async with sessions() as session, session.begin():
        done = await store.change_window(
            session, window_id=window_id, window=window, override=override, actor=actor, at=at, rules=config.rules,
            desk_tz=config.desk_tz,
        )  # fmt: skip
        await _overridden(session, config, done, at)
    log.info("maintenance window %s changed to version %s", window_id, done.window.version)
    return done


async def cancel(
    sessions: SessionMaker, config: MaintenanceConfig, *, window_id: int, actor: str, at: datetime
) -> store.Scheduled:
    """Cancel a window; MaintenanceStoreError when it is cancelled already or over."""
    async with sessions() as session, session.begin():
        done = await store.cancel_window(session, window_id=window_id, actor=actor, at=at, desk_tz=config.desk_tz)
    log.info("maintenance window %s cancelled", window_id)
    return done


async def _overridden(session: Any, config: MaintenanceConfig, done: store.Scheduled, at: datetime) -> None:
    window = done.window
    if not window.override_reason:
        return
    log.warning("maintenance window %s version %s let through by an override", window.id, window.version)
    text = (
        f"Maintenance window {window.id} (version {window.version}), {window.start_at.isoformat()} to "
        f"{window.end_at.isoformat()}, was scheduled by override: {window.override_reason}\n"
        + "".join(f"Past the yearly cap: {b.k_number} {b.year}: {b.used_hours:g} h\n" for b in done.over)
    )
    await queue_staff_mail(
        session, to=config.supervisors, subject=f"Maintenance override: window {window.id}", text=text, at=at,
        dedupe_key=f"maintenance:{window.id}:v{window.version}:override",
    )  # fmt: skip
