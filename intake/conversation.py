"""The intake dialogue as a pure state machine: (state, event) -> (prompts, new state, effects).

The entry points and what every turn shares: commands heard at any point, silence, hang-up, attachments.
The phases and their handlers are in dialogue_table; the sub-flows in dialogue_intake (account, problem,
severity), dialogue_filing, dialogue_outcome and dialogue_status; the data in dialogue_events and dialogue_state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from intake import understanding
from intake import wording as w
from intake import wording_conversation as wc
from intake.dialogue_events import (
    CaseCreated,
    CaseLookup,
    Context,
    Effect,
    Event,
    HangUp,
    NoteAttachment,
    Resume,
    Start,
    Step,
    UserTurn,
)
from intake.dialogue_filing import file_case, hand_off, incomplete_case, pending_case
from intake.dialogue_outcome import case_created
from intake.dialogue_questions import ask, end, pending, retry
from intake.dialogue_state import Phase, State
from intake.dialogue_status import case_looked_up, lookup_case, status_requested
from intake.dialogue_table import TABLE, Anywhere, handler, moved, started
from intake.dialogue_text import cut_notice, read_turn
from intake.dialogue_triage import severity
from intake.domain import HandoffReason, require_aware
from intake.prompts import Expect, Prompt
from intake.understanding import Command

__all__ = ["start", "step"]


def start(ctx: Context, event: Start) -> Step:
    """Greet: a known caller only confirms the K#, anyone else is asked for it (and the problem)."""
    require_aware(event.at)
    known = event.known_account
    if known is None:
        return started(Step((w.greeting(ctx.policy, ctx.phone, ctx.locale),), State()))
    state = State(phase=Phase.CONFIRM_ACCOUNT, known_k=known.k_number)
    return started(Step((w.greeting_known(ctx.policy, known.name, known.k_number, ctx.phone, ctx.locale),), state))


def step(ctx: Context, state: State, event: Event) -> Step:
    """Advance the dialogue by one customer turn, hang-up, effect result or return from a live agent."""
    require_aware(event.at)
    if isinstance(event, HangUp):
        return moved(state.phase, _hang_up(ctx, state, event.at), by=Anywhere.LEAVING)
    if isinstance(event, Resume):
        return moved(state.phase, _resume(ctx, state), by=Anywhere.RESUME)
    if isinstance(event, CaseCreated):
        return moved(state.phase, case_created(ctx, state, event))
    if isinstance(event, CaseLookup):
        return moved(state.phase, case_looked_up(ctx, state, event))
    return _user_turn(ctx, state, event)


def _user_turn(ctx: Context, state: State, turn: UserTurn) -> Step:
    if TABLE[state.phase].final:
        # A message after goodbye opens a new intake; the counter stays so case keys never repeat.
        state = moved(state.phase, Step((), state.reopened())).state
    lead, state, effects = _take_attachments(ctx, state, turn.attachments, turn.at)
    if TABLE[state.phase].awaits is not None:
        reply = _still_working(ctx, state, turn.at)
    elif turn.no_input:
        reply = moved(state.phase, _silence(ctx, state, turn.at), by=Anywhere.LEAVING)
    else:
        state = replace(state, silences=0)
        turn = read_turn(ctx, turn)
        reply = _understand(ctx, state, turn, acknowledged=bool(lead))
        lead = (*lead, *cut_notice(ctx, state, reply.state, turn))
    return Step((*lead, *reply.prompts), reply.state, (*effects, *reply.effects), reply.done)


def _understand(ctx: Context, state: State, turn: UserTurn, acknowledged: bool) -> Step:
    if not turn.text.strip() and not turn.digits:
        # An attachment alone is a fine message: just ask the pending question again.
        return ask(ctx, state) if acknowledged else retry(ctx, state)
    return _command(ctx, state, turn) or moved(state.phase, handler(state.phase)(ctx, state, turn))


# ---------------------------------------------------------------- commands at any point


