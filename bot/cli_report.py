"""`intake report --month YYYY-MM [--format text|csv|json] [--at INSTANT]`: the dashboard's figures for a month.

The figures come from bot/console/dashboard_report.month_report, the dashboard's own, and are printed as its
rows, so the page and the report always agree.
"""

from __future__ import annotations

import argparse
import csv
import json
from datetime import datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.cli_store import CommandError, open_store
from bot.cli_times import text_instant
from bot.console.dashboard_report import month_report, rows
from bot.settings import Settings
from intake.availability import Month
from store.clock import utc_now
from store.report_model import Report, report_json

FORMATS = ("text", "csv", "json")


def add_report_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `intake report`."""
    report = sub.add_parser("report", help="the supervisors' figures for a month (the dashboard's)")
    report.add_argument("--month", default=None, help="YYYY-MM in the desk's time zone (default: this month)")
    report.add_argument("--format", choices=FORMATS, default="text")
    report.add_argument("--at", default=None, help="read the live figures at this ISO-8601 instant (default: now)")


def _text(report: Report, zone: ZoneInfo, out: TextIO) -> None:
    print(
        f"report {report.month} ({report.zone}): {text_instant(report.start, zone)} to {text_instant(report.end, zone)}"
        f"; live figures at {text_instant(report.now, zone)}",
        file=out,
    )
    if report.truncated:
        print("note: more cases than one report reads; the figures count the first ones", file=out)
    section = ""
    for figure, group, measure, value in rows(report):
        if figure != section:
            section = figure
            print(f"\n{figure.replace('_', ' ')}", file=out)
        print(f"  {group:<24} {measure:<24} {value}", file=out)


async def report_command(settings: Settings, args: argparse.Namespace, at: datetime | None, out: TextIO) -> int:
    """Print the month's figures."""
    policy = settings.policy()
    now = at or utc_now()
    try:
        month = Month.of(now, policy.chat.tz) if args.month is None else Month.parse(args.month)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    async with open_store(settings) as sessions, sessions() as session:
        report = await month_report(session, policy, month, now)
    if args.format == "json":
        print(json.dumps(report_json(report)), file=out)
    elif args.format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("figure", "group", "measure", "value"))
        writer.writerows(rows(report))
    else:
        _text(report, policy.chat.tz, out)
    return 0
