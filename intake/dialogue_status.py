"""A case's status asked after, at any point: the K# and case number, the lookup, then back to the intake."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from intake import understanding
from intake import wording as w
from intake.dialogue_events import CaseLookup, Context, LookupCase, Step, UserTurn
from intake.dialogue_intake import assess, have_account
from intake.dialogue_questions import account_in, ask, retry, yes_no
from intake.dialogue_state import AgentOffer, Phase, State, StatusCheck
from intake.dialogue_text import with_problem
from intake.domain import HandoffReason
from intake.prompts import Prompt
from intake.wording_status import (
    looking_up,
    status_found,
    status_no_number,
    status_not_found,
    status_not_found_for_caller,
    status_throttled,
)

__all__ = [
    "RESUMABLE",
    "case_looked_up",
    "lookup_case",
    "on_held_problem",
    "on_status_account",
    "on_status_number",
    "status_next",
    "status_requested",
]

# The intake questions a status check returns to once told (after a case, it goes on to what follows a case).
RESUMABLE = frozenset(
    {
        Phase.ASK_ACCOUNT,
        Phase.CONFIRM_ACCOUNT,
        Phase.ASK_PROBLEM,
        Phase.GUIDED,
        Phase.CONFIRM_SEVERITY,
        Phase.PICK_SEVERITY,
        Phase.IN_WINDOW,
    }
)


def status_requested(ctx: Context, state: State, turn: UserTurn) -> Step:
    k_number, rest = account_in(ctx.policy.account, turn)
    resumable = state.described and state.phase in RESUMABLE
    # A problem written beside the question, with none being taken yet, is asked about once the status is told.
    held = None if state.described else understanding.beside_status(rest) or None
    number = understanding.case_number_in(rest)
    check = StatusCheck(lookup=number, resume=state.phase if resumable else None, held=held)
    return status_next(ctx, replace(state, k_number=state.k_number or k_number, status=check), turn.at)


def status_next(ctx: Context, state: State, at: datetime) -> Step:
    # A caller whose number matched an account is not asked for its K#: caller ID vouches for it.
    if not state.k_number and not _by_caller_id(ctx, state):
        return ask(ctx, replace(state, phase=Phase.STATUS_ACCOUNT))
    number = state.status.lookup
    if not number:
        return ask(ctx, replace(state, phase=Phase.STATUS_NUMBER))
    looking = replace(state, phase=Phase.LOOKING_UP)
    return Step((looking_up(number, ctx.phone, ctx.locale),), looking, (lookup_case(ctx, state, at),))


def _by_caller_id(ctx: Context, state: State) -> bool:
    return ctx.phone and not state.k_number and state.known_k is not None


def lookup_case(ctx: Context, state: State, at: datetime) -> LookupCase:
    number = state.status.lookup or ""
    if _by_caller_id(ctx, state):
        return LookupCase(number, state.known_k or "", at, by_caller_id=True)
    return LookupCase(number, state.k_number or "", at)


def on_status_account(ctx: Context, state: State, turn: UserTurn) -> Step:
    k_number, _ = account_in(ctx.policy.account, turn)
    if k_number is None:
        return Step((w.account_again(ctx.policy, ctx.phone, ctx.locale),), state)
    return status_next(ctx, replace(state, k_number=k_number), turn.at)


def on_status_number(ctx: Context, state: State, turn: UserTurn) -> Step:
    number = understanding.case_number_in(turn.digits or turn.text)
    if number is None and not turn.digits and understanding.unsure(turn.text):
        # "I don't know it": no lookup, and the dialogue goes on as after one, rather than ask forever.
        return _after_status(ctx, state, status_no_number(ctx.locale), None, turn.at)
    if number is None:
        return retry(ctx, state)
    return status_next(ctx, replace(state, status=replace(state.status, lookup=number)), turn.at)


def case_looked_up(ctx: Context, state: State, event: CaseLookup) -> Step:
    if state.phase is not Phase.LOOKING_UP:
        return Step((), state)
    number, case = state.status.lookup or "", event.case
    if event.retry_after is not None:
        told = status_throttled(event.retry_after, ctx.policy, ctx.phone, ctx.locale)
    elif case is None and _by_caller_id(ctx, state):
        told = status_not_found_for_caller(number, state.known_k or "", ctx.phone, ctx.locale)
    elif case is None:
        told = status_not_found(number, state.k_number or "", ctx.phone, ctx.locale)
    else:
        told = status_found(case, event.at, ctx.policy, ctx.phone, ctx.locale)
    return _after_status(ctx, state, told, case.number if case else None, event.at)


def _after_status(ctx: Context, state: State, told: Prompt, number: str | None, at: datetime) -> Step:
    """`told`, then the interrupted intake, the problem written beside the question, an agent, or anything else."""
    resume, held = state.status.resume, state.status.held
    state = replace(state, status=StatusCheck(held=held))
    if resume is not None:
        nxt = _resume(ctx, replace(state, phase=resume), at)
    elif held is not None:
        nxt = ask(ctx, replace(state, phase=Phase.HELD_PROBLEM))
    elif not ctx.phone and ctx.policy.chat.is_open(at) and ctx.agents_online > 0:
        nxt = ask(ctx, replace(state, phase=Phase.OFFER_AGENT, offer=AgentOffer(HandoffReason.CASE_STATUS, number)))
    else:
        nxt = ask(ctx, replace(state, phase=Phase.ANYTHING_ELSE))
    return replace(nxt, prompts=(told, *nxt.prompts))


def on_held_problem(ctx: Context, state: State, turn: UserTurn) -> Step:
    """Yes: the problem written beside the status question is taken as a new one; more words about it instead
    of a yes are read with it ("it got worse, now nobody can work")."""
    held, answer = state.status.held or "", yes_no(turn)
    more = answer is None and understanding.has_substance(turn.text)
    if answer is False:
        return ask(ctx, replace(state, phase=Phase.ANYTHING_ELSE, status=StatusCheck()))
    if answer is None and not more:
        return retry(ctx, state)
    state = with_problem(ctx, replace(state, status=StatusCheck()), held, turn)
    if more:
        state = with_problem(ctx, state, turn.text, turn)
    if state.k_number:
        return assess(ctx, state, turn.at)
    return ask(ctx, replace(state, phase=Phase.CONFIRM_ACCOUNT if state.known_k else Phase.ASK_ACCOUNT))


def _resume(ctx: Context, state: State, at: datetime) -> Step:
    """Back to the interrupted intake; an account question the status check answered is skipped."""
    if state.phase in (Phase.ASK_ACCOUNT, Phase.CONFIRM_ACCOUNT) and state.k_number:
        return have_account(ctx, state, at)
    return ask(ctx, state)
