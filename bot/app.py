"""The app factory: one aiohttp application serving the bot, the website, the phone line and health."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.schema import ActivityTypes

from bot.adapter import close_adapter, create_adapter
from bot.agents.api import setup_agent_api
from bot.agents.api_incidents import setup_incident_api
from bot.agents.api_maintenance import setup_maintenance_api
from bot.agents.auth import setup_auth
from bot.channels import Channels
from bot.console import setup_console
from bot.contract import VOICE_CHANNEL_ID, WEBSITE_CHANNEL_ID
from bot.directline import DirectLineConfig, setup_directline
from bot.errors import (
    DatabaseNotWritableError,
    database_unavailable_response,
    error_middleware,
    is_database_unavailable,
)
from bot.handoff import setup_handoff
from bot.intake_bot import IntakeBot
from bot.jsonbody import BODY_TIMEOUT
from bot.keys import ADAPTER, BOT, CHANNELS, CLOCK, ENGINE, INCIDENTS, JOBS, POLICY, SESSION_MAKER, SETTINGS
from bot.maintenance import MaintenanceConfig
from bot.messages import MAX_ACTIVITY_BYTES, mount_messages
from bot.metrics import setup_metrics
from bot.notice_pages import setup_notice_pages
from bot.notice_worker import notice_config, setup_notices
from bot.readiness import NotReadyError, check_ready
from bot.settings import Settings
from bot.sla_watch import SlaWatch, WatchNotify, setup_sla_watch
from bot.survey import setup_survey, survey_config
from bot.voice import setup_paging, setup_voice, voice_config
from bot.website import setup_website
from intake import wording_service as ws
from intake.clock import Clock
from intake.escalation import parse_escalation
from store.clock import utc_now
from store.db import create_engine, session_factory
from store.jobs import Jobs

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent / "web"


def create_app(settings: Settings, *, clock: Clock = utc_now, database_url: str | None = None) -> web.Application:
    """Build the application. Objects are built here without I/O; connections open on first use and
    everything that holds resources is closed in cleanup_ctx."""
    # The Direct Line bodies are activities too: one limit for every request body.
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_ACTIVITY_BYTES)
    policy = settings.policy()
    app[SETTINGS] = settings
    app[POLICY] = policy
    app[CLOCK] = clock
    app[BODY_TIMEOUT] = settings.client_timeout_seconds

    engine = create_engine(database_url or settings.effective_database_url())
    sessions = session_factory(engine)
    jobs = Jobs(engine, keep_connections=True)  # the turn's own reads and writes (see store/jobs.py)
    app[ENGINE] = engine
    app[SESSION_MAKER] = sessions
    app[JOBS] = jobs

    async def database(app: web.Application) -> AsyncIterator[None]:
        yield
        await close_adapter(app[ADAPTER])
        await jobs.aclose()
        await engine.dispose()

    # Registered first so it is cleaned up last: background tasks stop before the engine goes away
    # (a task still querying after dispose() would open a connection nobody closes).
    app.cleanup_ctx.append(database)

    adapter = create_adapter(settings)
    adapter.on_turn_error = _on_turn_error
    app[ADAPTER] = adapter
    channels = Channels(adapter, app_id=settings.microsoft_app_id)
    app[CHANNELS] = channels
    handoff = setup_handoff(app)  # live agents: whether chat is offered, and the relay once it is
    app[INCIDENTS] = settings.incident_config()
    app[BOT] = IntakeBot(
        policy=policy,
        jobs=jobs,
        session_maker=sessions,
        clock=clock,
        agents_online=handoff.agents_online,
        handoff=handoff,
        incident_config=app[INCIDENTS],
        maintenance=MaintenanceConfig.from_settings(settings, app[INCIDENTS].components),
    )

    mount_messages(app)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)

    website = setup_directline(
        app,
        config=DirectLineConfig(
            secret=settings.directline_secret,
            service_url=f"{settings.base_url}/",
            bot_name=settings.company_name,
            token_ttl=settings.token_ttl,
            max_body=MAX_ACTIVITY_BYTES,
            bot_timeout=timedelta(seconds=settings.directline_recovery_seconds),
            recovery_interval=timedelta(seconds=settings.directline_recovery_seconds),
            trusted_proxies=settings.trusted_proxy_networks,
            stream_heartbeat=timedelta(seconds=settings.client_timeout_seconds),
        ),
        session_maker=sessions,
        bot=app[BOT].on_turn,
        on_turn_error=_on_turn_error,
        clock=clock,
        jobs=jobs,
    )
    channels.register(WEBSITE_CHANNEL_ID, website)
    setup_website(app, company_name=settings.company_name, chat_hours=policy.chat.describe(), web_dir=WEB_DIR)
    setup_auth(app)
    setup_console(app)
    setup_agent_api(app)
    setup_incident_api(app)
    setup_maintenance_api(app)
    voice = voice_config(settings)
    line = setup_voice(app, config=voice, bot=app[BOT], session_maker=sessions, clock=clock, jobs=jobs)
    channels.register(VOICE_CHANNEL_ID, line.adapter)
    setup_paging(app, config=voice, session_maker=sessions, clock=clock)
    notices = notice_config(settings, voice)
    setup_notices(app, config=notices, session_maker=sessions, clock=clock)
    setup_notice_pages(app, config=notices, session_maker=sessions, clock=clock)
    notify = WatchNotify(
        escalation=parse_escalation(settings.sla_escalation),
        supervisors=settings.supervisors,
        queue=settings.queue_mailboxes,
        console_url=settings.base_url,
        outside_hours=settings.sla_notify_outside_hours,
    )
    watch = SlaWatch(
        jobs=jobs,
        policy=policy,
        clock=clock,
        backup_numbers=settings.oncall_backup,
        warn_share=settings.sla_warn_share,
        notify=notify,
    )
    setup_sla_watch(app, watch, settings.sla_watch_seconds)
    setup_survey(
        app,
        config=survey_config(settings, voice, settings.survey_policy()),
        session_maker=sessions,
        clock=clock,
        interval_seconds=settings.survey_watch_seconds,
    )
    if settings.metrics == "on":  # last: it instruments the adapters and background rounds set up above
        setup_metrics(
            app,
            host=settings.metrics_host,
            port=settings.metrics_port,
            engine=engine,
            sessions=sessions,
            adapters={"website": website, "phone": line.adapter, "bot_framework": adapter},
        )
    return app


async def _on_turn_error(context: TurnContext, error: Exception) -> None:
    if is_database_unavailable(error):
        # Not the customer's turn's fault, and nothing can be recorded: the request answers 503 with
        # Retry-After (the error middleware), and a website message stays pending for the recovery sweep.
        raise error
    # Log the failure without the customer's words; tell the customer something useful.
    log.error(
        "turn failed in conversation %s: %s",
        context.activity.conversation.id if context.activity.conversation else "?",
        type(error).__name__,
        exc_info=error,
    )
    if context.activity.type == ActivityTypes.message:
        await context.send_activity(ws.turn_failed(phone=False, locale=context.activity.locale))


async def healthz(request: web.Request) -> web.Response:
    """Alive: the process answers."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready: the database answers and can be written (bot/readiness.py)."""
    try:
        await check_ready(request.app[ENGINE])
    except NotReadyError as exc:
        log.warning("readiness check failed: %s", exc)
        return DatabaseNotWritableError(str(exc)).response()
    except Exception as exc:  # any driver error means not ready
        log.warning("readiness check failed: %s", type(exc).__name__)
        return database_unavailable_response(exc)
    return web.json_response({"status": "ready"})
