"""`intake maintenance add|change|cancel|list|budget`: planned maintenance windows from the command line."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot import maintenance as service
from bot.cli_store import CommandError, open_store
from bot.cli_times import localise, text_instant
from bot.settings import Settings
from store import maintenance as store
from store.clock import utc_now
from store.db import read_session

ACTOR = "cli"
INSTANTS = ("start_at", "end_at", "created_at", "updated_at")  # shown in the desk's zone, as every command does


def add_maintenance_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `intake maintenance ...`."""
    top = sub.add_parser("maintenance", help="planned maintenance windows")
    actions = top.add_subparsers(dest="maintenance_action", required=True)
    for name, helptext in (("add", "schedule a window"), ("change", "change a window (notices go out again)")):
        cmd = actions.add_parser(name, help=helptext)
        if name == "change":
            cmd.add_argument("window", type=int, help="the window's id")
        cmd.add_argument("--start", required=True, help="ISO-8601 instant with offset, e.g. 2026-03-10T09:00-05:00")
        cmd.add_argument("--end", required=True, help="ISO-8601 instant with offset")
        cmd.add_argument("--accounts", required=True, help="K1,K2,... or all")
        cmd.add_argument("--components", required=True, help="component keys, comma-separated (e.g. viewer,archive)")
        cmd.add_argument("--downtime", required=True, choices=("yes", "no"))
        cmd.add_argument("--summary", required=True, help="what is done, as customers will read it")
        cmd.add_argument("--override", default="", help="REASON: schedule inside the notice period or past the cap")
        cmd.add_argument("--json", action="store_true")
    cancel = actions.add_parser("cancel", help="cancel a window (every affected account is told)")
    cancel.add_argument("window", type=int)
    cancel.add_argument("--json", action="store_true")
    listing = actions.add_parser("list", help="windows not yet over (--all: every window)")
    listing.add_argument("--all", action="store_true")
    listing.add_argument("--json", action="store_true")
    budget = actions.add_parser("budget", help="scheduled downtime per account per calendar year against the cap")
    budget.add_argument("--account", default=None, help="one account's K#")
    budget.add_argument("--year", type=int, default=None, help="the year (default: this year; with --account: all)")
    budget.add_argument("--json", action="store_true")


async def maintenance_command(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Run one `intake maintenance` action."""
    config = service.MaintenanceConfig.from_settings(settings)
    now = utc_now()
    action = args.maintenance_action
    async with open_store(settings) as sessions:
        try:
            if action in ("add", "change"):
                body = {k: getattr(args, k) for k in service.FIELDS}
                window, override = service.read_window(body, config)
                if action == "add":
                    done = await service.schedule(
                        sessions, config, window=window, override=override, actor=ACTOR, at=now
                    )
                else:
                    done = await service.change(
                        sessions, config, window_id=args.window, window=window, override=override, actor=ACTOR, at=now
                    )
                return _print_window(
                    out, _local(done.window.to_json_dict(), config), args.json, queued=done.queued, zone=config.desk_tz
                )
            if action == "cancel":
                done = await service.cancel(sessions, config, window_id=args.window, actor=ACTOR, at=now)
                return _print_window(
                    out, _local(done.window.to_json_dict(), config), args.json, queued=done.queued, zone=config.desk_tz
                )
        except store.MaintenanceStoreError as exc:
            raise CommandError(str(exc)) from exc
        async with read_session(sessions) as session:
            if action == "list":
                found = await store.list_windows(session, since=None if args.all else now)
                return _print_list(out, [_local(w.to_json_dict(), config) for w in found], args.json, config.desk_tz)
            year = args.year if args.year or args.account else now.astimezone(config.desk_tz).year
            budgets = await store.budgets(
                session, rules=config.rules, desk_tz=config.desk_tz, k_number=args.account, year=year
            )
    rows = [
        {"k_number": b.k_number, "year": b.year, "used_hours": b.used_hours, "cap_hours": b.cap_hours, "over": b.over}
        for b in budgets
    ]
    if args.json:
        out.write(json.dumps({"budgets": rows}) + "\n")
    else:
        for r in rows:
            flag = "  OVER THE CAP" if r["over"] else ""
            out.write(f"{r['k_number']}  {r['year']}  {r['used_hours']:g} of {r['cap_hours']:g} h{flag}\n")
        if not rows:
            out.write("no scheduled downtime\n")
    return 0


def _print_window(out: TextIO, window: dict[str, Any], as_json: bool, *, queued: int, zone: ZoneInfo) -> int:
    if as_json:
        out.write(json.dumps({"window": window, "notices_queued": queued}) + "\n")
        return 0
    out.write(_line(window, zone) + f"\n{queued} notices queued\n")
    if window["override_reason"]:
        out.write(f"override: {window['override_reason']}\n")
    return 0


def _print_list(out: TextIO, windows: list[dict[str, Any]], as_json: bool, zone: ZoneInfo) -> int:
    if as_json:
        out.write(json.dumps({"windows": windows}) + "\n")
        return 0
    for w in windows:
        out.write(_line(w, zone) + ("  [override]" if w["override_reason"] else "") + "\n")
    if not windows:
        out.write("no maintenance windows\n")
    return 0


def _local(window: dict[str, Any], config: service.MaintenanceConfig) -> dict[str, Any]:
    return localise(window, config.desk_tz, INSTANTS)


def _line(w: dict[str, Any], zone: ZoneInfo) -> str:
    whom = "all accounts" if w["all_accounts"] else ",".join(w["accounts"])
    downtime = "downtime" if w["downtime"] else "no downtime"
    return (
        f"#{w['id']} v{w['version']} {w['status']}  {text_instant(w['start_at'], zone)} .. "
        f"{text_instant(w['end_at'], zone)}  {downtime}  {','.join(w['components'])}  {whom}  {w['summary']}"
    )
