"""The intake dialogue as a pure state machine: (state, event) -> (prompts, new state, effects)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from functools import lru_cache
from typing import Any

from intake import understanding
from intake import wording as w
from intake.domain import CaseStatus, Channel, Outcome, Severity, require_aware
from intake.guided_answers import answer_in_words
from intake.guided_questions import GuidedQuestion, Question, Triage
from intake.limits import read_part
from intake.numbers_times import case_words
from intake.policy import AccountFormat, Policy
from intake.prompts import Choice, Expect, Prompt, again, say
from intake.routing import Decision, route
from intake.severity_policy import MAX_QUESTIONS, assess
from intake.understanding import Command
from intake.wording_status import (
    looking_up,
    status_ask_account,
    status_ask_number,
    status_found,
    status_not_found,
    status_not_found_for_caller,
    status_throttled,
)

__all__ = [
    "CaseCreated",
    "CaseLookup",
    "CaseSummary",
    "Choice",
    "ConnectOnCall",
    "Context",
    "CreateCase",
    "Effect",
    "Event",
    "Expect",
    "HangUp",
    "KnownAccount",
    "LookupCase",
    "NoteAttachment",
    "Phase",
    "Prompt",
    "RequestHandoff",
    "Start",
    "State",
    "Step",
    "UserTurn",
    "start",
    "step",
]


@dataclass(frozen=True)
class Context:
    """What surrounds a turn: the policy, the channel, the conversation and agent availability."""

    policy: Policy
    channel: Channel
    conversation_id: str
    agents_online: int = 0

    @property
    def phone(self) -> bool:
        return self.channel is Channel.PHONE


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class KnownAccount:
    """The account a phone caller's number matched."""

    k_number: str
    name: str


@dataclass(frozen=True)
class Start:
    """A conversation begins."""

    at: datetime
    known_account: KnownAccount | None = None


@dataclass(frozen=True)
class UserTurn:
    """One message, keypad entry or silence from the customer."""

    at: datetime
    text: str = ""
    digits: str | None = None
    attachments: tuple[str, ...] = ()
    no_input: bool = False


@dataclass(frozen=True)
class _ReadTurn(UserTurn):
    """A turn cut to what the dialogue reads (`text`), with the rest of the customer's message (`unread`)."""

    unread: str = ""


@dataclass(frozen=True)
class HangUp:
    """The customer left (call ended, chat closed)."""

    at: datetime


@dataclass(frozen=True)
class CaseCreated:
    """Result of CreateCase."""

    at: datetime
    number: str
    response_due: datetime
    fix_due: datetime | None


@dataclass(frozen=True)
class CaseSummary:
    """What the store tells about a case."""

    number: str
    severity: Severity
    status: CaseStatus
    summary: str
    last_update: datetime
    last_update_text: str
    response_due: datetime
    fix_due: datetime | None


@dataclass(frozen=True)
class CaseLookup:
    """Result of LookupCase: None both when the case is missing and when another account owns it.

    `retry_after` is set when the lookup was refused: too many lookups failed lately (for this
    conversation, the customer's address or the case), so none is made until then.
    """

    at: datetime
    case: CaseSummary | None
    retry_after: timedelta | None = None


Event = UserTurn | HangUp | CaseCreated | CaseLookup

# ---------------------------------------------------------------- effects


@dataclass(frozen=True)
class CreateCase:
    """Record a case; `key` makes a redelivered turn create it only once."""

    key: str
    k_number: str
    severity: Severity
    summary: str
    description: str
    decision: Decision
    evidence: tuple[str, ...]
    page_oncall: bool
    incomplete: bool
    live_agent_requested: bool
    severity_corrections: tuple[tuple[int, int], ...]
    attachments: tuple[str, ...]
    at: datetime  # when the case is created (the turn that filed it): due times count from here


@dataclass(frozen=True)
class LookupCase:
    """Fetch a case, only if it belongs to `k_number`; failed lookups are throttled.

    by_caller_id: the K# came from caller ID, not from the caller, and the caller's number (as the
    phone channel reports it now) must be one of the case's account's numbers.
    """

    number: str
    k_number: str
    at: datetime
    by_caller_id: bool = False


@dataclass(frozen=True)
class ConnectOnCall:
    """Phone: dial the on-call engineers into the call."""

    case_number: str
    k_number: str
    summary: str
    at: datetime


@dataclass(frozen=True)
class RequestHandoff:
    """Hand the chat to a live agent."""

    reason: str
    case_number: str | None
    at: datetime


@dataclass(frozen=True)
class NoteAttachment:
    """Files received after the case was created."""

    names: tuple[str, ...]
    case_number: str
    at: datetime


Effect = CreateCase | LookupCase | ConnectOnCall | RequestHandoff | NoteAttachment

