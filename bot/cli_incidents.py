"""`intake incidents`: list and show incidents, open one by hand, link and detach cases, post updates, resolve.

Every command reads and writes the same store functions the agent API and console use (store/incidents.py,
bot/incident_work.py); what the command line names its actor in the history is `cli`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot import incident_work
from bot.cli_store import CommandError, open_store
from bot.cli_times import json_instant, text_instant
from bot.incidents import IncidentConfig
from bot.settings import Settings
from intake.case_numbers import parse_case_number
from store import incidents as store
from store.clock import utc_now
from store.db import SessionMaker
from store.errors import CaseNotFoundError
from store.models import IncidentPublic, IncidentStatus

ACTOR = "cli"
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


def add_incident_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `intake incidents list|show|open|link|detach|update|resolve`."""
    incidents = sub.add_parser("incidents", help="outages many customers report, with their linked cases")
    actions = incidents.add_subparsers(dest="incidents_action", required=True)
    listing = actions.add_parser("list", help="incidents, newest first")
    listing.add_argument("--status", choices=[s.value for s in IncidentStatus], default=None)
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    show = actions.add_parser("show", help="one incident: its cases and updates")
    show.add_argument("id", type=_incident_id)
    show.add_argument("--json", action="store_true")
    opening = actions.add_parser("open", help="open an incident by hand")
    opening.add_argument("--component", required=True, help="a configured component's key, e.g. viewer")
    opening.add_argument("--title", required=True)
    opening.add_argument("--json", action="store_true")
    for name, text in (("link", "link a case to an open incident"), ("detach", "detach a linked case")):
        linking = actions.add_parser(name, help=text)
        linking.add_argument("id", type=_incident_id)
        linking.add_argument("case", help="case number, e.g. 2612-0042")
    update = actions.add_parser("update", help="post an update to every linked customer")
    update.add_argument("id", type=_incident_id)
    update.add_argument("--text", required=True)
    resolve = actions.add_parser("resolve", help="resolve the incident and its linked cases")
    resolve.add_argument("id", type=_incident_id)
    resolve.add_argument("--resolution", required=True)


def _incident_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 12 or not 1 <= int(raw) <= MAX_ID:
        raise argparse.ArgumentTypeError(f"{raw!r} is not an incident id (a whole number)")
    return int(raw)


def _text(raw: str, option: str, limit: int) -> str:
    text = raw.strip()
    if not text or len(text) > limit:
        raise CommandError(f"{option} must be non-empty text of at most {limit} characters")
    return text


def _case(raw: str) -> str:
    number = parse_case_number(raw)
    if number is None:
        raise CommandError(f"{raw!r} is not a case number like 2612-0042")
    return number


def incident_record(incident: IncidentPublic, config: IncidentConfig, zone: ZoneInfo) -> dict[str, Any]:
    """An incident as `--json` prints it: instants in the desk's zone, linked case numbers under `cases`."""
    return {
        "id": incident.id,
        "component": incident.component,
        "component_label": config.components.label(incident.component),
        "title": incident.title,
        "status": incident.status.value,
        "opened_at": json_instant(incident.opened_at, zone),
        "opened_by": incident.opened_by,
        "paged_at": json_instant(incident.paged_at, zone),
        "resolved_at": json_instant(incident.resolved_at, zone),
        "resolved_by": incident.resolved_by,
        "resolution": incident.resolution,
        "cases": list(incident.cases),
        "detached": list(incident.detached),
    }


def _line(incident: IncidentPublic, run: _Run) -> str:
    cases = ", ".join(incident.cases) or "no cases"
    label = run.config.components.label(incident.component)
    opened = text_instant(incident.opened_at, run.zone)
    return f"#{incident.id}  {incident.status.value:<8} opened {opened}  {label}: {incident.title}  cases: {cases}"


@dataclass(frozen=True)
class _Run:
    """What every action needs: the store, the configuration, the desk's zone, now, where to print."""

    sessions: SessionMaker
    config: IncidentConfig
    zone: ZoneInfo
    now: datetime
    out: TextIO

    def say(self, line: str) -> None:
        print(line, file=self.out)


