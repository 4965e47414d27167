"""Once a case is filed: the outcome told (or an engineer dialled, or an agent brought in), then what next."""

from __future__ import annotations

from dataclasses import replace

from intake import understanding
from intake import wording as w
from intake import wording_conversation as wc
from intake import wording_incident as wi
from intake.dialogue_events import CaseCreated, ConnectOnCall, Context, Effect, NoteAttachment, Step, UserTurn
from intake.dialogue_filing import hand_off, summary
from intake.dialogue_intake import assess
from intake.dialogue_questions import ask, end, match, pending, retry, yes_no
from intake.dialogue_state import AgentOffer, FollowUp, Phase, State, StatusCheck
from intake.dialogue_status import status_next
from intake.dialogue_text import with_problem
from intake.dialogue_triage import severity
from intake.domain import HandoffReason, Outcome

__all__ = ["case_created", "on_anything_else", "on_offer_agent"]


def case_created(ctx: Context, state: State, event: CaseCreated) -> Step:
    state = replace(state, cases=state.cases + 1, last_case=event.number)
    if state.phase is not Phase.FILING:  # an incomplete case after a hang-up: nobody to tell
        return Step((), state, done=state.phase is Phase.DONE)
    filing = state.filing
    late = filing.attachments[filing.attached :]
    effects: tuple[Effect, ...] = (NoteAttachment(late, event.number, event.at),) if late else ()
    outcome, filed_as = filing.outcome, severity(state)
    after = state.next_case()
    if event.incident is not None:
        # A known outage: the engineers are on it (paged once for the incident), so no one is dialled.
        since, component = event.incident.since, event.incident.component
        told = wi.incident_linked(component, since, event.number, event.at, ctx.policy, ctx.phone, ctx.locale)
        if filing.handoff:
            handoff = hand_off(ctx, after, HandoffReason.CUSTOMER_REQUEST, event.number, event.at)
            return replace(handoff, prompts=(told, *handoff.prompts), effects=(*effects, *handoff.effects))
        nxt = _after_request(ctx, after, event, offer_agent=False, outage=True)
        return replace(nxt, prompts=(told, *nxt.prompts), effects=(*effects, *nxt.effects))
    if outcome is Outcome.PHONE_ENGINEER:
        connect = ConnectOnCall(event.number, state.k_number or "", summary(state), event.at)
        return Step(
            (w.sev1_connect(event.number, ctx.locale),),
            replace(after, phase=Phase.DONE),
            (*effects, connect),
            done=True,
        )
    if outcome is Outcome.LIVE_CHAT:
        handoff = hand_off(ctx, after, HandoffReason.QUESTION, event.number, event.at)
        return replace(handoff, effects=(*effects, *handoff.effects))
    if outcome is Outcome.REDIRECT_PHONE:
        told = w.sev1_redirect(ctx.policy, event.number, ctx.locale)
    else:
        told = w.filed(
            event.number, filed_as, event.response_due, event.fix_due, event.at, ctx.policy, ctx.phone, ctx.locale
        )
    if filing.handoff:
        handoff = hand_off(ctx, after, HandoffReason.CUSTOMER_REQUEST, event.number, event.at)
        return replace(handoff, prompts=(told, *handoff.prompts), effects=(*effects, *handoff.effects))
    outage = outcome is Outcome.REDIRECT_PHONE
    offer = filing.offer_agent and outcome is Outcome.WEB_REQUEST
    nxt = _after_request(ctx, after, event, offer_agent=offer, outage=outage)
    return replace(nxt, prompts=(told, *nxt.prompts), effects=(*effects, *nxt.effects))


def _after_request(ctx: Context, state: State, event: CaseCreated, offer_agent: bool, outage: bool = False) -> Step:
    """Chat: say when live chat opens, or offer an agent during its hours; then anything else."""
    if ctx.phone:
        return ask(ctx, replace(state, phase=Phase.ANYTHING_ELSE))
    # After a Sev1 the customer was just told to call now: chat hours would only be noise.
    quiet = outage or ctx.policy.chat.is_open(event.at)
    lead = () if quiet else (w.chat_closed(ctx.policy, event.at, ctx.locale),)
    if offer_agent:
        offer = replace(state, phase=Phase.OFFER_AGENT, offer=AgentOffer(HandoffReason.QUESTION, event.number))
        return Step((*lead, pending(ctx, offer)), offer)
    return Step((*lead, w.anything_else(ctx.phone, ctx.locale)), replace(state, phase=Phase.ANYTHING_ELSE))


def on_offer_agent(ctx: Context, state: State, turn: UserTurn) -> Step:
    answer = yes_no(turn)
    if answer is True:
        return hand_off(ctx, state, state.offer.agent_reason, state.offer.agent_case, turn.at)
    if answer is False:
        return ask(ctx, replace(state, phase=Phase.ANYTHING_ELSE))
    if understanding.has_substance(turn.text):
        return _new_problem(ctx, state, turn)
    return retry(ctx, state)


def on_anything_else(ctx: Context, state: State, turn: UserTurn) -> Step:
    wanted = _follow_up(ctx, state, turn)
    if wanted is FollowUp.PROBLEM:
        return ask(ctx, replace(state, phase=Phase.ASK_PROBLEM))
    if wanted is FollowUp.STATUS:
        return status_next(ctx, replace(state, status=StatusCheck()), turn.at)
    if wanted is FollowUp.DONE:
        return end(state, wc.goodbye(ctx.locale))
    if understanding.has_substance(turn.text):
        return _new_problem(ctx, state, turn)
    return retry(ctx, state)


def _follow_up(ctx: Context, state: State, turn: UserTurn) -> FollowUp | None:
    """A choice (button, keypad, label); else, when the turn says nothing more, yes or no to `anything else?`."""
    choice = match(pending(ctx, state).choices, turn)
    if choice is not None:
        return FollowUp(choice.value)
    if understanding.has_substance(turn.text):
        return None
    answer = yes_no(turn)
    return None if answer is None else FollowUp.PROBLEM if answer else FollowUp.DONE


def _new_problem(ctx: Context, state: State, turn: UserTurn) -> Step:
    return assess(ctx, with_problem(ctx, state.next_case(), turn.text, turn), turn.at)