# ---------------------------------------------------------------- state


class Phase(StrEnum):
    """Which answer the dialogue waits for."""

    ASK_ACCOUNT = "ask_account"
    CONFIRM_ACCOUNT = "confirm_account"
    ASK_PROBLEM = "ask_problem"
    GUIDED = "guided"
    CONFIRM_SEVERITY = "confirm_severity"
    PICK_SEVERITY = "pick_severity"
    FILING = "filing"
    OFFER_AGENT = "offer_agent"
    ANYTHING_ELSE = "anything_else"
    STATUS_ACCOUNT = "status_account"
    STATUS_NUMBER = "status_number"
    LOOKING_UP = "looking_up"
    DONE = "done"


@dataclass(frozen=True)
class State:
    """Everything the dialogue remembers between turns; plain JSON through to_dict/from_dict."""

    phase: Phase = Phase.ASK_ACCOUNT
    k_number: str | None = None
    known_k: str | None = None  # from caller ID, until the caller confirms it
    problem: tuple[str, ...] = ()  # the customer's own words, message by message, as far as triage reads them
    kept: tuple[str, ...] = ()  # all of them, for the case, when some were not read; else the same as `problem`
    dropped: int = 0  # characters of the description over the case's limit, not kept
    answers: tuple[tuple[str, str], ...] = ()  # (Question value, choice value)
    asked: tuple[str, ...] = ()
    question: str | None = None  # the guided question waiting for its answer
    severity: int | None = None  # triage's proposal, then the confirmed one
    corrections: tuple[tuple[int, int], ...] = ()
    attachments: tuple[str, ...] = ()
    attached: int = 0  # how many of `attachments` went into the pending CreateCase
    cases: int = 0  # cases created in this conversation: numbers the idempotency keys
    last_case: str | None = None
    case_at: str | None = None  # ISO instant of the pending CreateCase, so a re-emission is identical
    outcome: Outcome = Outcome.WEB_REQUEST  # of the pending CreateCase
    offer_agent: bool = False
    handoff: bool = False  # the customer asked for a person: hand off once the case exists
    agent_reason: str = "question"
    agent_case: str | None = None
    lookup: str | None = None
    resume: Phase | None = None  # the intake question to return to after a status check
    silences: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Enums as values, tuples as lists: what json.dumps writes and json.loads gives back."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> State:
        """Inverse of to_dict; fields missing from an older stored state take their defaults."""
        values: dict[str, Any] = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        for name in ("problem", "kept", "asked", "attachments"):
            values[name] = tuple(values.get(name, ()))
        for name in ("answers", "corrections"):
            values[name] = tuple(tuple(pair) for pair in values.get(name, ()))
        values["phase"] = Phase(values.get("phase", Phase.ASK_ACCOUNT))
        values["outcome"] = Outcome(values.get("outcome", Outcome.WEB_REQUEST))
        values["resume"] = Phase(values["resume"]) if values.get("resume") else None
        return cls(**values)


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Step:
    """What one event produced: things to say, the new state, requests to the outside world."""

    prompts: tuple[Prompt, ...]
    state: State
    effects: tuple[Effect, ...] = ()
    done: bool = False


# ---------------------------------------------------------------- entry points


def start(ctx: Context, event: Start) -> Step:
    """Greet: a known caller only confirms the K#, anyone else is asked for it (and the problem)."""
    require_aware(event.at)
    known = event.known_account
    if known is None:
        return Step((w.greeting(ctx.policy, ctx.phone),), State())
    state = State(phase=Phase.CONFIRM_ACCOUNT, known_k=known.k_number)
    return Step((w.greeting_known(ctx.policy, known.name, known.k_number, ctx.phone),), state)


def step(ctx: Context, state: State, event: Event) -> Step:
    """Advance the dialogue by one customer turn, hang-up or effect result."""
    require_aware(event.at)
    if isinstance(event, HangUp):
        return _hang_up(ctx, state, event.at)
    if isinstance(event, CaseCreated):
        return _case_created(ctx, state, event)
    if isinstance(event, CaseLookup):
        return _case_looked_up(ctx, state, event)
    return _user_turn(ctx, state, event)


def _user_turn(ctx: Context, state: State, turn: UserTurn) -> Step:
    if state.phase is Phase.DONE:
        # A message after goodbye opens a new intake; the counter stays so case keys never repeat.
        state = State(cases=state.cases, last_case=state.last_case)
    lead, state, effects = _take_attachments(state, turn.attachments, turn.at)
    if state.phase in (Phase.FILING, Phase.LOOKING_UP):
        reply = _still_working(ctx, state, turn.at)
    elif turn.no_input:
        reply = _silence(ctx, state, turn.at)
    else:
        state = replace(state, silences=0)
        turn = _read_turn(ctx, turn)
        reply = _understand(ctx, state, turn, acknowledged=bool(lead))
        lead = (*lead, *_cut_notice(ctx, state, reply.state, turn))
    return Step((*lead, *reply.prompts), reply.state, (*effects, *reply.effects), reply.done)