async def _list(run: _Run, args: argparse.Namespace) -> None:
    status = IncidentStatus(args.status) if args.status else None
    async with run.sessions() as session:
        found = await store.list_incidents(session, status=status)
    for incident in found:
        run.say(json.dumps(incident_record(incident, run.config, run.zone)) if args.json else _line(incident, run))
    if not found and not args.json:
        run.say("no incidents")


async def _show(run: _Run, args: argparse.Namespace) -> None:
    async with run.sessions() as session:
        incident = await store.require_incident(session, incident_id=args.id)
        updates = await store.updates_of(session, incident_id=args.id)
    record = incident_record(incident, run.config, run.zone)
    record["updates"] = [
        {"at": json_instant(u.at, run.zone), "actor": u.actor, "text": u.text, "reached": u.reached} for u in updates
    ]
    if args.json:
        run.say(json.dumps(record))
        return
    run.say(_line(incident, run))
    if incident.detached:
        run.say(f"  detached: {', '.join(incident.detached)}")
    for update in updates:
        run.say(f"  {text_instant(update.at, run.zone)}  {update.actor}: {update.text}  ({update.reached} case(s))")
    if incident.status is IncidentStatus.RESOLVED:
        run.say(f"  resolved {text_instant(incident.resolved_at, run.zone)}: {incident.resolution}")


async def _open(run: _Run, args: argparse.Namespace) -> None:
    title = _text(args.title, "--title", incident_work.MAX_TITLE_CHARS)
    async with run.sessions() as session, session.begin():
        incident = await store.open_incident(session, component=args.component, title=title, actor=ACTOR, at=run.now)
    run.say(
        json.dumps(incident_record(incident, run.config, run.zone)) if args.json else f"opened incident #{incident.id}"
    )


async def _link(run: _Run, args: argparse.Namespace) -> None:
    number = _case(args.case)
    async with run.sessions() as session, session.begin():
        await store.link_case(session, incident_id=args.id, number=number, actor=ACTOR, at=run.now)
    run.say(f"case {number} linked to incident #{args.id}")


async def _detach(run: _Run, args: argparse.Namespace) -> None:
    number = _case(args.case)
    async with run.sessions() as session, session.begin():
        await store.detach_case(session, incident_id=args.id, number=number, actor=ACTOR, at=run.now)
    run.say(f"case {number} detached from incident #{args.id}")


async def _update(run: _Run, args: argparse.Namespace) -> None:
    text = _text(args.text, "--text", incident_work.MAX_TEXT_CHARS)
    _, reached = await incident_work.post_update(run.sessions, incident_id=args.id, text=text, actor=ACTOR, at=run.now)
    run.say(f"update posted on incident #{args.id}: queued for {reached} case(s)")


async def _resolve(run: _Run, args: argparse.Namespace) -> None:
    resolution = _text(args.resolution, "--resolution", incident_work.MAX_TEXT_CHARS)
    incident = await incident_work.resolve(
        run.sessions, incident_id=args.id, resolution=resolution, actor=ACTOR, at=run.now
    )
    run.say(f"incident #{args.id} resolved with {len(incident.cases)} linked case(s)")


_ACTIONS: dict[str, Callable[[_Run, argparse.Namespace], Awaitable[None]]] = {
    "list": _list,
    "show": _show,
    "open": _open,
    "link": _link,
    "detach": _detach,
    "update": _update,
    "resolve": _resolve,
}


async def incidents_command(
    settings: Settings, args: argparse.Namespace, out: TextIO, at: datetime | None = None
) -> int:
    """Run one `intake incidents` action on the configured store."""
    config = settings.incident_config()
    # Checked before the database is opened: a component that is not configured is the command's fault.
    if args.incidents_action == "open" and config.components.get(args.component) is None:
        raise CommandError(f"--component {args.component!r} is not a component ({', '.join(config.components.keys)})")
    async with open_store(settings) as sessions:
        run = _Run(sessions, config, settings.policy().chat.tz, at or utc_now(), out)
        try:
            await _ACTIONS[args.incidents_action](run, args)
        except (store.IncidentError, CaseNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
    return 0
