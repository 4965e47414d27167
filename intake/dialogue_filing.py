"""Filing the case described: the routing decision, the CreateCase (the same one on every re-emission), a handoff."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from intake import wording as w
from intake.dialogue_events import Context, CreateCase, Effect, RequestHandoff, Step
from intake.dialogue_state import Phase, State
from intake.dialogue_triage import severity, triage
from intake.domain import HandoffReason, Outcome, Severity
from intake.routing import Decision, route

__all__ = ["file_case", "hand_off", "incomplete_case", "pending_case", "summary"]


def _route(ctx: Context, severity: Severity, at: datetime) -> Decision:
    return route(ctx.policy, severity=severity, channel=ctx.channel, at=at, agents_online=ctx.agents_online)


def file_case(ctx: Context, state: State, at: datetime) -> Step:
    decision = _route(ctx, severity(state), at)
    # The outcome is fixed now: agents coming and going before the result arrives must not change it.
    filing = replace(
        state.filing,
        case_at=at.isoformat(),
        outcome=decision.outcome,
        offer_agent=decision.offer_live_agent,
        attached=len(state.filing.attachments),
    )
    state = replace(state, phase=Phase.FILING, filing=filing)
    return Step((w.filing(ctx.locale),), state, (_create_case(ctx, state, decision, at, incomplete=False),))


def _create_case(ctx: Context, state: State, decision: Decision, at: datetime, incomplete: bool) -> CreateCase:
    filing = state.filing
    return CreateCase(
        key=f"{ctx.conversation_id}:case:{state.cases + 1}",
        k_number=state.k_number or state.known_k or "",
        severity=decision.severity,
        summary=summary(state),
        description=_description(state),
        decision=decision,
        evidence=triage(state).evidence,
        # Page now unless an engineer is about to be dialled: the phone line pages only if nobody answers.
        page_oncall=decision.severity is Severity.SEV1
        and (incomplete or decision.outcome is not Outcome.PHONE_ENGINEER),
        incomplete=incomplete,
        live_agent_requested=filing.handoff,
        severity_corrections=state.assessment.corrections,
        attachments=filing.attachments[: filing.attached] if not incomplete else filing.attachments,
        at=at,
    )


def pending_case(ctx: Context, state: State) -> CreateCase:
    """The CreateCase already emitted for this state, rebuilt identically for a redelivery."""
    at = datetime.fromisoformat(state.filing.case_at or "")
    decision = _route(ctx, severity(state), at)
    return _create_case(ctx, state, decision, at, incomplete=False)


def incomplete_case(ctx: Context, state: State, at: datetime) -> tuple[Effect, ...]:
    """What was said before the customer left, as an incomplete case (needs a K# to be filed)."""
    if not state.described or not (state.k_number or state.known_k):
        return ()
    return (_create_case(ctx, state, _route(ctx, severity(state), at), at, incomplete=True),)


def summary(state: State) -> str:
    """The first sentence of the problem, capitalised, at most 80 characters."""
    text = " ".join(" ".join(state.told.problem).split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    first = first[:1].upper() + first[1:]
    return first if len(first) <= 80 else first[:77].rstrip() + "..."


def _description(state: State) -> str:
    told, answers = state.told, state.assessment.answers
    lines = list(told.whole)
    if told.dropped:
        over = f"({told.dropped:,} more characters were over the case's limit: see the conversation's transcript.)"
        lines += ["", over]
    if answers:
        lines += ["", "Answers to the triage questions:", *(f"- {k}: {v}" for k, v in answers)]
    if state.assessment.window_asked:  # for the agent: the customer heard of it and still reported this
        lines += [
            "",
            "Told of the planned maintenance under way on the account: the customer says it is something else.",
        ]
    return "\n".join(lines)


def hand_off(ctx: Context, state: State, reason: HandoffReason, case_number: str | None, at: datetime) -> Step:
    done = replace(state, phase=Phase.DONE)
    effect = RequestHandoff(reason, case_number, at)
    return Step((w.live_agent_joining(case_number, ctx.locale),), done, (effect,), done=True)