# ---------------------------------------------------------------- how much of the text is read


def _read_turn(ctx: Context, turn: UserTurn) -> UserTurn:
    """The turn as the dialogue reads it: commands, the K# and triage see at most the message limit."""
    head, unread = read_part(turn.text, ctx.policy.text.message)
    return _ReadTurn(**vars(turn) | {"text": head, "unread": unread}) if unread else turn


def _unread(turn: UserTurn) -> str:
    return turn.unread if isinstance(turn, _ReadTurn) else ""


def _with_problem(ctx: Context, state: State, said: str, turn: UserTurn) -> State:
    """`said` (read of this turn) added to the problem: triage reads a bounded part, the case keeps all of it."""
    limits, unread = ctx.policy.text, _unread(turn)
    read = understanding.tidy(said)
    whole = understanding.tidy(said, unread) if unread else read
    read = read_part(read, max(0, limits.description - _length(state.problem)))[0]
    kept, dropped = state.kept or state.problem, state.dropped
    room = max(0, limits.kept - _length(kept))
    if len(whole) > room:
        whole, dropped = whole[:room], dropped + len(whole) - room
    problem, kept = (*state.problem, read), (*kept, whole)
    return replace(state, problem=problem, kept=kept if kept != problem else (), dropped=dropped)


def _length(words: tuple[str, ...]) -> int:
    return sum(map(len, words)) + len(words)  # as joined by spaces, one to spare


def _cut_notice(ctx: Context, before: State, after: State, turn: UserTurn) -> tuple[Prompt, ...]:
    """Say plainly when some of what the customer wrote was not read, or not kept for the case."""
    limits, cut = ctx.policy.text, bool(_unread(turn))
    was, now = before.kept or before.problem, after.kept or after.problem
    if not now or now == was:  # this turn added nothing to the problem
        return (w.text_cut(message=limits.message),) if cut else ()
    dropped = after.dropped > (before.dropped if now[: len(was)] == was else 0)
    unread = len(after.problem[-1]) < len(now[-1])  # triage reads only part of the newest words
    if not (cut or unread or dropped):
        return ()
    description = limits.description if unread and not cut else None
    kept = limits.kept if dropped else None
    return (w.text_cut(message=limits.message if cut else None, description=description, kept=kept, saved=True),)


def _understand(ctx: Context, state: State, turn: UserTurn, acknowledged: bool) -> Step:
    if not turn.text.strip() and not turn.digits:
        # An attachment alone is a fine message: just ask the pending question again.
        return _ask(ctx, state) if acknowledged else _retry(ctx, state)
    return _command(ctx, state, turn) or _HANDLERS[state.phase](ctx, state, turn)


# ---------------------------------------------------------------- commands at any point


def _command(ctx: Context, state: State, turn: UserTurn) -> Step | None:
    cmd = understanding.command_in(turn.text) if turn.text else None
    if cmd is Command.START_OVER:
        fresh = State(cases=state.cases)
        return Step((w.start_over(), _pending(ctx, fresh)), fresh)
    if cmd is Command.BYE and _pending(ctx, state).expects is Expect.YES_NO:
        cmd = None  # "no thanks" to a yes/no question is a no, not a goodbye
    if cmd is Command.CANCEL or (cmd is Command.BYE and state.problem):
        return _end(state, w.cancelled(state.last_case, ctx.phone))
    if cmd is Command.BYE:
        return _end(state, w.goodbye())
    if cmd is Command.HELP and state.phase is Phase.ASK_PROBLEM and "!" in turn.text:
        cmd = None  # "help!!" asked for the problem is a cry for help: the problem, so the guided questions follow
    if cmd is Command.HELP:
        return Step((w.help_text(ctx.policy, ctx.phone), _pending(ctx, state)), state)
    if cmd is Command.AGENT:
        return _agent_requested(ctx, state, turn.at)
    if state.phase not in (Phase.STATUS_ACCOUNT, Phase.STATUS_NUMBER) and understanding.asks_status(turn.text):
        return _status_requested(ctx, state, turn)
    return None


def _end(state: State, prompt: Prompt) -> Step:
    return Step((prompt,), State(phase=Phase.DONE, cases=state.cases, last_case=state.last_case), done=True)


