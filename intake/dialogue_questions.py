"""The question each phase waits on: asking it, asking again, and reading the common forms of an answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from intake import understanding
from intake import wording as w
from intake import wording_conversation as wc
from intake.dialogue_events import Context, Step, UserTurn
from intake.dialogue_state import Phase, State
from intake.dialogue_triage import current_question, guided_prompt, severity
from intake.policy import AccountFormat
from intake.prompts import Choice, Prompt, again
from intake.wording_maintenance import something_else
from intake.wording_status import held_problem, looking_up, status_ask_account, status_ask_number

__all__ = ["PROMPTS", "account_in", "ask", "end", "match", "pending", "retry", "yes_no"]


def _account_prompt(ctx: Context, state: State) -> Prompt:
    if ctx.phone or state.described:
        return w.ask_account(ctx.policy, ctx.phone, have_problem=state.described, locale=ctx.locale)
    return w.ask_account_and_problem(ctx.policy, ctx.locale)


def _guided_pending(ctx: Context, state: State) -> Prompt:
    question = current_question(state)
    # None only if triage changed under a stored state: any answer then re-assesses (see on_guided).
    return guided_prompt(ctx, state, question) if question else w.more_detail(ctx.locale)


PROMPTS: dict[Phase, Callable[[Context, State], Prompt]] = {
    Phase.ASK_ACCOUNT: _account_prompt,
    Phase.CONFIRM_ACCOUNT: lambda ctx, state: w.confirm_account(state.known_k or "", ctx.phone, ctx.locale),
    Phase.ASK_PROBLEM: lambda ctx, state: w.ask_problem(ctx.phone, ctx.locale),
    Phase.GUIDED: _guided_pending,
    Phase.CONFIRM_SEVERITY: lambda ctx, state: w.confirm_severity(ctx.policy, severity(state), ctx.phone, ctx.locale),
    Phase.PICK_SEVERITY: lambda ctx, state: w.pick_severity(severity(state), ctx.phone, ctx.locale),
    Phase.IN_WINDOW: lambda ctx, state: something_else(ctx.phone, ctx.locale),
    Phase.FILING: lambda ctx, state: w.filing(ctx.locale),
    Phase.OFFER_AGENT: lambda ctx, state: w.offer_agent(ctx.locale),
    Phase.ANYTHING_ELSE: lambda ctx, state: w.anything_else(ctx.phone, ctx.locale),
    Phase.STATUS_ACCOUNT: lambda ctx, state: status_ask_account(ctx.policy, ctx.phone, ctx.locale),
    Phase.STATUS_NUMBER: lambda ctx, state: status_ask_number(ctx.phone, ctx.locale),
    Phase.LOOKING_UP: lambda ctx, state: looking_up(state.status.lookup or "", ctx.phone, ctx.locale),
    Phase.HELD_PROBLEM: lambda ctx, state: held_problem(state.status.held or "", ctx.phone, ctx.locale),
    Phase.DONE: lambda ctx, state: wc.goodbye(ctx.locale),
}


def pending(ctx: Context, state: State) -> Prompt:
    """The question the current phase waits on (to ask, re-ask after help, or repeat after nonsense)."""
    return PROMPTS[state.phase](ctx, state)


def ask(ctx: Context, state: State) -> Step:
    return Step((pending(ctx, state),), state)


def retry(ctx: Context, state: State) -> Step:
    return Step((again(pending(ctx, state), ctx.locale),), state)


def end(state: State, prompt: Prompt) -> Step:
    return Step((prompt,), state.ended(), done=True)


def yes_no(turn: UserTurn) -> bool | None:
    return understanding.yes_no_answer(turn.text, turn.digits)


def match(choices: Sequence[Choice], turn: UserTurn) -> Choice | None:
    return understanding.match_choice(choices, turn.text, turn.digits)


def account_in(fmt: AccountFormat, turn: UserTurn) -> tuple[str | None, str]:
    return understanding.split_account(fmt, turn.text, turn.digits)
