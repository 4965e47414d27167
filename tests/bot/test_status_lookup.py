"""Case status lookups through the effect runner: failed lookups are throttled per conversation, per client
address and per case number, in the database (shared by processes); a matching caller ID stands for the K#."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ConversationAccount

from bot.contract import VOICE_CHANNEL_ID
from bot.effects import (
    LOOKUP_ADDRESS_LIMIT,
    LOOKUP_CASE_LIMIT,
    LOOKUP_CONVERSATION_LIMIT,
    EffectRunner,
    client_address_of,
)
from intake import conversation as convo
from intake.dialogue_events import CaseLookup, Context, LookupCase, UserTurn
from intake.dialogue_state import State
from intake.domain import Channel
from intake.policy import Policy
from store.accounts import import_accounts_csv
from store.db import SessionMaker, create_engine, session_factory
from store.jobs import Jobs
from tests.store.helpers import T0, new_case

POLICY = Policy()
OWNER = "K123456"
CALLER = "+12125550147"


@dataclass
class Desk:
    """An effect runner on the test's database, and the case K123456 owns."""

    runner: EffectRunner
    number: str

    async def lookup(
        self,
        k_number: str,
        *,
        number: str | None = None,
        conversation: str = "conv-1",
        address: str | None = None,
        caller: str | None = None,
        at: datetime = T0,
    ) -> CaseLookup:
        """One LookupCase effect as a turn of `conversation` runs it; by caller ID when `caller` is given."""
        channel_data: dict[str, Any] = {}
        if address is not None:
            channel_data["intake_client"] = {"address": address}
        if caller is not None:
            channel_data["twilio"] = {"from": caller}
        activity = Activity(
            type=ActivityTypes.message,
            channel_id=VOICE_CHANNEL_ID if caller is not None else "directline",
            conversation=ConversationAccount(id=conversation),
            channel_data=channel_data,
        )
        ctx = Context(POLICY, Channel.PHONE if caller is not None else Channel.CHAT, conversation)
        effect = LookupCase(number or self.number, k_number, at, by_caller_id=caller is not None)
        outcome = await self.runner.run(TurnContext(TestAdapter(), activity), ctx, State(), effect)
        assert isinstance(outcome.result, CaseLookup)
        return outcome.result


@pytest.fixture
async def desk(session_maker: SessionMaker, jobs: Jobs) -> Desk:
    case = await new_case(jobs, "k1", k_number=OWNER)
    return Desk(EffectRunner(session_maker=session_maker, jobs=jobs, policy=POLICY), case.number)


def _wrong(n: int) -> str:
    return f"K{900000 + n}"


async def test_guessing_the_k_number_of_a_case_is_stopped_in_its_conversation(desk: Desk) -> None:
    for n in range(LOOKUP_CONVERSATION_LIMIT.attempts):
        answer = await desk.lookup(_wrong(n))
        assert answer.case is None and answer.retry_after is None
    # The right K# after the guesses: refused like any other, without a look at the case.
    answer = await desk.lookup(OWNER, at=T0 + timedelta(minutes=1))
    assert answer.case is None and answer.retry_after == LOOKUP_CONVERSATION_LIMIT.window - timedelta(minutes=1)
    answer = await desk.lookup(OWNER, at=T0 + LOOKUP_CONVERSATION_LIMIT.window)
    assert answer.case is not None and answer.case.number == desk.number


async def test_guesses_at_one_case_from_many_conversations_meet_the_per_case_limit(desk: Desk, jobs: Jobs) -> None:
    other = await new_case(jobs, "k2", k_number=OWNER)
    for n in range(LOOKUP_CASE_LIMIT.attempts):
        assert (await desk.lookup(_wrong(n), conversation=f"guess-{n}")).retry_after is None
    answer = await desk.lookup(OWNER, conversation="the-owner")
    assert answer.case is None and answer.retry_after is not None
    # Other cases, and the same conversation asking about them, are not held up.
    answer = await desk.lookup(OWNER, number=other.number, conversation="the-owner")
    assert answer.case is not None and answer.case.number == other.number