def _agent_requested(ctx: Context, state: State, at: datetime) -> Step:
    if ctx.phone:
        return Step((w.phone_person(), _pending(ctx, state)), state)
    chat_open = ctx.policy.chat.is_open(at)
    if not (chat_open and ctx.agents_online > 0):
        return Step((w.agent_unavailable(ctx.policy, at, chat_open), _pending(ctx, state)), state)
    if state.problem and state.k_number:
        # The agent should start from a recorded case, not from a transcript to retype.
        return _file_case(ctx, replace(state, severity=int(_severity(state)), handoff=True), at)
    return _hand_off(state, "customer_request", state.last_case, at)


def _hand_off(state: State, reason: str, case_number: str | None, at: datetime) -> Step:
    done = replace(state, phase=Phase.DONE)
    effect = RequestHandoff(reason, case_number, at)
    return Step((w.live_agent_joining(case_number),), done, (effect,), done=True)


# ---------------------------------------------------------------- account and problem


def _on_account(ctx: Context, state: State, turn: UserTurn) -> Step:
    k_number, rest = _account_in(ctx.policy.account, turn)
    described = understanding.has_substance(rest)
    if described:
        state = _with_problem(ctx, state, rest, turn)
    if k_number is None:
        if described:
            return Step((w.ask_account(ctx.policy, ctx.phone, have_problem=True),), state)
        if ctx.phone or state.problem:  # a K# was the one thing asked for: say what one looks like
            return Step((w.account_again(ctx.policy, ctx.phone),), state)
        return _retry(ctx, state)
    return _have_account(ctx, replace(state, k_number=k_number))


def _on_confirm_account(ctx: Context, state: State, turn: UserTurn) -> Step:
    answer = _yes_no(turn)
    k_number, rest = _account_in(ctx.policy.account, turn)
    if answer is True and k_number is None:
        k_number = state.known_k
    if k_number is None:
        if answer is False:
            return _ask(ctx, replace(state, phase=Phase.ASK_ACCOUNT, known_k=None))
        return _retry(ctx, state)
    if understanding.has_substance(rest):  # "yes, and our whole site is down"
        state = _with_problem(ctx, state, rest, turn)
    return _have_account(ctx, replace(state, k_number=k_number))


def _have_account(ctx: Context, state: State) -> Step:
    k_number = state.k_number or ""
    thanks = say(f"Thanks, {k_number}.", f"Thanks, {case_words(k_number, ctx.phone)}.")
    if not state.problem:
        return Step((thanks, w.ask_problem(ctx.phone)), replace(state, phase=Phase.ASK_PROBLEM))
    return _assess(ctx, state, lead=(thanks,))


def _on_problem(ctx: Context, state: State, turn: UserTurn) -> Step:
    # However little was said ("help!!"), the guided questions follow: their answers alone settle a severity
    # by the policy table, and a short message is never settled on its words (severity_policy.PLAIN_WORDS).
    return _assess(ctx, _with_problem(ctx, state, turn.text, turn))


# ---------------------------------------------------------------- triage and severity


def _triage(state: State) -> Triage:
    return _triage_of(tuple(state.problem), tuple(state.answers))


@lru_cache(maxsize=1024)
def _triage_of(problem: tuple[str, ...], answers: tuple[tuple[str, str], ...]) -> Triage:
    # A conversation asks for the same verdict on several turns (the question, the case's evidence);
    # triage is pure and its result frozen, so it is worked out once. The learned model reads the words,
    # the policy table reads the answers (intake/severity_policy.py).
    return assess(" ".join(problem), {Question(key): value for key, value in answers})


def _severity(state: State) -> Severity:
    """The severity proposed or confirmed so far; triage's verdict before there is one."""
    return Severity(state.severity) if state.severity else _triage(state).severity


def _next_question(result: Triage, state: State) -> GuidedQuestion | None:
    # Triage lists questions only while unsure or while a Sev1 signal is unconfirmed; a question the
    # customer could not answer is not asked twice; never more than MAX_QUESTIONS.
    if len(state.asked) >= MAX_QUESTIONS:
        return None
    return next((q for q in result.questions if q.key.value not in state.asked), None)


def _assess(ctx: Context, state: State, lead: tuple[Prompt, ...] = ()) -> Step:
    """Triage what was said; ask a guided question while unsure, else propose the severity."""
    result = _triage(state)
    question = _next_question(result, state)
    if question is not None:
        state = replace(
            state, phase=Phase.GUIDED, question=question.key.value, asked=(*state.asked, question.key.value)
        )
        return Step((*lead, _guided_prompt(ctx, state, question)), state)
    state = replace(state, phase=Phase.CONFIRM_SEVERITY, severity=int(result.severity))
    return Step((*lead, _pending(ctx, state)), state)


