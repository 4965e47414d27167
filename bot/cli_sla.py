"""`intake sla explain CASE`: a case's three clocks and how they got there, read from its history."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import TextIO

from bot.cli_store import CommandError, open_store
from bot.cli_times import json_instant, text_instant
from bot.settings import Settings
from bot.sla import case_clocks
from intake.case_numbers import parse_case_number
from intake.sla import history
from store.cases import get_case, list_events
from store.clock import utc_now


def add_sla_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `intake sla explain CASE [--at INSTANT] [--json]`."""
    sla = sub.add_parser("sla", help="a case's SLA clocks")
    actions = sla.add_subparsers(dest="sla_action", required=True)
    explain = actions.add_parser("explain", help="the response, update and fix clocks of a case, with pauses")
    explain.add_argument("case", help="case number, e.g. 2612-0042")
    explain.add_argument("--at", default=None, help="read the clocks at this ISO-8601 instant (default: now)")
    explain.add_argument("--json", action="store_true")


async def explain_command(settings: Settings, args: argparse.Namespace, at: datetime | None, out: TextIO) -> int:
    """Print the clocks of one case, instants in the desk's zone."""
    policy = settings.policy()
    number = parse_case_number(args.case)
    if number is None:
        raise CommandError(f"{args.case!r} is not a case number like 2612-0042")
    now = at or utc_now()
    async with open_store(settings) as sessions, sessions() as session:
        case = await get_case(session, number=number)
        if case is None:
            raise CommandError(f"no case {number}")
        events = await list_events(session, number=case.number)
    readings = case_clocks(policy, case, events, now)
    zone = policy.chat.tz
    if args.json:
        body = {
            "case": case.number,
            "severity": case.severity,
            "status": case.status,
            "at": json_instant(now, zone),
            "clocks": [
                {
                    "name": r.name.value,
                    "state": r.state.value,
                    "target_minutes": None if r.target is None else r.target.total_seconds() / 60,
                    "basis": r.basis.value,
                    "counted_minutes": r.counted.total_seconds() / 60,
                    "due": json_instant(r.due, zone),
                    "warn_at": json_instant(r.warn_at, zone),
                    "stopped": json_instant(r.stopped, zone),
                    "pauses": [
                        {"start": json_instant(p.start, zone), "end": json_instant(p.end, zone), "reason": p.reason}
                        for p in r.pauses
                    ],
                }
                for r in readings
            ],
        }
        print(json.dumps(body), file=out)
        return 0
    print(
        f"case {case.number}  sev{case.severity}  {case.status}  created {text_instant(case.created_at, zone)}"
        f"  read at {text_instant(now, zone)}",
        file=out,
    )
    for line in history(readings, lambda instant: text_instant(instant, zone)):
        print(line, file=out)
    return 0
