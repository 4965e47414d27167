"""Taking a case: the K#, the problem, the guided questions while triage is unsure, and the severity."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from intake import understanding
from intake import wording as w
from intake.dialogue_events import Context, Step, UserTurn
from intake.dialogue_filing import file_case
from intake.dialogue_maintenance import ask_in_window, in_window, told_on_account
from intake.dialogue_questions import account_in, ask, match, pending, retry, yes_no
from intake.dialogue_state import Phase, State
from intake.dialogue_text import with_problem
from intake.dialogue_triage import current_question, guided_prompt, next_question, severity, triage
from intake.domain import Severity
from intake.guided_answers import answer_in_words
from intake.prompts import Prompt, again
from intake.wording_maintenance import just_maintenance

__all__ = [
    "assess",
    "have_account",
    "on_account",
    "on_confirm_account",
    "on_guided",
    "on_in_window",
    "on_problem",
    "on_severity",
]

# ---------------------------------------------------------------- account and problem


def on_account(ctx: Context, state: State, turn: UserTurn) -> Step:
    k_number, rest = account_in(ctx.policy.account, turn)
    described = understanding.has_substance(rest)
    if described:
        state = with_problem(ctx, state, rest, turn)
    if k_number is None:
        if described:
            return Step((w.ask_account(ctx.policy, ctx.phone, have_problem=True, locale=ctx.locale),), state)
        if ctx.phone or state.described:  # a K# was the one thing asked for: say what one looks like
            return Step((w.account_again(ctx.policy, ctx.phone, ctx.locale),), state)
        return retry(ctx, state)
    return have_account(ctx, replace(state, k_number=k_number), turn.at)


def on_confirm_account(ctx: Context, state: State, turn: UserTurn) -> Step:
    answer = yes_no(turn)
    k_number, rest = account_in(ctx.policy.account, turn)
    if answer is True and k_number is None:
        k_number = state.known_k
    if k_number is None:
        if answer is False:
            return ask(ctx, replace(state, phase=Phase.ASK_ACCOUNT, known_k=None))
        return retry(ctx, state)
    if understanding.has_substance(rest):  # "yes, and our whole site is down"
        state = with_problem(ctx, state, rest, turn)
    return have_account(ctx, replace(state, k_number=k_number), turn.at)


def have_account(ctx: Context, state: State, at: datetime) -> Step:
    k_number = state.k_number or ""
    # An affected customer hears of their planned maintenance as soon as the K# is known.
    thanks = (w.thanks_account(k_number, ctx.phone, ctx.locale), *told_on_account(ctx, k_number, at))
    if not state.described:
        return Step((*thanks, w.ask_problem(ctx.phone, ctx.locale)), replace(state, phase=Phase.ASK_PROBLEM))
    return assess(ctx, state, at, lead=thanks)


def on_problem(ctx: Context, state: State, turn: UserTurn) -> Step:
    # However little was said ("help!!"), the guided questions follow: their answers alone settle a severity
    # by the policy table, and a short message is never settled on its words (severity_policy.PLAIN_WORDS).
    return assess(ctx, with_problem(ctx, state, turn.text, turn), turn.at)


# ---------------------------------------------------------------- triage and severity


def assess(ctx: Context, state: State, at: datetime, lead: tuple[Prompt, ...] = ()) -> Step:
    """Triage what was said; ask a guided question while unsure, else propose the severity (an outage during the
    customer's planned maintenance is first answered with it: is it something else?)."""
    result = triage(state)
    question = next_question(result, state)
    if question is not None:
        state = replace(state, phase=Phase.GUIDED, assessment=state.assessment.asking(question.key.value))
        return Step((*lead, guided_prompt(ctx, state, question)), state)
    proposed = replace(state.assessment, severity=int(result.severity))
    state = replace(state, phase=Phase.CONFIRM_SEVERITY, assessment=proposed)
    window = in_window(ctx, state, result, at)
    if window is not None:
        return ask_in_window(ctx, state, window, at, lead)
    return Step((*lead, pending(ctx, state)), state)


def _moved_on(state: State) -> State:
    return replace(state, assessment=state.assessment.moved_on())


def on_guided(ctx: Context, state: State, turn: UserTurn) -> Step:
    question = current_question(state)
    if question is None:
        return assess(ctx, _moved_on(state), turn.at)
    if understanding.unsure(turn.text):  # "not sure": move on without an answer rather than insist
        return assess(ctx, _moved_on(state), turn.at)
    prompt = guided_prompt(ctx, state, question)
    choice = match(prompt.choices, turn)
    # An answer in words may settle this question or another ("nothing is broken, it's just a question").
    said = (question.key, choice.value) if choice else answer_in_words(turn.text, question.key)
    if said is None and understanding.has_substance(turn.text):
        # More about the problem instead of an answer: triage reads it, and this question is not asked again.
        return assess(ctx, _moved_on(with_problem(ctx, state, turn.text, turn)), turn.at)
    if said is None:
        return Step((again(prompt, ctx.locale),), state)
    return assess(ctx, replace(state, assessment=state.assessment.answered(said[0].value, said[1])), turn.at)


def on_severity(ctx: Context, state: State, turn: UserTurn) -> Step:
    chosen = _severity_answer(ctx, state, turn)
    if chosen is None:
        if state.phase is Phase.CONFIRM_SEVERITY and yes_no(turn) is False:
            return ask(ctx, replace(state, phase=Phase.PICK_SEVERITY))
        return retry(ctx, state)
    return file_case(ctx, replace(state, assessment=state.assessment.chosen(int(chosen))), turn.at)


def _severity_answer(ctx: Context, state: State, turn: UserTurn) -> Severity | None:
    """`severity 1`, a choice (button, keypad, label), or in chat a bare `3`; yes keeps the proposal."""
    proposed = severity(state)
    named = understanding.severity_in(turn.text)
    if named is not None:
        return named
    number = understanding.number_in(turn.text) if not ctx.phone else None
    if number is not None and 1 <= number <= 4:  # in chat a bare number is a severity, not a button position
        return Severity(number)
    choice = match(pending(ctx, state).choices, turn)
    if choice is not None:
        return proposed if choice.value == "yes" else Severity(int(choice.value.removeprefix("sev")))
    if state.phase is Phase.CONFIRM_SEVERITY and yes_no(turn) is True:
        return proposed
    return None


def on_in_window(ctx: Context, state: State, turn: UserTurn) -> Step:
    """Their maintenance is under way: yes, it is something else (the case is recorded as usual); no, nothing is."""
    answer = yes_no(turn)
    if answer is True:
        return ask(ctx, replace(state, phase=Phase.CONFIRM_SEVERITY))
    if answer is False:
        after = replace(state.next_case(), phase=Phase.ANYTHING_ELSE)
        return Step((just_maintenance(ctx.locale), w.anything_else(ctx.phone, ctx.locale)), after)
    if understanding.has_substance(turn.text):  # more about it: something else, read with the rest
        return assess(ctx, with_problem(ctx, state, turn.text, turn), turn.at)
    return retry(ctx, state)