def _current_question(state: State) -> GuidedQuestion | None:
    # Triage is pure: the same words and answers give back the question that was asked.
    return next((q for q in _triage(state).questions if q.key.value == state.question), None)


def _guided_prompt(ctx: Context, state: State, question: GuidedQuestion) -> Prompt:
    return w.guided(question.text, question.speak, question.choices, ctx.phone, first=len(state.asked) == 1)


def _on_guided(ctx: Context, state: State, turn: UserTurn) -> Step:
    question = _current_question(state)
    if question is None:
        return _assess(ctx, replace(state, question=None))
    if understanding.unsure(turn.text):  # "not sure": move on without an answer rather than insist
        return _assess(ctx, replace(state, question=None))
    prompt = _guided_prompt(ctx, state, question)
    choice = _match(prompt.choices, turn)
    # An answer in words may settle this question or another ("nothing is broken, it's just a question").
    said = (question.key, choice.value) if choice else answer_in_words(turn.text, question.key)
    if said is None and understanding.has_substance(turn.text):
        # More about the problem instead of an answer: triage reads it, and this question is not asked again.
        return _assess(ctx, replace(_with_problem(ctx, state, turn.text, turn), question=None))
    if said is None:
        return Step((again(prompt),), state)
    answers = (*state.answers, (said[0].value, said[1]))
    return _assess(ctx, replace(state, answers=answers, question=None))


def _on_severity(ctx: Context, state: State, turn: UserTurn) -> Step:
    chosen = _severity_answer(ctx, state, turn)
    if chosen is None:
        if state.phase is Phase.CONFIRM_SEVERITY and _yes_no(turn) is False:
            return _ask(ctx, replace(state, phase=Phase.PICK_SEVERITY))
        return _retry(ctx, state)
    proposed = state.severity or int(chosen)
    corrections = state.corrections
    if int(chosen) != proposed:
        corrections = (*corrections, (proposed, int(chosen)))
    return _file_case(ctx, replace(state, severity=int(chosen), corrections=corrections), turn.at)


def _severity_answer(ctx: Context, state: State, turn: UserTurn) -> Severity | None:
    """`severity 1`, a choice (button, keypad, label), or in chat a bare `3`; yes keeps the proposal."""
    proposed = _severity(state)
    named = understanding.severity_in(turn.text)
    if named is not None:
        return named
    number = understanding.number_in(turn.text) if not ctx.phone else None
    if number is not None and 1 <= number <= 4:  # in chat a bare number is a severity, not a button position
        return Severity(number)
    choice = _match(_pending(ctx, state).choices, turn)
    if choice is not None:
        return proposed if choice.value == "yes" else Severity(int(choice.value.removeprefix("sev")))
    if state.phase is Phase.CONFIRM_SEVERITY and _yes_no(turn) is True:
        return proposed
    return None


# ---------------------------------------------------------------- filing a case


def _route(ctx: Context, severity: Severity, at: datetime) -> Decision:
    return route(ctx.policy, severity=severity, channel=ctx.channel, at=at, agents_online=ctx.agents_online)


def _file_case(ctx: Context, state: State, at: datetime) -> Step:
    decision = _route(ctx, _severity(state), at)
    # The outcome is fixed now: agents coming and going before the result arrives must not change it.
    state = replace(
        state,
        phase=Phase.FILING,
        case_at=at.isoformat(),
        outcome=decision.outcome,
        offer_agent=decision.offer_live_agent,
        attached=len(state.attachments),
    )
    return Step((w.filing(),), state, (_create_case(ctx, state, decision, at, incomplete=False),))


def _create_case(ctx: Context, state: State, decision: Decision, at: datetime, incomplete: bool) -> CreateCase:
    return CreateCase(
        key=f"{ctx.conversation_id}:case:{state.cases + 1}",
        k_number=state.k_number or state.known_k or "",
        severity=decision.severity,
        summary=_summary(state),
        description=_description(state),
        decision=decision,
        evidence=_triage(state).evidence,
        # Page now unless an engineer is about to be dialled: the phone line pages only if nobody answers.
        page_oncall=decision.severity is Severity.SEV1
        and (incomplete or decision.outcome is not Outcome.PHONE_ENGINEER),
        incomplete=incomplete,
        live_agent_requested=state.handoff,
        severity_corrections=state.corrections,
        attachments=state.attachments[: state.attached] if not incomplete else state.attachments,
        at=at,
    )


def _pending_case(ctx: Context, state: State) -> CreateCase:
    """The CreateCase already emitted for this state, rebuilt identically for a redelivery."""
    at = datetime.fromisoformat(state.case_at or "")
    decision = _route(ctx, _severity(state), at)
    return _create_case(ctx, state, decision, at, incomplete=False)


