"""The survey scheduler: every process runs it; each step of a survey is claimed once in the store.

A round gives each newly closed case its one survey (scheduled for the customer's daytime, or skipped with
the reason), then takes the surveys whose next step is due: a call slot (checked again at send time: still
closed, never reopened, not opted out, inside the window), a call nobody reported on (counted unanswered),
the web form's link after the calls went unanswered, or a link that ran out. The call is placed through
Twilio's REST API after the claim commits, so a slow Twilio holds no transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession
from twilio.rest import Client

from bot.links import make_token
from bot.survey.config import SURVEY_PURPOSE, SurveyConfig
from bot.voice.paging import paging_ready
from intake.clock import Clock
from intake.notices import NoticeKind
from intake.survey import Eligibility, call_slot, eligibility, first_try_at, retry_at
from store import surveys as survey_store
from store.db import SessionMaker
from store.models import SurveyPublic, SurveyStatus
from store.notices import queue_case_notice

log = logging.getLogger(__name__)

# Eligibility that ends a survey for good; NOT_YET only waits.
_ENDS = {
    Eligibility.EXPIRED,
    Eligibility.NOT_CLOSED,
    Eligibility.REOPENED,
    Eligibility.CLOSED_ON_SILENCE,
    Eligibility.OPTED_OUT,
}


def token_hash(token: str) -> str:
    """What the store keeps of a link's token: its SHA-256 (the link itself is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class RoundReport:
    """What one round did."""

    enrolled: int = 0
    skipped: int = 0
    calls: int = 0
    links: int = 0
    unanswered: int = 0


