"""The survey end to end below the browser: enrolment, the call through Twilio's REST API (faked on loopback),
its signed webhooks, retries, the link, STOP, a reopened case, and the manager's task for a detractor."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from store import surveys as survey_store
from store.db import SessionMaker
from store.models import SurveyFollowUp
from tests.bot.survey.harness import Rig, call_form, survey_rig
from tests.bot.voice.harness import PUBLIC
from tests.store.survey_cases import CUSTOMER, DUE, closed_case


@pytest.fixture
async def rig(session_maker: SessionMaker) -> AsyncIterator[Rig]:
    async with survey_rig(session_maker) as rig:
        yield rig


def _path(url: str) -> str:
    assert url.startswith(PUBLIC), url
    return url[len(PUBLIC) :]


async def _place_call(rig: Rig) -> dict[str, str]:
    rig.clock.now = DUE
    report = await rig.scheduler.run_once()
    assert report.calls == 1, report
    return rig.twilio.calls[-1]


async def test_the_survey_waits_for_the_delay_then_calls_the_customer_in_daytime(rig: Rig) -> None:
    case = await closed_case(rig.sessions)
    report = await rig.scheduler.run_once()  # right after closure: enrolled, not called
    assert (report.enrolled, report.calls) == (1, 0) and rig.twilio.calls == []
    survey = await rig.survey(case.number)
    assert survey.status == "scheduled" and survey.due_at == DUE and survey.agent == "alice"
    rig.clock.now = DUE - timedelta(seconds=1)
    assert (await rig.scheduler.run_once()).calls == 0
    call = await _place_call(rig)
    assert call["To"] == CUSTOMER and call["From"] == "+18005550199"
    assert _path(call["Url"]) == f"/twilio/survey/answer?survey={survey.id}"
    assert _path(call["StatusCallback"]) == f"/twilio/survey/status?survey={survey.id}"
    assert (await rig.survey(case.number)).call_sid == call["Sid"]
    assert (await rig.scheduler.run_once()).calls == 0  # one call per slot, however many rounds


async def test_the_call_asks_0_to_10_then_1_to_5_then_records_a_comment(rig: Rig) -> None:
    case = await closed_case(rig.sessions)
    await rig.scheduler.run_once()
    call = await _place_call(rig)
    sid, answer = call["Sid"], _path(call["Url"])
    status, body = await rig.post(answer, call_form(sid))
    assert status == 200, body
    gather = ET.fromstring(body).find("Gather")
    assert gather is not None and gather.get("numDigits") == "2" and "0 to 10" in (gather.findtext("Say") or "")
    nps_path = _path(gather.get("action", ""))
    status, body = await rig.post(nps_path, call_form(sid, Digits="11"))  # not a score: asked again
    assert status == 200 and "not a score" in body
    status, body = await rig.post(nps_path, call_form(sid, Digits="9"))
    gather = ET.fromstring(body).find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"
    status, body = await rig.post(_path(gather.get("action", "")), call_form(sid, Digits="4"))
    record = ET.fromstring(body).find("Record")
    assert record is not None
    recording = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"
    form = call_form(sid, RecordingUrl=recording, RecordingSid="RE" + "1" * 32)
    status, body = await rig.post(_path(record.get("action", "")), form)
    assert status == 200 and "Thank you" in body
    # A resent webhook changes nothing; the call's end after answers is not a missed try.
    await rig.post(nps_path, call_form(sid, Digits="3"))
    await rig.post(_path(call["StatusCallback"]), call_form(sid, CallStatus="completed"))
    survey = await rig.survey(case.number)
    assert (survey.status, survey.channel, survey.nps, survey.csat) == ("answered", "phone", 9, 4)
    assert survey.recording_url == recording and survey.due_at is None
    async with rig.sessions() as session:
        assert (await survey_store.results(session, by="agent"))[0].group == "alice"


async def test_webhooks_need_twilio_s_signature(rig: Rig) -> None:
    await closed_case(rig.sessions)
    await rig.scheduler.run_once()
    call = await _place_call(rig)
    status, body = await rig.post(_path(call["Url"]), call_form(call["Sid"]), sign_it=False)
    assert status == 403 and "bad_signature" in body
    status, _ = await rig.post("/twilio/sms", {"From": CUSTOMER, "Body": "STOP"}, sign_it=False)
    assert status == 403
    async with rig.sessions() as session:
        assert not await survey_store.opted_out(session, keys=[survey_store.phone_key(CUSTOMER)])


async def test_two_unanswered_calls_then_the_link_goes_out_as_a_notice(rig: Rig) -> None:
    case = await closed_case(rig.sessions)
    await rig.scheduler.run_once()
    first = await _place_call(rig)
    await rig.post(_path(first["StatusCallback"]), call_form(first["Sid"], CallStatus="no-answer"))
    survey = await rig.survey(case.number)
    assert survey.status == "scheduled" and survey.tries == 1 and survey.due_at == DUE + timedelta(hours=4)
    rig.clock.now = survey.due_at
    assert (await rig.scheduler.run_once()).calls == 1
    second = rig.twilio.calls[-1]
    await rig.post(_path(second["StatusCallback"]), call_form(second["Sid"], CallStatus="busy"))
    report = await rig.scheduler.run_once()
    assert (report.calls, report.links) == (0, 1) and len(rig.twilio.calls) == 2
    survey = await rig.survey(case.number)
    assert survey.status == "link_sent" and survey.token_hash
    [notice] = [o for o in await rig.outbox() if o.kind == "notice"]
    assert notice.payload["notice"] == "survey_link"
    link = notice.payload["extra"]["link"]
    assert urlsplit(link).path.startswith("/survey/") and not urlsplit(link).query
    assert (await rig.scheduler.run_once()).links == 0  # once


async def test_a_case_reopened_after_closure_gets_no_survey(rig: Rig) -> None:
    case = await closed_case(rig.sessions, reopen=True)
    await rig.scheduler.run_once()
    rig.clock.now = DUE
    await rig.scheduler.run_once()
    survey = await rig.survey(case.number)
    assert (survey.status, survey.skip_reason) == ("skipped", "reopened") and rig.twilio.calls == []


async def test_a_case_reopened_before_the_call_is_not_called(rig: Rig) -> None:
    from intake.domain import CaseStatus
    from store import cases as case_store

    case = await closed_case(rig.sessions)
    await rig.scheduler.run_once()
    async with rig.sessions() as session, session.begin():
        await case_store.update_case(session, number=case.number, actor="sue", at=DUE, status=CaseStatus.IN_PROGRESS)
    rig.clock.now = DUE
    assert (await rig.scheduler.run_once()).calls == 0
    assert (await rig.survey(case.number)).skip_reason == "reopened" and rig.twilio.calls == []


async def test_stop_by_sms_opts_the_number_out_and_start_opts_it_back_in(rig: Rig) -> None:
    case = await closed_case(rig.sessions)
    await rig.scheduler.run_once()
    status, body = await rig.post("/twilio/sms", {"From": CUSTOMER, "Body": " stop ", "To": "+18005550199"})
    assert status == 200 and "<Response" in body
    rig.clock.now = DUE
    assert (await rig.scheduler.run_once()).calls == 0 and rig.twilio.calls == []
    assert (await rig.survey(case.number)).skip_reason == "opted_out"
    other = await closed_case(rig.sessions, key="case-2", k_number="K654321", closed_at=DUE)
    await rig.scheduler.run_once()
    assert (await rig.survey(other.number)).skip_reason == "opted_out"  # the same phone on another account
    await rig.post("/twilio/sms", {"From": CUSTOMER, "Body": "START"})
    async with rig.sessions() as session:
        assert not await survey_store.opted_out(session, keys=[survey_store.phone_key(CUSTOMER)])


async def test_a_detractor_opens_a_task_for_the_manager_and_mails_them(rig: Rig) -> None:
    case = await closed_case(rig.sessions)
    await rig.scheduler.run_once()
    call = await _place_call(rig)
    await rig.post(_path(call["Url"]), call_form(call["Sid"]))
    await rig.post(
        f"/twilio/survey/nps?survey={(await rig.survey(case.number)).id}", call_form(call["Sid"], Digits="6")
    )
    async with rig.sessions() as session:
        [task] = (await session.exec(select(SurveyFollowUp))).all()
    assert (task.case_number, task.reason, task.status) == (case.number, "detractor", "open")
    [mail] = [o for o in await rig.outbox() if o.kind == "staff_mail"]
    assert mail.payload["to"] == ["manager@example.test"] and case.number in mail.payload["subject"]


async def test_a_promoter_opens_no_task(rig: Rig) -> None:
    case = await closed_case(rig.sessions)
    await rig.scheduler.run_once()
    call = await _place_call(rig)
    await rig.post(_path(call["Url"]), call_form(call["Sid"]))
    await rig.post(
        f"/twilio/survey/nps?survey={(await rig.survey(case.number)).id}", call_form(call["Sid"], Digits="10")
    )
    async with rig.sessions() as session:
        assert (await session.exec(select(SurveyFollowUp))).all() == []


async def test_a_call_with_another_sid_cannot_answer_the_survey(rig: Rig) -> None:
    case = await closed_case(rig.sessions)
    await rig.scheduler.run_once()
    call = await _place_call(rig)
    status, body = await rig.post(_path(call["Url"]), call_form("CA" + "f" * 32))
    assert status == 200 and "Sorry to have troubled you" in body
    assert (await rig.survey(case.number)).nps is None
    assert parse_qs(urlsplit(call["Url"]).query)["survey"] == [str((await rig.survey(case.number)).id)]