async def test_one_address_guessing_across_conversations_and_cases_meets_the_per_address_limit(desk: Desk) -> None:
    for n in range(LOOKUP_ADDRESS_LIMIT.attempts):
        # A new conversation and another case number each time: only the address ties them together.
        answer = await desk.lookup(OWNER, number=f"2612-{n:04d}", conversation=f"c{n}", address="203.0.113.9")
        assert answer.case is None and answer.retry_after is None
    answer = await desk.lookup(OWNER, conversation="fresh", address="203.0.113.9")
    assert answer.retry_after is not None
    answer = await desk.lookup(OWNER, conversation="fresh", address="198.51.100.4")
    assert answer.case is not None


async def test_lookups_that_find_the_case_are_not_counted(desk: Desk) -> None:
    for _ in range(2 * LOOKUP_CASE_LIMIT.attempts):
        assert (await desk.lookup(OWNER, address="203.0.113.9")).case is not None
    for n in range(LOOKUP_CONVERSATION_LIMIT.attempts):
        assert (await desk.lookup(_wrong(n))).retry_after is None


async def test_processes_share_the_limits(desk: Desk, db_url: str) -> None:
    engine = create_engine(db_url)
    jobs = Jobs(engine)
    try:
        other = Desk(EffectRunner(session_maker=session_factory(engine), jobs=jobs, policy=POLICY), desk.number)
        for n in range(LOOKUP_CASE_LIMIT.attempts):
            assert (await (desk, other)[n % 2].lookup(_wrong(n), conversation=f"guess-{n}")).retry_after is None
        assert (await other.lookup(OWNER, conversation="the-owner")).retry_after is not None
        assert (await desk.lookup(OWNER, conversation="the-owner")).retry_after is not None
    finally:
        await jobs.aclose()
        await engine.dispose()


async def test_a_caller_whose_number_is_the_accounts_needs_no_k_number(
    desk: Desk, session_maker: SessionMaker, jobs: Jobs
) -> None:
    await import_accounts_csv(session_maker, f"k_number,name,phones\n{OWNER},Dana,{CALLER}\nK654321,Eve,+12125550188\n")
    found = await desk.lookup(OWNER, caller=CALLER, conversation="call-1")
    assert found.case is not None and found.case.number == desk.number
    # Another account's number does not open this account's case, nor does a withheld one...
    for caller in ("+12125550188", "anonymous"):
        answer = await desk.lookup(OWNER, caller=caller, conversation=f"call-{caller}")
        assert answer.case is None and answer.retry_after is None
    # ...and a caller ID vouches only for the account it belongs to.
    other = await new_case(jobs, "k3", k_number="K654321")
    answer = await desk.lookup(OWNER, number=other.number, caller=CALLER, conversation="call-2")
    assert answer.case is None


async def test_the_client_address_comes_from_the_gateway_or_the_caller_id() -> None:
    def activity(channel: str, data: object) -> Activity:
        return Activity(type=ActivityTypes.message, channel_id=channel, channel_data=data)

    assert client_address_of(activity("directline", {"intake_client": {"address": "203.0.113.9"}})) == "203.0.113.9"
    assert client_address_of(activity(VOICE_CHANNEL_ID, {"twilio": {"from": CALLER}})) == CALLER
    for data in (None, {}, {"intake_client": "x"}, {"intake_client": {"address": 7}}, {"intake_client": {}}):
        assert client_address_of(activity("directline", data)) is None
    assert client_address_of(activity("directline", {"intake_client": {"address": "x" * 500}})) is None


async def test_a_chat_customer_is_told_plainly_when_lookups_are_paused(desk: Desk) -> None:
    # The dialogue and the effect runner together, as a turn runs them.
    ctx = Context(POLICY, Channel.CHAT, "conv-1")
    state = State()
    told = ""
    for n in range(LOOKUP_CONVERSATION_LIMIT.attempts + 1):
        k_number = OWNER if n == LOOKUP_CONVERSATION_LIMIT.attempts else _wrong(n)
        step = convo.step(ctx, state, UserTurn(T0, f"status of case {desk.number} {k_number}"))
        (effect,) = step.effects
        assert isinstance(effect, LookupCase)
        result = await desk.lookup(effect.k_number, number=effect.number)
        step = convo.step(ctx, step.state, result)
        state, told = step.state, " ".join(p.text for p in step.prompts)
    assert "paused" in told and "try again in about 15 minutes" in told and "Severity" not in told
