"""The phone line through the real IntakeBot: whole calls over signed /twilio/* webhooks, checked on the
TwiML the caller would hear and on what the store kept.

Wording is changing, so the assertions hold to the meaning: severities, digits read one by one, who is
dialled, which keys the prompt itself offers.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from intake.domain import CaseStatus, Channel, Outcome, Severity
from store import cases as case_store
from store.accounts import import_accounts_csv
from store.models import CaseCounter, CasePublic
from tests.bot.voice.real_harness import (
    ONCALL,
    PUBLIC,
    SUNDAY_3AM,
    SUPPORT,
    TUESDAY_10AM,
    Call,
    PhoneLine,
    gather_of,
    key_for,
    masked,
    phone_line,
    reads_out,
    said,
)
from tests.store.helpers import new_case

OWNER = "K123456"
OTHER = "K654321"
KNOWN_CALLER = "+12025550143"  # Dana's number, on account K123456
OUTAGE = "Our whole system is down, nobody at any site can log in"
COSMETIC = "the logo on our printed reports is blurry, only for me"


@pytest.fixture
async def night(db_url: str) -> AsyncIterator[PhoneLine]:
    """The service at 3 a.m. Eastern on a Sunday (live chat closed, on-call engineers only)."""
    async with phone_line(db_url, SUNDAY_3AM) as line:
        yield line


@pytest.fixture
async def day(db_url: str) -> AsyncIterator[PhoneLine]:
    """The service at 10 a.m. Eastern on a Tuesday."""
    async with phone_line(db_url, TUESDAY_10AM) as line:
        yield line


async def _know_dana(line: PhoneLine) -> None:
    rows = f"k_number,name,phones\n{OWNER},Dana Whitfield,+1 202 555 0143\n{OTHER},Eve Marsh,+1 212 555 0188\n"
    assert await import_accounts_csv(line.sessions, rows) == 2


async def _open_case(line: PhoneLine) -> CasePublic:
    """A Sev2 of K123456 that an engineer is working on."""
    case = await new_case(line.sessions, "seeded-1", k_number=OWNER, severity=Severity.SEV2)
    async with line.sessions() as session, session.begin():
        case = await case_store.update_case(
            session, number=case.number, actor="engineer", at=case.created_at, status=CaseStatus.IN_PROGRESS
        )
    return case


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


def _whisper(call: Call) -> tuple[str, dict[str, list[str]]]:
    """The whisper URL of the number the last <Dial> rings: without its query, and its query."""
    number = call.dial().find("Number")
    url = number.get("url") if number is not None else None
    assert url, "no whisper URL"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", parse_qs(parts.query)


def _dialled(call: Call) -> list[str]:
    return [(number.text or "").strip() for number in call.dial().iter("Number")]


# --- 1. Sev1 at night: the dial chain, voicemail, escalation and page ----------------------------------


async def test_a_sev1_at_night_rings_each_engineer_then_takes_a_voicemail_and_escalates(night: PhoneLine) -> None:
    call = night.call()
    greeting = await call.answer()
    ask = gather_of(greeting)
    assert set((ask.get("input") or "").split()) == {"speech", "dtmf"}
    assert ask.get("finishOnKey") == "#"  # the K# is keyed in, then pound
    assert "account" in said(greeting).lower()

    thanks = await call.keys("123456#")
    assert reads_out(said(thanks), OWNER)  # "K 1 2 3 4 5 6": the K is implied on the keypad
    assert "speech" in (gather_of(thanks).get("input") or "")

    proposal = await call.says(OUTAGE, confidence=0.93)
    assert "severity 1" in said(proposal).lower()
    assert gather_of(proposal).get("numDigits") == "1"
    assert await night.cases() == []  # nothing is filed before the caller confirms

    connect = await call.keys("1")
    [case] = await night.cases()
    assert (case.k_number, case.severity, case.status) == (OWNER, Severity.SEV1, CaseStatus.NEW)
    assert (case.channel, case.outcome) == (Channel.PHONE, Outcome.PHONE_ENGINEER)
    assert "down" in case.summary.lower()
    assert case.conversation_id == call.sid
    assert reads_out(said(connect), case.number)
    assert connect.find("Gather") is None and connect.find("Hangup") is None
    assert _dialled(call) == [ONCALL[0]]
    assert call.dial().get("callerId") == SUPPORT
    assert _whisper(call) == (PUBLIC + "/twilio/whisper", {"case": [case.number], "attempt": ["0"]})
    assert await night.pages() == []  # an engineer is being rung: no page yet

    # The first engineer's voicemail picks up: it hears the case, is asked to press 1, presses nothing and is
    # hung up on; the dial "completed", but nobody took the call, so the next engineer is rung.
    briefing = said(await call.whisper())
    assert reads_out(briefing, case.number) and reads_out(briefing, OWNER)
    assert "whole system is down" in briefing.lower() and "press 1 to take the call" in briefing.lower()
    assert [c.tag for c in await call.engineer_presses("")] == ["Say", "Hangup"]

    await call.dial_ends("completed")
    assert _dialled(call) == [ONCALL[1]]
    assert _whisper(call)[1] == {"case": [case.number], "attempt": ["1"]}
    assert (await night.case(case.number)).first_response_at is None
    assert (await night.case(case.number)).status is CaseStatus.NEW
    assert await night.pages() == []

    voicemail = await call.dial_ends("no-answer")
    assert voicemail.find("Dial") is None
    record = voicemail.find("Record")
    assert record is not None and record.get("action") == PUBLIC + "/twilio/voicemail"
    assert reads_out(said(voicemail), case.number)
    assert (await night.case(case.number)).status is CaseStatus.ESCALATED

    recording = "https://api.twilio.com/2010-04-01/Accounts/AC00/Recordings/RE0123456789abcdef0123456789abcdef"
    saved = await call.records(recording, seconds=17)
    assert saved.find("Hangup") is not None
    assert reads_out(said(saved), case.number)

    ended = await call.hangs_up()
    assert list(ended) == []  # a status callback: nothing to play

    case = await night.case(case.number)
    assert (case.severity, case.status) == (Severity.SEV1, CaseStatus.ESCALATED)
    events = await night.events(case.number)
    escalations = [e.detail for e in events if e.kind == "status_changed"]
    assert [(d["from"], d["to"]) for d in escalations] == [("new", "escalated")]
    [voicemail_event] = [e for e in events if e.kind == "voicemail"]
    assert voicemail_event.detail == {"recording_url": recording, "duration": 17}
    assert [e.kind for e in events].count("page_queued") == 1
    [page] = await night.pages()  # one page, even though two paths (no answer, hang-up) could queue one
    assert (page.kind, page.status, page.case_id) == ("sms_page", "pending", case.id)
    assert page.payload["k_number"] == OWNER
    attempts = await night.dial_attempts(call.sid)
    assert [(a.attempt, a.number, a.status, a.case_number) for a in attempts] == [
        (0, ONCALL[0], "not_accepted", case.number),
        (1, ONCALL[1], "no-answer", case.number),
    ]


async def test_a_sev1_engineer_who_presses_1_takes_the_call_and_answers_the_case(night: PhoneLine) -> None:
    call = night.call()
    await call.answer()
    await call.keys("123456#")
    await call.says(OUTAGE, confidence=0.93)
    await call.keys("1")
    [case] = await night.cases()
    await call.whisper()
    taken = await call.engineer_presses("1")
    assert list(taken) == []  # nothing more for the engineer: Twilio puts the caller through
    goodbye = await call.dial_ends("completed")  # the bridged call ended
    assert goodbye.find("Hangup") is not None and goodbye.find("Dial") is None
    answered = await night.case(case.number)
    assert answered.first_response_at is not None and answered.status is CaseStatus.NEW
    assert [(a.attempt, a.status) for a in await night.dial_attempts(call.sid)] == [(0, "accepted")]
    assert await night.pages() == []  # a person took it: nobody is paged


# --- 2. Sev3 by day: a web support request, its number read back ---------------------------------------


async def test_a_sev3_by_day_is_filed_as_a_web_request_and_its_number_read_back_digit_by_digit(day: PhoneLine) -> None:
    call = day.call()
    await call.answer()
    await call.keys("123456")
    proposal = await call.says(COSMETIC, confidence=0.88)
    assert "severity 3" in said(proposal).lower()

    filed = await call.says("yes, that's right")
    [case] = await day.cases()
    assert (case.k_number, case.severity, case.status) == (OWNER, Severity.SEV3, CaseStatus.NEW)
    assert (case.channel, case.outcome) == (Channel.PHONE, Outcome.WEB_REQUEST)
    assert case.created_at == TUESDAY_10AM
    assert case.fix_due is not None and TUESDAY_10AM < case.response_due < case.fix_due
    heard = said(filed)
    assert reads_out(heard, case.number) and case.number not in heard
    assert "severity 3" in heard.lower()
    assert filed.find("Dial") is None
    gather_of(filed)  # the caller is asked whether there is anything else
    assert await day.pages() == []  # only a Sev1 pages anyone
    assert "page_queued" not in [e.kind for e in await day.events(case.number)]

    goodbye = await call.says("no thanks")
    assert goodbye.find("Hangup") is not None
    assert len(await day.cases()) == 1


# --- 3. Status lookups by phone ------------------------------------------------------------------------


async def test_a_caller_hears_status_and_severity_of_their_case_after_keying_in_the_k_number(day: PhoneLine) -> None:
    case = await _open_case(day)
    call = day.call()
    await call.answer()
    ask_account = await call.says("I'd like an update on my case")
    assert gather_of(ask_account).get("finishOnKey") == "#"
    assert "account" in said(ask_account).lower()
    ask_number = await call.keys("123456")
    assert gather_of(ask_number).get("finishOnKey") == "#"
    assert "case number" in said(ask_number).lower()

    told = await call.keys(_digits(case.number))
    heard = said(told).lower()
    assert reads_out(heard, case.number)
    assert "severity 2" in heard and "in progress" in heard
    gather_of(told)  # and the call goes on
    assert [c.status for c in await day.cases()] == [CaseStatus.IN_PROGRESS]


async def test_the_ten_thousandth_case_of_a_month_can_be_keyed_in(day: PhoneLine) -> None:
    seeded = await new_case(day.sessions, "seeded-0", k_number=OWNER)
    async with day.sessions() as session, session.begin():
        counter = await session.get(CaseCounter, seeded.number.split("-")[0])
        assert counter is not None
        counter.seq = 9999  # the month's 9,999 cases before it
        session.add(counter)
    case = await new_case(day.sessions, "seeded-10000", k_number=OWNER)
    assert case.number.endswith("-10000")
    call = day.call()
    await call.answer()
    await call.says("I'd like an update on my case")
    ask_number = await call.keys("123456")
    assert int(gather_of(ask_number).get("numDigits", "0")) >= len(_digits(case.number))

    told = await call.keys(_digits(case.number) + "#")
    assert reads_out(said(told), case.number)
    assert "severity 2" in said(told).lower()


async def test_a_caller_whose_number_is_on_the_account_is_greeted_by_name_and_not_asked_the_k_number(
    day: PhoneLine,
) -> None:
    await _know_dana(day)
    case = await _open_case(day)
    call = day.call(KNOWN_CALLER)
    greeting = await call.answer()
    assert "Dana Whitfield" in said(greeting)
    assert reads_out(said(greeting), OWNER)  # "is your account number K 1 2 3 4 5 6?"
    assert gather_of(greeting).get("numDigits") == "1"  # a yes/no, not a K# to key in

    await call.keys(key_for(said(greeting), "yes"))
    told = await call.says(f"what's the status of case {case.number.replace('-', ' ')}")
    heard = said(told).lower()
    assert reads_out(heard, case.number)
    assert "severity 2" in heard and "in progress" in heard


async def _dana_asks_straight_away(day: PhoneLine, besides: str = "") -> tuple[Call, CasePublic, str]:
    """Dana calls from her number and asks at once after her open case (saying `besides` too): what she hears."""
    await _know_dana(day)
    case = await _open_case(day)
    call = day.call(KNOWN_CALLER)
    await call.answer()
    told = await call.says(f"what's the status of case {case.number.replace('-', ' ')} {besides}".strip())
    return call, case, said(told)


async def test_a_known_caller_asking_straight_away_hears_the_status_without_giving_the_k_number(
    day: PhoneLine,
) -> None:
    _, case, told = await _dana_asks_straight_away(day)
    heard = told.lower()
    assert reads_out(heard, case.number)
    assert "severity 2" in heard and "in progress" in heard


async def test_a_known_caller_telling_a_new_problem_with_a_status_question_has_it_filed_after_the_status(
    day: PhoneLine,
) -> None:
    call, case, told = await _dana_asks_straight_away(day, f"also {COSMETIC}")
    assert "severity 2" in told.lower() and "You also mentioned a problem" in told  # the status, then the problem
    confirm = said(await call.keys(key_for(told, "yes")))
    assert reads_out(confirm, OWNER)  # caller ID vouched for the lookup; a new case needs the account confirmed
    proposal = said(await call.keys(key_for(confirm, "yes")))
    assert "severity 3" in proposal.lower()
    await call.says("yes, that's right")
    new = [c for c in await day.cases() if c.number != case.number]
    assert [(c.k_number, c.severity, c.channel) for c in new] == [(OWNER, Severity.SEV3, Channel.PHONE)]
    assert "blurry" in new[0].summary.lower()


async def test_a_wrong_k_number_hears_the_same_answer_as_a_missing_case(day: PhoneLine) -> None:
    case = await _open_case(day)  # K123456's
    missing = case.number[:5] + "0099"
    answers = []
    for number in (case.number, missing):
        call = day.call()
        await call.answer()
        await call.says("status of my case please")
        await call.keys(_digits(OTHER))
        told = await call.keys(_digits(number))
        answers.append(masked(told, [number, OTHER]))
        heard = said(told).lower()
        assert reads_out(heard, number)
        assert "severity" not in heard and "dictation" not in heard  # nothing of K123456's case leaks
    assert answers[0] == answers[1]


async def _look_up(call: Call, number: str) -> str:
    """Ask, mid-call, for the status of `number` (the K# is known by then); return what is said."""
    return said(await call.says(f"status of case {number.replace('-', ' ')}")).lower()


_PAUSED = re.compile(r"\b\d+\s+(?:minute|hour)s?\b")  # "try again in about 15 minutes"


async def test_a_caller_guessing_case_numbers_is_paused_after_five_misses_in_one_call(day: PhoneLine) -> None:
    await _open_case(day)
    call = day.call()
    await call.answer()
    await call.says("status of case 2611 0101")
    told = said(await call.keys("123456")).lower()
    assert reads_out(told, "2611-0101") and not _PAUSED.search(told)
    for guess in range(102, 106):
        told = await _look_up(call, f"2611-0{guess}")
        assert not _PAUSED.search(told)
    paused = await _look_up(call, "2611-0106")  # the sixth miss in this call
    assert _PAUSED.search(paused), paused


async def test_one_number_guessing_case_numbers_over_many_calls_is_paused_after_twenty_misses(
    day: PhoneLine,
) -> None:
    await _open_case(day)
    guesses = iter(f"2611-{n:04d}" for n in range(200, 300))
    for _ in range(5):  # four misses a call stays under the per-call limit: 20 misses in all
        call = day.call()
        await call.answer()
        await call.says(f"status of case {next(guesses).replace('-', ' ')}")
        assert not _PAUSED.search(said(await call.keys("654321")).lower())
        for _ in range(3):
            assert not _PAUSED.search(await _look_up(call, next(guesses)))
        await call.hangs_up()
    call = day.call()
    await call.answer()
    await call.says(f"status of case {next(guesses).replace('-', ' ')}")
    paused = said(await call.keys("654321")).lower()
    assert _PAUSED.search(paused), paused


# --- 4. Keypad and speech: the same answer, the same outcome ------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One answer to a yes/no or choice prompt, given on the keypad by one caller and said by another."""

    lead: tuple[tuple[str, str], ...]  # ("keys" | "says", value): the turns that reach the prompt
    meanings: tuple[str, ...]  # the choice as the prompt names it; its key is read from the prompt
    speech: str
    hears: str  # a regex (lower case) of what the next TwiML says
    files: Severity | None = None
    hangs_up: bool = False
    caller: str = "+14155552671"


TO_SEVERITY = (("keys", "123456"), ("says", COSMETIC))  # Severity 3 proposed

ANSWERS = {
    "yes, the account on file": Answer((), ("yes",), "yes", r"problem", caller=KNOWN_CALLER),
    "no, not the account on file": Answer((), ("no",), "no", r"account", caller=KNOWN_CALLER),
    # Seven words or more: a shorter message is not settled on a single answer (intake/severity_policy.py).
    "a guided question's choice": Answer(
        (("keys", "123456"), ("says", "the viewer is not working right now, please help")),
        ("just one user",),
        "just one user",
        r"severity 3",
    ),
    "yes to the severity proposed": Answer(
        TO_SEVERITY, ("yes", "severity 3"), "yes", r"severity 3", files=Severity.SEV3
    ),
    "another severity instead": Answer(
        TO_SEVERITY, ("severity 2",), "severity two", r"severity 2", files=Severity.SEV2
    ),
    "a severity picked after a no": Answer(
        (*TO_SEVERITY, ("says", "no")), ("severity 4",), "severity four", r"severity 4", files=Severity.SEV4
    ),
    "that's all, after filing": Answer(
        (*TO_SEVERITY, ("says", "yes")), ("that's all",), "that's all", r"goodbye", hangs_up=True
    ),
}


@pytest.mark.parametrize("answer", list(ANSWERS.values()), ids=list(ANSWERS))
async def test_keypad_and_speech_answers_to_a_prompt_give_the_same_outcome(day: PhoneLine, answer: Answer) -> None:
    await _know_dana(day)
    keyed, spoken = day.call(answer.caller), day.call(answer.caller)
    for call in (keyed, spoken):
        await call.answer()
        for how, value in answer.lead:
            await (call.keys(value) if how == "keys" else call.says(value))
    assert keyed.last is not None and spoken.last is not None
    before = [c.number for c in await day.cases()]  # filed on the way (each call its own number)
    assert masked(keyed.last, before) == masked(spoken.last, before)  # the same prompt
    prompt = said(keyed.last)

    by_key = await keyed.keys(key_for(prompt, *answer.meanings))
    by_voice = await spoken.says(answer.speech, confidence=0.87)

    new = [c for c in await day.cases() if c.number not in before]
    numbers = [c.number for c in new]
    assert masked(by_key, numbers) == masked(by_voice, numbers)
    assert re.search(answer.hears, said(by_key).lower()), said(by_key)
    assert (by_key.find("Hangup") is not None) == answer.hangs_up
    filed = {c.conversation_id: c for c in new}
    if answer.files is None:
        assert filed == {}
        return
    assert set(filed) == {keyed.sid, spoken.sid}
    for document, case in ((by_key, filed[keyed.sid]), (by_voice, filed[spoken.sid])):
        assert (case.severity, case.status, case.outcome) == (answer.files, CaseStatus.NEW, Outcome.WEB_REQUEST)
        assert reads_out(said(document), case.number)
    corrections = [
        [e.detail for e in await day.events(filed[sid].number) if e.kind == "severity_changed"]
        for sid in (keyed.sid, spoken.sid)
    ]
    assert corrections[0] == corrections[1]
    if answer.files is not Severity.SEV3:
        assert [(d["from"], d["to"]) for d in corrections[0]] == [(3, int(answer.files))]