class SurveyScheduler:
    """Enrols closed cases and moves due surveys on: call, retry, link, expiry."""

    def __init__(self, *, config: SurveyConfig, session_maker: SessionMaker, clock: Clock, client: Client) -> None:
        self.config = config
        self._sessions = session_maker
        self._clock = clock
        self._client = client
        # Without a Twilio account nobody can be called: the survey goes out as the web form's link.
        self.can_call = paging_ready(config.voice)

    async def run_once(self) -> RoundReport:
        """One round: enrol, then every due step (in batches until none is left)."""
        report = RoundReport()
        await self._enrol(report)
        while True:
            async with self._sessions() as session:
                due = await survey_store.due_surveys(session, now=self._clock(), limit=self.config.batch)
            for survey in due:
                await self._step(survey, report)
            if len(due) < self.config.batch:
                return report

    # -- enrolment ----------------------------------------------------------------------------------------

    async def _enrol(self, report: RoundReport) -> None:
        policy, now = self.config.policy, self._clock()
        async with self._sessions() as session, session.begin():
            cases = await survey_store.unsurveyed_closed_cases(
                session, since=now - policy.window, limit=self.config.batch
            )
            for case in cases:
                assert case.id is not None and case.closed_at is not None
                facts, agent = await survey_store.closed_case(session, case_id=case.id)
                to = await survey_store.recipient(session, k_number=case.k_number)
                out = await self._opted_out(session, k_number=case.k_number, phone=to.phone)
                verdict = eligibility(policy, facts, now, opted_out=out)
                first = first_try_at(policy, case.closed_at, self.config.zone(to.timezone))
                reason = verdict.value if verdict in _ENDS else None if first is not None else "no_daytime"
                if await survey_store.enrol(
                    session, case=case, agent=agent, phone=to.phone, now=now, due_at=first, skip_reason=reason
                ):
                    report.enrolled += 1
                    report.skipped += reason is not None

    # -- due steps ----------------------------------------------------------------------------------------

    async def _step(self, survey: SurveyPublic, report: RoundReport) -> None:
        status = SurveyStatus(survey.status)
        if status is SurveyStatus.CALLING:
            await self.unanswered(survey_id=survey.id, call_sid=survey.call_sid, lease_over=survey)
            report.unanswered += 1
        elif status is SurveyStatus.LINK_SENT:
            await self._expire_link(survey)
        else:
            await self._send(survey, report)

    async def _send(self, survey: SurveyPublic, report: RoundReport) -> None:
        """A due slot: check again that the survey may go out, then call (or send the link after the calls)."""
        now = self._clock()
        async with self._sessions() as session, session.begin():
            facts, _ = await survey_store.closed_case(session, case_id=survey.case_id)
            out = await self._opted_out(session, k_number=survey.k_number, phone=survey.phone)
            verdict = eligibility(self.config.policy, facts, now, opted_out=out)
            if verdict in _ENDS:
                if await survey_store.claim(
                    session,
                    survey=survey,
                    until=None,
                    status=SurveyStatus.SKIPPED.value,
                    skip_reason=verdict.value,
                    updated_at=now,
                ):
                    report.skipped += 1
                    log.info("survey %s skipped at send time: %s", survey.id, verdict.value)
                return
            calling = self.can_call and bool(survey.phone) and survey.tries < self.config.policy.call_tries
            if calling:
                claimed = await survey_store.claim(
                    session,
                    survey=survey,
                    until=now + self.config.call_lease,
                    status=SurveyStatus.CALLING.value,
                    tries=survey.tries + 1,
                    call_sid=None,
                    updated_at=now,
                )
            else:
                claimed = await self._send_link(session, survey, now)
        if not claimed:
            return  # another process took this step
        if not calling:
            report.links += 1
            return
        report.calls += 1
        await self._call(survey, now)

    async def _call(self, survey: SurveyPublic, now: datetime) -> None:
        voice, config = self.config.voice, self.config
        try:
            call = await asyncio.to_thread(
                self._client.calls.create,
                to=survey.phone,
                from_=voice.from_number,
                url=config.webhook("answer", survey.id),
                method="POST",
                status_callback=config.webhook("status", survey.id),
                status_callback_method="POST",
                status_callback_event=["completed"],
                timeout=voice.dial_timeout + 10,
            )
        except Exception as exc:  # Twilio refused or could not be reached: this try counts as unanswered
            # Only the type: Twilio's messages can quote the number called.
            log.warning("survey %s: call could not be placed (%s)", survey.id, type(exc).__name__)
            await self.unanswered(survey_id=survey.id, call_sid=None)
            return
        async with self._sessions() as session, session.begin():
            # The answer webhook may have bound the call first; either way it is this SID.
            await survey_store.bind_call(session, survey_id=survey.id, call_sid=str(call.sid), now=now)
        log.info("survey %s: call %s placed (try %d)", survey.id, call.sid, survey.tries + 1)

    async def unanswered(self, *, survey_id: int, call_sid: str | None, lease_over: SurveyPublic | None = None) -> bool:
        """A call went unanswered (no-answer, busy, failed, no score keyed, or never reported): schedule the
        next try in the customer's daytime, or the link once the tries are used up. True when it moved."""
        now = self._clock()
        async with self._sessions() as session, session.begin():
            survey = lease_over or await survey_store.get_survey(session, survey_id=survey_id)
            if survey is None or survey.status != SurveyStatus.CALLING.value:
                return False
            if call_sid is not None and survey.call_sid not in (None, call_sid):
                return False  # a callback about an earlier try
            to = await survey_store.recipient(session, k_number=survey.k_number)
            zone = self.config.zone(to.timezone)
            policy = self.config.policy
            again = retry_at(policy, survey.tries, now, survey.closed_at, zone)
            # After the last try the link goes out at once if it is daytime, else at the next daytime slot.
            nxt = again or call_slot(policy, now, survey.closed_at, zone) or now
            return await survey_store.claim(
                session, survey=survey, until=nxt, status=SurveyStatus.SCHEDULED.value, updated_at=now
            )

    async def _send_link(self, session: AsyncSession, survey: SurveyPublic, now: datetime) -> bool:
        expires = now + self.config.policy.link_ttl
        token = make_token(
            secret=self.config.link_secret, purpose=SURVEY_PURPOSE, subject=str(survey.id), expires=expires
        )
        claimed = await survey_store.claim(
            session,
            survey=survey,
            until=expires,
            status=SurveyStatus.LINK_SENT.value,
            token_hash=token_hash(token),
            link_expires_at=expires,
            updated_at=now,
        )
        if claimed:
            # Email or SMS by the account's preference (the notice worker decides at send time).
            await queue_case_notice(
                session,
                number=survey.case_number,
                notice=NoticeKind.SURVEY_LINK,
                actor="survey",
                at=now,
                dedupe_key=f"survey:{survey.id}:link",
                extra={"link": self.config.form_link(token)},
            )
            log.info("survey %s: link queued", survey.id)
        return claimed

    async def _expire_link(self, survey: SurveyPublic) -> None:
        now = self._clock()
        async with self._sessions() as session, session.begin():
            await survey_store.claim(
                session,
                survey=survey,
                until=None,
                status=SurveyStatus.SKIPPED.value,
                skip_reason="no_answer",
                updated_at=now,
            )

    async def _opted_out(self, session: AsyncSession, *, k_number: str, phone: str) -> bool:
        keys = [survey_store.account_key(k_number)] + ([survey_store.phone_key(phone)] if phone else [])
        return await survey_store.opted_out(session, keys=keys)
