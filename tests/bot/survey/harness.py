"""A survey rig: closed cases on the test database, the survey's routes on loopback with a hand-moved clock,
a client that signs webhooks as Twilio does, and Twilio's Calls API faked on loopback."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import aiohttp
from aiohttp import web
from sqlmodel import select

from bot.errors import error_middleware
from bot.survey import SurveyConfig, SurveyScheduler, setup_survey
from bot.voice.paging import twilio_client
from bot.voice.signature import SIGNATURE_HEADER, sign
from intake.survey import SurveyPolicy
from store.db import SessionMaker
from store.models import Outbox, Survey
from tests.bot.voice.harness import ACCOUNT_SID, PUBLIC, TOKEN, FakeClock, FakeTwilio, serve, voice_config
from tests.store.survey_cases import CLOSED_AT, CUSTOMER, NY

LINK_SECRET = "test-link-secret-0123456789abcdef0123456789"


@dataclass
class FakeCalls(FakeTwilio):
    """Twilio's Messages API (FakeTwilio) plus Calls: every call placed is remembered with its parameters."""

    calls: list[dict[str, str]] = field(default_factory=list)
    call_failures: list[int] = field(default_factory=list)

    def app(self) -> web.Application:
        app = super().app()
        app.router.add_post(f"/2010-04-01/Accounts/{self.account_sid}/Calls.json", self._call)
        return app

    async def _call(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        if self.call_failures:
            status = self.call_failures.pop(0)
            return web.json_response({"code": 20500, "message": "Scripted failure", "status": status}, status=status)
        form = {k: str(v) for k, v in (await request.post()).items()}
        sid = "CA" + uuid.uuid4().hex
        self.calls.append({**form, "Sid": sid})
        return web.json_response(
            {"sid": sid, "account_sid": self.account_sid, "to": form["To"], "from": form["From"], "status": "queued"},
            status=201,
        )


@dataclass
class Rig:
    """The survey's routes on loopback, its scheduler, the clock and the fake Twilio."""

    url: str
    http: aiohttp.ClientSession
    clock: FakeClock
    twilio: FakeCalls
    scheduler: SurveyScheduler
    sessions: SessionMaker
    config: SurveyConfig

    async def post(self, path: str, params: Mapping[str, str], *, sign_it: bool = True) -> tuple[int, str]:
        """POST a Twilio webhook signed for PUBLIC + path (path includes its query)."""
        headers = {SIGNATURE_HEADER: sign(auth_token=TOKEN, url=PUBLIC + path, params=params)} if sign_it else {}
        async with self.http.post(self.url + path, data=dict(params), headers=headers) as resp:
            return resp.status, await resp.text()

    async def survey(self, case_number: str) -> Survey:
        async with self.sessions() as session:
            found = (await session.exec(select(Survey).where(Survey.case_number == case_number))).one()
        return found

    async def outbox(self) -> list[Outbox]:
        async with self.sessions() as session:
            return list((await session.exec(select(Outbox).order_by(Outbox.id))).all())  # type: ignore[arg-type]


def survey_config(api_base: str, **policy: Any) -> SurveyConfig:
    return SurveyConfig(
        policy=SurveyPolicy(**policy),
        voice=voice_config(twilio_api_base=api_base),
        link_secret=LINK_SECRET,
        company="Vue Cloud Support",
        desk_tz=NY,
        supervisors=("manager@example.test",),
    )


@asynccontextmanager
async def survey_rig(sessions: SessionMaker, **policy: Any) -> AsyncIterator[Rig]:
    fake = FakeCalls()
    async with serve(fake.app()) as api:
        config = survey_config(api, **policy)
        clock = FakeClock(CLOSED_AT.astimezone(UTC))
        app = web.Application(middlewares=[error_middleware])
        client = twilio_client(config.voice)
        # interval far beyond any test: the tests run rounds themselves (no credentials check bypassed).
        scheduler = setup_survey(
            app, config=config, session_maker=sessions, clock=clock, interval_seconds=3600, client=client
        )
        app.cleanup_ctx.clear()  # rounds are driven by the test
        async with serve(app) as url, aiohttp.ClientSession() as http:
            yield Rig(
                url=url, http=http, clock=clock, twilio=fake, scheduler=scheduler, sessions=sessions, config=config
            )


def call_form(call_sid: str, **extra: str) -> dict[str, str]:
    """What Twilio posts to an outbound call's webhooks."""
    return {
        "AccountSid": ACCOUNT_SID,
        "CallSid": call_sid,
        "CallStatus": "in-progress",
        "Direction": "outbound-api",
        "From": "+18005550199",
        "To": CUSTOMER,
        **extra,
    }