def _summary(state: State) -> str:
    """The first sentence of the problem, capitalised, at most 80 characters."""
    text = " ".join(" ".join(state.problem).split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    first = first[:1].upper() + first[1:]
    return first if len(first) <= 80 else first[:77].rstrip() + "..."


def _description(state: State) -> str:
    lines = list(state.kept or state.problem)
    if state.dropped:
        over = f"({state.dropped:,} more characters were over the case's limit: see the conversation's transcript.)"
        lines += ["", over]
    if state.answers:
        lines += ["", "Answers to the triage questions:", *(f"- {k}: {v}" for k, v in state.answers)]
    return "\n".join(lines)


def _case_created(ctx: Context, state: State, event: CaseCreated) -> Step:
    state = replace(state, cases=state.cases + 1, last_case=event.number)
    if state.phase is not Phase.FILING:  # an incomplete case after a hang-up: nobody to tell
        return Step((), state, done=state.phase is Phase.DONE)
    late = state.attachments[state.attached :]
    effects: tuple[Effect, ...] = (NoteAttachment(late, event.number, event.at),) if late else ()
    outcome, severity = state.outcome, _severity(state)
    after = _next_case(state)
    if outcome is Outcome.PHONE_ENGINEER:
        connect = ConnectOnCall(event.number, state.k_number or "", _summary(state), event.at)
        return Step((w.sev1_connect(event.number),), replace(after, phase=Phase.DONE), (*effects, connect), done=True)
    if outcome is Outcome.LIVE_CHAT:
        handoff = _hand_off(after, "question", event.number, event.at)
        return replace(handoff, effects=(*effects, *handoff.effects))
    if outcome is Outcome.REDIRECT_PHONE:
        told = w.sev1_redirect(ctx.policy, event.number)
    else:
        told = w.filed(event.number, severity, event.response_due, event.fix_due, event.at, ctx.policy, ctx.phone)
    if state.handoff:
        handoff = _hand_off(after, "customer_request", event.number, event.at)
        return replace(handoff, prompts=(told, *handoff.prompts), effects=(*effects, *handoff.effects))
    outage = outcome is Outcome.REDIRECT_PHONE
    offer = state.offer_agent and outcome is Outcome.WEB_REQUEST
    nxt = _after_request(ctx, after, event, offer_agent=offer, outage=outage)
    return replace(nxt, prompts=(told, *nxt.prompts), effects=(*effects, *nxt.effects))


def _after_request(ctx: Context, state: State, event: CaseCreated, offer_agent: bool, outage: bool = False) -> Step:
    """Chat: say when live chat opens, or offer an agent during its hours; then anything else."""
    if ctx.phone:
        return _ask(ctx, replace(state, phase=Phase.ANYTHING_ELSE))
    # After a Sev1 the customer was just told to call now: chat hours would only be noise.
    quiet = outage or ctx.policy.chat.is_open(event.at)
    lead = () if quiet else (w.chat_closed(ctx.policy, event.at),)
    if offer_agent:
        offer = replace(state, phase=Phase.OFFER_AGENT, agent_reason="question", agent_case=event.number)
        return Step((*lead, _pending(ctx, offer)), offer)
    return Step((*lead, w.anything_else(ctx.phone)), replace(state, phase=Phase.ANYTHING_ELSE))


def _next_case(state: State) -> State:
    """Forget the filed problem, keep who the customer is and what was filed."""
    return State(
        phase=state.phase, k_number=state.k_number, known_k=state.known_k, cases=state.cases, last_case=state.last_case
    )


def _still_working(ctx: Context, state: State, at: datetime) -> Step:
    # Re-emitting is safe (same idempotency key, read-only lookup) and recovers a lost effect.
    if state.phase is Phase.FILING:
        effect: Effect = _pending_case(ctx, state)
    else:
        effect = _lookup_case(ctx, state, at)
    return Step((say("One moment, I'm still working on that."),), state, (effect,))


# ---------------------------------------------------------------- after a case


def _on_offer_agent(ctx: Context, state: State, turn: UserTurn) -> Step:
    answer = _yes_no(turn)
    if answer is True:
        return _hand_off(state, state.agent_reason, state.agent_case, turn.at)
    if answer is False:
        return _ask(ctx, replace(state, phase=Phase.ANYTHING_ELSE))
    if understanding.has_substance(turn.text):
        return _new_problem(ctx, state, turn)
    return _retry(ctx, state)


def _on_anything_else(ctx: Context, state: State, turn: UserTurn) -> Step:
    choice = _match(_pending(ctx, state).choices, turn)
    wanted = choice.value if choice else None
    if wanted is None and not understanding.has_substance(turn.text):
        answer = _yes_no(turn)
        wanted = None if answer is None else "problem" if answer else "done"
    if wanted == "problem":
        return _ask(ctx, replace(state, phase=Phase.ASK_PROBLEM))
    if wanted == "status":
        return _status_next(ctx, replace(state, lookup=None, resume=None), turn.at)
    if wanted == "done":
        return _end(state, w.goodbye())
    if understanding.has_substance(turn.text):
        return _new_problem(ctx, state, turn)
    return _retry(ctx, state)


def _new_problem(ctx: Context, state: State, turn: UserTurn) -> Step:
    return _assess(ctx, _with_problem(ctx, _next_case(state), turn.text, turn))


# ---------------------------------------------------------------- case status


def _status_requested(ctx: Context, state: State, turn: UserTurn) -> Step:
    k_number, rest = _account_in(ctx.policy.account, turn)
    resumable = state.problem and state.phase not in (Phase.OFFER_AGENT, Phase.ANYTHING_ELSE)
    state = replace(
        state,
        k_number=state.k_number or k_number,
        lookup=understanding.case_number_in(rest),
        resume=state.phase if resumable else None,
    )
    return _status_next(ctx, state, turn.at)


def _status_next(ctx: Context, state: State, at: datetime) -> Step:
    # A caller whose number matched an account is not asked for its K#: caller ID vouches for it.
    if not state.k_number and not _by_caller_id(ctx, state):
        return _ask(ctx, replace(state, phase=Phase.STATUS_ACCOUNT))
    if not state.lookup:
        return _ask(ctx, replace(state, phase=Phase.STATUS_NUMBER))
    looking = replace(state, phase=Phase.LOOKING_UP)
    return Step((looking_up(state.lookup, ctx.phone),), looking, (_lookup_case(ctx, state, at),))


def _by_caller_id(ctx: Context, state: State) -> bool:
    return ctx.phone and not state.k_number and state.known_k is not None


def _lookup_case(ctx: Context, state: State, at: datetime) -> LookupCase:
    if _by_caller_id(ctx, state):
        return LookupCase(state.lookup or "", state.known_k or "", at, by_caller_id=True)
    return LookupCase(state.lookup or "", state.k_number or "", at)


def _on_status_account(ctx: Context, state: State, turn: UserTurn) -> Step:
    k_number, _ = _account_in(ctx.policy.account, turn)
    if k_number is None:
        return Step((w.account_again(ctx.policy, ctx.phone),), state)
    return _status_next(ctx, replace(state, k_number=k_number), turn.at)


def _on_status_number(ctx: Context, state: State, turn: UserTurn) -> Step:
    number = understanding.case_number_in(turn.digits or turn.text)
    if number is None:
        return _retry(ctx, state)
    return _status_next(ctx, replace(state, lookup=number), turn.at)


def _case_looked_up(ctx: Context, state: State, event: CaseLookup) -> Step:
    if state.phase is not Phase.LOOKING_UP:
        return Step((), state)
    number, case = state.lookup or "", event.case
    if event.retry_after is not None:
        told = status_throttled(event.retry_after, ctx.policy, ctx.phone)
    elif case is None and _by_caller_id(ctx, state):
        told = status_not_found_for_caller(number, state.known_k or "", ctx.phone)
    elif case is None:
        told = status_not_found(number, state.k_number or "", ctx.phone)
    else:
        told = status_found(case, event.at, ctx.policy, ctx.phone)
    state = replace(state, lookup=None)
    if state.resume is not None:
        nxt = _resume(ctx, replace(state, phase=state.resume, resume=None))
    elif not ctx.phone and ctx.policy.chat.is_open(event.at) and ctx.agents_online > 0:
        case_number = case.number if case else None
        nxt = _ask(ctx, replace(state, phase=Phase.OFFER_AGENT, agent_reason="case_status", agent_case=case_number))
    else:
        nxt = _ask(ctx, replace(state, phase=Phase.ANYTHING_ELSE))
    return replace(nxt, prompts=(told, *nxt.prompts))


def _resume(ctx: Context, state: State) -> Step:
    """Back to the interrupted intake; an account question the status check answered is skipped."""
    if state.phase in (Phase.ASK_ACCOUNT, Phase.CONFIRM_ACCOUNT) and state.k_number:
        return _have_account(ctx, state)
    return _ask(ctx, state)


# ---------------------------------------------------------------- silence, hang-up, attachments


def _silence(ctx: Context, state: State, at: datetime) -> Step:
    if state.silences == 0:
        return Step((w.didnt_hear(), _pending(ctx, state)), replace(state, silences=1))
    done = replace(state, phase=Phase.DONE, silences=state.silences + 1)
    return Step((w.no_input_goodbye(ctx.policy),), done, _incomplete_case(ctx, state, at), done=True)


def _hang_up(ctx: Context, state: State, at: datetime) -> Step:
    if state.phase is Phase.FILING:
        effects: tuple[Effect, ...] = (_pending_case(ctx, state),)
    elif state.phase is Phase.DONE:
        effects = ()
    else:
        effects = _incomplete_case(ctx, state, at)
    return Step((), replace(state, phase=Phase.DONE), effects, done=True)


def _incomplete_case(ctx: Context, state: State, at: datetime) -> tuple[Effect, ...]:
    """What was said before the customer left, as an incomplete case (needs a K# to be filed)."""
    if not state.problem or not (state.k_number or state.known_k):
        return ()
    return (_create_case(ctx, state, _route(ctx, _severity(state), at), at, incomplete=True),)


def _take_attachments(
    state: State, names: Sequence[str], at: datetime
) -> tuple[tuple[Prompt, ...], State, tuple[Effect, ...]]:
    """Files go into the case being described, or onto the last case filed."""
    if not names:
        return (), state, ()
    if state.last_case and not state.problem and state.phase is not Phase.FILING:
        return (w.attached(names, state.last_case),), state, (NoteAttachment(tuple(names), state.last_case, at),)
    return (w.attached(names, None),), replace(state, attachments=(*state.attachments, *names)), ()


# ---------------------------------------------------------------- prompts and answers


def _pending(ctx: Context, state: State) -> Prompt:
    """The question the current phase waits on (to ask, re-ask after help, or repeat after nonsense)."""
    return _PROMPTS[state.phase](ctx, state)


def _account_prompt(ctx: Context, state: State) -> Prompt:
    if ctx.phone or state.problem:
        return w.ask_account(ctx.policy, ctx.phone, have_problem=bool(state.problem))
    return w.ask_account_and_problem(ctx.policy)


def _guided_pending(ctx: Context, state: State) -> Prompt:
    question = _current_question(state)
    # None only if triage changed under a stored state: any answer then re-assesses (see _on_guided).
    return _guided_prompt(ctx, state, question) if question else w.more_detail()


_PROMPTS: dict[Phase, Callable[[Context, State], Prompt]] = {
    Phase.ASK_ACCOUNT: _account_prompt,
    Phase.CONFIRM_ACCOUNT: lambda ctx, state: w.confirm_account(state.known_k or "", ctx.phone),
    Phase.ASK_PROBLEM: lambda ctx, state: w.ask_problem(ctx.phone),
    Phase.GUIDED: _guided_pending,
    Phase.CONFIRM_SEVERITY: lambda ctx, state: w.confirm_severity(ctx.policy, _severity(state), ctx.phone),
    Phase.PICK_SEVERITY: lambda ctx, state: w.pick_severity(_severity(state), ctx.phone),
    Phase.FILING: lambda ctx, state: w.filing(),
    Phase.OFFER_AGENT: lambda ctx, state: w.offer_agent(),
    Phase.ANYTHING_ELSE: lambda ctx, state: w.anything_else(ctx.phone),
    Phase.STATUS_ACCOUNT: lambda ctx, state: status_ask_account(ctx.policy, ctx.phone),
    Phase.STATUS_NUMBER: lambda ctx, state: status_ask_number(ctx.phone),
    Phase.LOOKING_UP: lambda ctx, state: looking_up(state.lookup or "", ctx.phone),
    Phase.DONE: lambda ctx, state: w.goodbye(),
}


def _ask(ctx: Context, state: State) -> Step:
    return Step((_pending(ctx, state),), state)


def _retry(ctx: Context, state: State) -> Step:
    return Step((again(_pending(ctx, state)),), state)


def _yes_no(turn: UserTurn) -> bool | None:
    return understanding.yes_no_answer(turn.text, turn.digits)


def _match(choices: Sequence[Choice], turn: UserTurn) -> Choice | None:
    return understanding.match_choice(choices, turn.text, turn.digits)


def _account_in(fmt: AccountFormat, turn: UserTurn) -> tuple[str | None, str]:
    return understanding.split_account(fmt, turn.text, turn.digits)


_HANDLERS: dict[Phase, Callable[[Context, State, UserTurn], Step]] = {
    Phase.ASK_ACCOUNT: _on_account,
    Phase.CONFIRM_ACCOUNT: _on_confirm_account,
    Phase.ASK_PROBLEM: _on_problem,
    Phase.GUIDED: _on_guided,
    Phase.CONFIRM_SEVERITY: _on_severity,
    Phase.PICK_SEVERITY: _on_severity,
    Phase.OFFER_AGENT: _on_offer_agent,
    Phase.ANYTHING_ELSE: _on_anything_else,
    Phase.STATUS_ACCOUNT: _on_status_account,
    Phase.STATUS_NUMBER: _on_status_number,
}
