"""The survey's web form at /survey/{token}: the token (bot/links.py, signed, naming the survey and its expiry)
is the only thing in the URL; GET shows the form, POST stores the answers once. A forged token gets 404, a
used one 410, an expired one 410, a survey no longer open (the case reopened, STOP) 410, bad answers 400:
each a page saying why, in the browser's language."""

from __future__ import annotations

import html
import logging

from aiohttp import web

from bot.forms import read_form
from bot.links import BadLinkError, read_token
from bot.survey.config import SURVEY_PURPOSE, SurveyConfig
from bot.survey.followup import follow_up_if_unhappy
from bot.survey.scheduler import token_hash
from intake import wording_survey as words
from intake.clock import Clock
from intake.survey import (
    MAX_COMMENT_CHARS,
    Eligibility,
    InvalidAnswerError,
    clean_comment,
    eligibility,
    parse_csat,
    parse_nps,
)
from store import surveys as survey_store
from store.db import SessionMaker, read_session
from store.models import SurveyPublic, SurveyStatus

log = logging.getLogger(__name__)

_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the token must not leak to another site
    "Cache-Control": "no-store",
}


class SurveyForm:
    """GET and POST /survey/{token}."""

    def __init__(self, *, config: SurveyConfig, sessions: SessionMaker, clock: Clock) -> None:
        self.config = config
        self._sessions = sessions
        self._clock = clock

    async def show(self, request: web.Request) -> web.Response:
        """The form, or the page saying why not."""
        locale = _locale(request)
        survey, refusal = await self._open_survey(request, locale)
        if survey is None:
            return refusal
        return _page(self._form(survey, request.match_info["token"], locale), status=200, locale=locale)

    async def submit(self, request: web.Request) -> web.Response:
        """Store the answers once, open the manager's task for an unhappy customer, and thank them."""
        locale = _locale(request)
        survey, refusal = await self._open_survey(request, locale)
        if survey is None:
            return refusal
        form = await read_form(request)
        try:
            nps = parse_nps(form.get("nps", ""))
        except InvalidAnswerError:
            return _page(_message(words.form_bad_nps(locale)), status=400, locale=locale)
        try:
            csat = parse_csat(form.get("csat", ""))
        except InvalidAnswerError:
            return _page(_message(words.form_bad_csat(locale)), status=400, locale=locale)
        try:
            comment = clean_comment(form.get("comment", ""))
        except InvalidAnswerError:
            return _page(_message(words.form_bad_comment(MAX_COMMENT_CHARS, locale)), status=400, locale=locale)
        now = self._clock()
        digest = token_hash(request.match_info["token"])
        async with self._sessions() as session, session.begin():
            if not await survey_store.answer_by_link(
                session, token_hash=digest, nps=nps, csat=csat, comment=comment, now=now
            ):
                return _page(_message(words.form_used(locale)), status=410, locale=locale)
            answered = await survey_store.get_survey(session, survey_id=survey.id)
            assert answered is not None
            await follow_up_if_unhappy(session, config=self.config, survey=answered, now=now)
        log.info("survey %s answered on the web", survey.id)
        return _page(_message(words.form_thanks(locale)), status=200, locale=locale)

    async def _open_survey(self, request: web.Request, locale: str | None) -> tuple[SurveyPublic | None, web.Response]:
        token, now = request.match_info["token"], self._clock()
        async with read_session(self._sessions) as session:
            survey = await survey_store.survey_by_token(session, token_hash=token_hash(token))
            try:
                subject = read_token(token, secret=self.config.link_secret, purpose=SURVEY_PURPOSE, now=now)
            except BadLinkError:
                expired = survey is not None and survey.link_expires_at is not None and survey.link_expires_at <= now
                if expired:
                    return None, _page(_message(words.form_expired(locale)), status=410, locale=locale)
                return None, _page(_message(words.form_invalid(locale)), status=404, locale=locale)
            if survey is None or str(survey.id) != subject:
                return None, _page(_message(words.form_invalid(locale)), status=404, locale=locale)
            if survey.status == SurveyStatus.ANSWERED.value:
                return None, _page(_message(words.form_used(locale)), status=410, locale=locale)
            if survey.link_expires_at is not None and survey.link_expires_at <= now:
                return None, _page(_message(words.form_expired(locale)), status=410, locale=locale)
            facts, _ = await survey_store.closed_case(session, case_id=survey.case_id)
            verdict = eligibility(self.config.policy, facts, now)
            if survey.status != SurveyStatus.LINK_SENT.value or verdict in (
                Eligibility.REOPENED,
                Eligibility.NOT_CLOSED,
            ):
                return None, _page(_message(words.form_closed(locale)), status=410, locale=locale)
        return survey, web.Response()

    def _form(self, survey: SurveyPublic, token: str, locale: str | None) -> str:
        w = words.form_words(self.config.company, survey.case_number, locale)
        e = html.escape
        nps = "".join(f'<label><input type="radio" name="nps" value="{n}" required> {n}</label> ' for n in range(0, 11))
        csat = "".join(
            f'<label><input type="radio" name="csat" value="{n}" required> {n}</label> ' for n in range(1, 6)
        )
        return (
            f"<h1>{e(w.title)}</h1><p>{e(w.intro)}</p>"
            f'<form method="post" action="/survey/{e(token)}">'
            f"<fieldset><legend>{e(w.nps)}</legend><p>{e(w.nps_low)} … {e(w.nps_high)}</p>{nps}</fieldset>"
            f"<fieldset><legend>{e(w.csat)}</legend><p>{e(w.csat_low)} … {e(w.csat_high)}</p>{csat}</fieldset>"
            f'<p><label for="comment">{e(w.comment)}</label><br>'
            f'<textarea id="comment" name="comment" rows="5" cols="60" maxlength="{MAX_COMMENT_CHARS}"></textarea></p>'
            f'<p><button type="submit">{e(w.send)}</button></p></form>'
        )


def _message(text: str) -> str:
    return f'<p id="message">{html.escape(text)}</p>'


def _page(body: str, *, status: int, locale: str | None) -> web.Response:
    title = html.escape(words.form_title(locale))
    document = (
        f'<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{title}</title></head><body>{body}</body></html>"
    )
    return web.Response(text=document, status=status, content_type="text/html", charset="utf-8", headers=_HEADERS)


def _locale(request: web.Request) -> str | None:
    """The browser's first language (Accept-Language), for the catalog; junk falls back to English there."""
    first = request.headers.get("Accept-Language", "").split(",")[0].split(";")[0].strip()
    return first[:35] or None
