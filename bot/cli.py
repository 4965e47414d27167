"""The `intake` command line: serve, db, triage, route, cases, accounts, agents, call."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from bot.settings import ConfigError, Settings, load_settings
from bot.triage_train import (
    DataError,
    add_model_options,
    model_prediction,
    read_labelled,
    read_lines,
    select,
    triage_eval,
    triage_train,
)
from intake.domain import Channel, IntakeError, Severity
from intake.routing import route
from intake.triage import triage
from intake.triage_eval import evaluate

Handler = Callable[[argparse.Namespace, TextIO], int]


class UsageError(Exception):
    """A command-line value that cannot be used; printed to stderr with exit code 2."""


class CommandFailed(Exception):
    """A command that could not do its work (service or database unusable); one line on stderr, exit code 1."""


# A fictional number (555-01xx) that is still a valid one, so the accounts importer takes it too.
DEFAULT_CALLER_ID = "+12025550143"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="intake", description="Support intake bot: chat, phone, triage, SLAs.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate the database and run the service")
    serve.add_argument("--host", default=None, help="interface to bind (default: HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default: PORT or 3978)")
    serve.add_argument("--no-migrate", action="store_true", help="do not upgrade the database on start")
    serve.add_argument(
        "--pretend-now",
        metavar="ISO",
        help="development only: start the service clock at this instant (it then runs in real time), "
        "to try the hours configuration, e.g. 2026-11-29T03:00:00-05:00",
    )

    call = sub.add_parser(
        "call",
        help="play a phone call against a running server, signed as Twilio would",
        description="Play a phone call against a running server, each webhook signed with TWILIO_AUTH_TOKEN as "
        "Twilio signs it: for the public URL Twilio would have called. That is PUBLIC_BASE_URL when it is set "
        "(e.g. a tunnel in front of the server), else the --url called. The server checks the signature "
        "against its own PUBLIC_BASE_URL (default http://localhost:PORT), so both sides need the same values.",
    )
    call.add_argument(
        "--url",
        default=None,
        help="the server to call (default: http://localhost:PORT); webhooks are signed for this URL "
        "unless PUBLIC_BASE_URL is set",
    )
    call.add_argument("--from", dest="from_number", default=DEFAULT_CALLER_ID, help="caller ID (E.164)")
    call.add_argument("--to", dest="to_number", default=None, help="number called (default: SUPPORT_PHONE)")

    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="upgrade: apply all migrations")

    tri = sub.add_parser("triage", help="triage messages (lines or JSON lines with a 'text' field)")
    tri.add_argument("file", nargs="?", help="input file (default: stdin), or `train` to retrain the learned model")
    tri.add_argument(
        "--eval", dest="eval_file", metavar="PATH", help="score labelled lines (text, severity): a .jsonl or a folder"
    )
    tri.add_argument(
        "--eval-dialogue",
        dest="eval_dialogue",
        metavar="PATH",
        help="play labelled lines through the chat dialogue, a simulated customer answering from the factor labels",
    )
    tri.add_argument("--json", action="store_true", help="with --eval or --eval-dialogue: print the report as JSON")
    add_model_options(tri)

    rt = sub.add_parser("route", help="what happens to a case of a severity on a channel at an instant")
    rt.add_argument("--severity", type=int, required=True, choices=[1, 2, 3, 4])
    rt.add_argument("--channel", required=True, choices=[c.value for c in Channel])
    rt.add_argument("--at", required=True, help="ISO-8601 instant with an offset, e.g. 2026-11-24T10:00:00-05:00")
    rt.add_argument("--agents-online", type=int, default=0)
    rt.add_argument("--json", action="store_true")

    cases = sub.add_parser("cases", help="list cases")
    cases.add_argument("--status", default=None)
    cases.add_argument("--severity", type=int, choices=[1, 2, 3, 4], default=None)
    cases.add_argument("--account", default=None)
    cases.add_argument("--limit", type=int, default=200)
    cases.add_argument("--json", action="store_true")

    accounts = sub.add_parser("accounts", help="customer accounts")
    acc_sub = accounts.add_subparsers(dest="accounts_action", required=True)
    imp = acc_sub.add_parser("import", help="import FILE.csv with header k_number,name,phones")
    imp.add_argument("file")

    from bot.agents.cli import add_agent_commands
    from bot.cli_incidents import add_incident_commands
    from bot.cli_maintenance import add_maintenance_commands
    from bot.cli_report import add_report_command
    from bot.cli_sla import add_sla_commands

    add_agent_commands(sub)
    add_sla_commands(sub)
    add_report_command(sub)
    add_incident_commands(sub)
    add_maintenance_commands(sub)
    return parser


def run(argv: list[str], out: TextIO | None = None) -> int:
    """Run one command; returns the exit code."""
    stream = out or sys.stdout
    args = _parser().parse_args(argv)
    handlers: dict[str, Handler] = {
        "serve": _serve,
        "db": _db,
        "triage": _triage,
        "route": _route,
        "cases": _cases,
        "accounts": _accounts,
        "agents": _agents,
        "call": _call,
        "sla": _sla,
        "report": _report,
        "incidents": _incidents,
        "maintenance": _maintenance,
    }
    try:
        return handlers[args.command](args, stream)
    except (ConfigError, UsageError, IntakeError) as exc:
        print(f"intake {args.command}: {exc}", file=sys.stderr)  # noqa: T201 - CLI output
        return 2
    except CommandFailed as exc:
        print(f"intake {args.command}: {exc}", file=sys.stderr)  # noqa: T201 - CLI output
        return 1


def _settings() -> Settings:
    return load_settings()


def _configure_logging(settings: Settings) -> None:
    from bot.logs import configure_logging

    configure_logging(settings.log_level)


# -- serve / db ----------------------------------------------------------------------------------


def _serve(args: argparse.Namespace, out: TextIO) -> int:
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = load_settings(**overrides)
    _configure_logging(settings)
    from bot.server import pretend_clock, serve

    clock = None
    if args.pretend_now:
        if settings.intake_env != "development":
            raise UsageError("--pretend-now is for development only (INTAKE_ENV=development)")
        clock = pretend_clock(parse_instant(args.pretend_now, "--pretend-now"))
    if not args.no_migrate:
        # Here rather than in serve(): a database that cannot be upgraded stops the start with one line.
        _upgrade(settings)
    return serve(settings, migrate=False, clock=clock)


def call_urls(settings: Settings, url: str | None) -> tuple[str, str]:
    """(where `intake call` sends the webhooks, the public URL it signs them for); see `intake call --help`."""
    target = (url or f"http://localhost:{settings.port}").strip().rstrip("/")
    try:
        parsed = urlsplit(target)
        parsed.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise UsageError(f"--url {url!r} is not a URL") from exc
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.query or parsed.fragment:
        raise UsageError(f"--url {url!r} is not the base URL of a server, e.g. http://localhost:3978")
    return target, (settings.public_base_url.strip().rstrip("/") or target)


def _call(args: argparse.Namespace, out: TextIO) -> int:
    settings = _settings()
    if not settings.twilio_auth_token:
        raise UsageError(
            "TWILIO_AUTH_TOKEN is not set: the simulator signs webhooks with the same token as the server "
            "(any value works locally; set it in .env for both)"
        )
    target, public = call_urls(settings, args.url)
    from bot.voice.simulator import SimulatorError, run_call

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    try:
        result = asyncio.run(
            run_call(
                target,
                args.from_number,
                settings.twilio_auth_token,
                public,
                input,  # Ctrl-D (EOF) hangs up
                say,
                to_number=args.to_number or settings.support_phone,
            )
        )
    except SimulatorError as exc:
        raise CommandFailed(str(exc)) from exc
    say(f"-- call {result.call_sid} ended by the {result.ended_by} after {result.webhooks} webhooks")
    return 0


def _db(args: argparse.Namespace, out: TextIO) -> int:
    settings = _settings()
    url = _upgrade(settings)
    print(f"database upgraded: {_redact(url)}", file=out)
    return 0


def _upgrade(settings: Settings) -> str:
    """Upgrade (or create) the configured database; return its URL. Only `serve` and `db upgrade` do this."""
    from bot.cli_store import StoreUnavailableError, database_errors
    from store.migrate import upgrade

    url = settings.effective_database_url()
    try:
        with database_errors(url):
            upgrade(url)
    except StoreUnavailableError as exc:
        raise CommandFailed(str(exc)) from exc
    return url


def _redact(url: str) -> str:
    # Never echo a password from DATABASE_URL.
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# -- triage / route ------------------------------------------------------------------------------


def _read_messages(lines: Iterable[str]) -> Iterator[str]:
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UsageError(f"line {number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise UsageError(f"line {number}: a JSON line needs a string 'text' field")
            yield item["text"]
        else:
            yield line


def _open_input(path: str | None) -> TextIO:
    if path is None or path == "-":
        return sys.stdin
    try:
        return open(path, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc


def _triage(args: argparse.Namespace, out: TextIO) -> int:
    try:
        if args.file == "train":
            return triage_train(args, out)
        if args.eval_file:
            return _triage_eval(args, out=out)
        if args.eval_dialogue:
            return _triage_eval_dialogue(args, out=out)
    except DataError as exc:
        raise UsageError(str(exc)) from exc
    source = _open_input(args.file)
    try:
        for text in _read_messages(source):
            result = triage(text)
            record = {
                "severity": int(result.severity),
                "confidence": round(result.confidence, 3),
                "evidence": list(result.evidence),
                "sev1_unconfirmed": result.sev1_unconfirmed,
                "questions": [q.key.value for q in result.questions],
                "model": model_prediction(args, text),
            }
            print(json.dumps(record), file=out)
    finally:
        if source is not sys.stdin:
            source.close()
    return 0


def _triage_eval(args: argparse.Namespace, *, out: TextIO) -> int:
    lines = read_labelled(args)
    if args.model or args.model_file:
        return triage_eval(args, lines, out)
    report = evaluate((line.text, line.severity) for line in lines)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.to_text(), file=out)
    return 0


def _triage_eval_dialogue(args: argparse.Namespace, *, out: TextIO) -> int:
    from intake.dialogue_eval import DialogueCase, play, report_of

    lines = select(read_lines([Path(args.eval_dialogue)]), args.split)
    if not lines:
        raise UsageError(f"{args.eval_dialogue}: no labelled lines (split {args.split})")
    cases = [
        DialogueCase(
            line.text,
            line.severity,
            dict(line.factors),
            Channel.PHONE if line.channel == "phone" else Channel.CHAT,
        )
        for line in lines
    ]
    played = [(case, play(case)) for case in cases]
    report = report_of(played)
    # A line without factor labels (the original dev and extra sets) leaves the simulated customer answering
    # "I'm not sure" to every question; the lines with labels are the dialogue as the issue defines it.
    answered = report_of((case, result) for case, result in played if case.factors)
    if args.json:
        body = {"split": args.split, **report.to_dict(), "with_factor_labels": answered.to_dict()}
        print(json.dumps(body, indent=2), file=out)
    else:
        print(f"dialogue on {len(cases)} lines (split {args.split}): {report.to_text()}", file=out)
        print(f"of which with factor labels (every answer known): {answered.to_text()}", file=out)
    return 0


def parse_instant(value: str, option: str = "--at") -> datetime:
    """ISO-8601 with an offset (Z accepted); a naive instant is refused."""
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"{option} {value!r} is not an ISO-8601 instant") from exc
    if at.tzinfo is None:
        raise UsageError(f"{option} {value!r} has no UTC offset; add one, e.g. {value}-05:00 or {value}Z")
    return at


def _route(args: argparse.Namespace, out: TextIO) -> int:
    from bot.cli_times import localise, text_instant

    settings = _settings()
    policy = settings.policy()
    at = parse_instant(args.at)
    decision = route(
        policy,
        severity=Severity(args.severity),
        channel=Channel(args.channel),
        at=at,
        agents_online=args.agents_online,
    )
    # Every instant in the desk's zone (bot/cli_times.py), whatever zone the domain computed it in.
    data = localise(decision.to_json_dict(), policy.chat.tz, ROUTE_INSTANTS)
    if args.json:
        print(json.dumps(data), file=out)
    else:
        for key, value in data.items():
            shown = text_instant(str(value), policy.chat.tz) if key in ROUTE_INSTANTS and value else value
            print(f"{key:16} {shown if shown is not None else '-'}", file=out)
    return 0


ROUTE_INSTANTS = ("next_chat_open", "response_due", "fix_due")


# -- store commands ------------------------------------------------------------------------------


def _cases(args: argparse.Namespace, out: TextIO) -> int:
    from bot.cli_store import list_cases_command

    return _on_store(lambda: asyncio.run(list_cases_command(_settings(), args, out)))


def _accounts(args: argparse.Namespace, out: TextIO) -> int:
    from bot.cli_store import import_accounts_command

    return _on_store(lambda: asyncio.run(import_accounts_command(_settings(), Path(args.file), out)))


def _sla(args: argparse.Namespace, out: TextIO) -> int:
    from bot.cli_sla import explain_command

    at = parse_instant(args.at) if args.at else None
    return _on_store(lambda: asyncio.run(explain_command(_settings(), args, at, out)))


def _incidents(args: argparse.Namespace, out: TextIO) -> int:
    from bot.cli_incidents import incidents_command

    return _on_store(lambda: asyncio.run(incidents_command(_settings(), args, out)))


def _report(args: argparse.Namespace, out: TextIO) -> int:
    from bot.cli_report import report_command

    at = parse_instant(args.at) if args.at else None
    return _on_store(lambda: asyncio.run(report_command(_settings(), args, at, out)))


def _maintenance(args: argparse.Namespace, out: TextIO) -> int:
    from bot.cli_maintenance import maintenance_command

    return _on_store(lambda: asyncio.run(maintenance_command(_settings(), args, out)))


def _agents(args: argparse.Namespace, out: TextIO) -> int:
    from bot.agents.cli import run_agent_command

    return _on_store(lambda: run_agent_command(args, _settings(), out))


def _on_store(command: Callable[[], int]) -> int:
    """Run a command on an existing database (bot/cli_store.open_store); its failure is one line, exit 1."""
    from bot.cli_store import StoreUnavailableError

    try:
        return command()
    except StoreUnavailableError as exc:
        raise CommandFailed(str(exc)) from exc
