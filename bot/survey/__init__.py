"""The eXceed survey: a call after closure, the web form's link when the calls go unanswered, STOP, and the
manager's follow-up of unhappy customers."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from twilio.rest import Client

from bot.periodic import Periodic
from bot.survey.calls import ROUTES, SurveyCalls, signed
from bot.survey.config import FORM_PATH, SurveyConfig, survey_config
from bot.survey.console import setup_survey_console
from bot.survey.form import SurveyForm
from bot.survey.scheduler import SurveyScheduler
from bot.voice.paging import twilio_client
from intake.clock import Clock
from store.db import SessionMaker

__all__ = ["SURVEY_SCHEDULER", "SurveyConfig", "SurveyScheduler", "setup_survey", "survey_config"]

SURVEY_SCHEDULER = web.AppKey("survey_scheduler", SurveyScheduler)


def setup_survey(
    app: web.Application,
    *,
    config: SurveyConfig,
    session_maker: SessionMaker,
    clock: Clock,
    interval_seconds: float,
    client: Client | None = None,
) -> SurveyScheduler:
    """Mount the survey's webhooks, form and console page, and run its scheduler while the app runs (append
    after the database's cleanup_ctx). Without a Twilio account nobody is called: the survey goes straight
    to the web form's link (by email, or by SMS once Twilio is set up)."""
    scheduler = SurveyScheduler(
        config=config, session_maker=session_maker, clock=clock, client=client or twilio_client(config.voice)
    )
    app[SURVEY_SCHEDULER] = scheduler
    calls = SurveyCalls(config=config, sessions=session_maker, clock=clock, scheduler=scheduler)
    for path, webhook in ROUTES.items():
        app.router.add_post(path, signed(calls, webhook))
    form = SurveyForm(config=config, sessions=session_maker, clock=clock)
    app.router.add_get(FORM_PATH, form.show)
    app.router.add_post(FORM_PATH, form.submit)
    setup_survey_console(app)

    async def rounds(app: web.Application) -> AsyncIterator[None]:
        periodic = Periodic("survey scheduler", interval_seconds, scheduler.run_once)
        periodic.start()
        yield
        await periodic.stop()

    app.cleanup_ctx.append(rounds)
    return scheduler
