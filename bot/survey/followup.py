"""After an answer: an unhappy customer opens a task for the support manager, shown in the console and mailed
to SUPERVISOR_EMAILS, in the transaction that stores the answer, so the manager hears before anyone else
contacts the customer."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.survey.config import SurveyConfig
from intake.survey import NpsClass, needs_follow_up, nps_class
from store import surveys as survey_store
from store.models import SurveyPublic
from store.notices import queue_staff_mail

log = logging.getLogger(__name__)


async def follow_up_if_unhappy(
    session: AsyncSession, *, config: SurveyConfig, survey: SurveyPublic, now: datetime
) -> bool:
    """Open the manager's task (once per survey) when the answers need it; True when one was opened now."""
    if not needs_follow_up(nps=survey.nps, comment=survey.comment):
        return False
    reason = (
        "detractor" if survey.nps is not None and nps_class(survey.nps) is NpsClass.DETRACTOR else "would_not_recommend"
    )
    if not await survey_store.open_follow_up(session, survey=survey, reason=reason, now=now):
        return False
    # Staff mail carries the case number and the scores (what the manager needs to call), never the comment.
    score = "no score" if survey.nps is None else f"{survey.nps}/10"
    csat = "" if survey.csat is None else f", satisfaction {survey.csat}/5"
    await queue_staff_mail(
        session,
        to=config.supervisors,
        subject=f"Survey follow-up: case {survey.case_number} ({reason.replace('_', ' ')})",
        text=(
            f"The customer of case {survey.case_number} (account {survey.k_number}, severity {survey.severity}) "
            f"answered the survey: recommendation {score}{csat}. Please contact them before anyone else does; "
            f"the task is in the console's survey page ({config.voice.url('/agent/surveys')})."
        ),
        at=now,
        dedupe_key=f"survey:{survey.id}:follow-up",
        case_id=survey.case_id,
    )
    log.info("survey %s: follow-up task opened (%s)", survey.id, reason)
    return True