def _command(ctx: Context, state: State, turn: UserTurn) -> Step | None:
    cmd = understanding.command_in(turn.text) if turn.text else None
    if cmd is Command.START_OVER:
        fresh = state.started_over()
        return moved(state.phase, Step((wc.start_over(ctx.locale), pending(ctx, fresh)), fresh), by=Anywhere.START_OVER)
    if cmd is Command.BYE and pending(ctx, state).expects is Expect.YES_NO:
        cmd = None  # "no thanks" to a yes/no question is a no, not a goodbye
    if cmd is Command.CANCEL or (cmd is Command.BYE and state.described):
        return moved(state.phase, end(state, wc.cancelled(state.last_case, ctx.phone, ctx.locale)), by=Anywhere.LEAVING)
    if cmd is Command.BYE:
        return moved(state.phase, end(state, wc.goodbye(ctx.locale)), by=Anywhere.LEAVING)
    if cmd is Command.HELP and state.phase is Phase.ASK_PROBLEM and "!" in turn.text:
        cmd = None  # "help!!" asked for the problem is a cry for help: the problem, so the guided questions follow
    if cmd is Command.HELP:
        return Step((wc.help_text(ctx.policy, ctx.phone, ctx.locale), pending(ctx, state)), state)
    if cmd is Command.AGENT:
        return moved(state.phase, _agent_requested(ctx, state, turn.at), by=Anywhere.PERSON)
    if state.phase not in (Phase.STATUS_ACCOUNT, Phase.STATUS_NUMBER) and understanding.asks_status(turn.text):
        return moved(state.phase, status_requested(ctx, state, turn), by=Anywhere.STATUS)
    return None


def _agent_requested(ctx: Context, state: State, at: datetime) -> Step:
    if ctx.phone:
        return Step((wc.phone_person(ctx.locale), pending(ctx, state)), state)
    chat_open = ctx.policy.chat.is_open(at)
    if not (chat_open and ctx.agents_online > 0):
        return Step((wc.agent_unavailable(ctx.policy, at, chat_open, ctx.locale), pending(ctx, state)), state)
    if state.described and state.k_number:
        # The agent should start from a recorded case, not from a transcript to retype.
        assessment = replace(state.assessment, severity=int(severity(state)))
        filing = replace(state.filing, handoff=True)
        return file_case(ctx, replace(state, assessment=assessment, filing=filing), at)
    return hand_off(ctx, state, HandoffReason.CUSTOMER_REQUEST, state.last_case, at)


# ---------------------------------------------------------------- waiting, silence, hang-up, attachments


def _still_working(ctx: Context, state: State, at: datetime) -> Step:
    # Re-emitting is safe (same idempotency key, read-only lookup) and recovers a lost effect.
    if state.phase is Phase.FILING:
        effect: Effect = pending_case(ctx, state)
    else:
        effect = lookup_case(ctx, state, at)
    return Step((w.still_working(ctx.locale),), state, (effect,))


def _silence(ctx: Context, state: State, at: datetime) -> Step:
    if state.silences == 0:
        return Step((wc.didnt_hear(ctx.locale), pending(ctx, state)), replace(state, silences=1))
    done = replace(state, phase=Phase.DONE, silences=state.silences + 1)
    return Step((wc.no_input_goodbye(ctx.policy, ctx.locale),), done, incomplete_case(ctx, state, at), done=True)


def _hang_up(ctx: Context, state: State, at: datetime) -> Step:
    if state.phase is Phase.FILING:
        effects: tuple[Effect, ...] = (pending_case(ctx, state),)
    elif state.phase is Phase.DONE:
        effects = ()
    else:
        effects = incomplete_case(ctx, state, at)
    return Step((), replace(state, phase=Phase.DONE), effects, done=True)


def _resume(ctx: Context, state: State) -> Step:
    """Back from a live agent: ask for what the dialogue still lacks, the account or the problem, else anything more."""
    if not state.k_number:
        asked = replace(state, phase=Phase.ASK_ACCOUNT, silences=0)
        return Step((w.ask_account(ctx.policy, ctx.phone, have_problem=state.described, locale=ctx.locale),), asked)
    if not state.last_case:
        return Step((w.ask_problem(ctx.phone, ctx.locale),), replace(state, phase=Phase.ASK_PROBLEM, silences=0))
    return Step((w.anything_else(ctx.phone, ctx.locale),), replace(state, phase=Phase.ANYTHING_ELSE, silences=0))


def _take_attachments(
    ctx: Context, state: State, names: Sequence[str], at: datetime
) -> tuple[tuple[Prompt, ...], State, tuple[Effect, ...]]:
    """Files go into the case being described, or onto the last case filed."""
    if not names:
        return (), state, ()
    if state.last_case and not state.described and state.phase is not Phase.FILING:
        return (
            (wc.attached(names, state.last_case, ctx.locale),),
            state,
            (NoteAttachment(tuple(names), state.last_case, at),),
        )
    filing = replace(state.filing, attachments=(*state.filing.attachments, *names))
    return (wc.attached(names, None, ctx.locale),), replace(state, filing=filing), ()
