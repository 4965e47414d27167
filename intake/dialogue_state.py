"""What the dialogue remembers between turns: the phase, who the customer is, and one record per sub-flow.

The state is stored as JSON (bot/turn_state.py) and read back on the next turn, possibly by a process still
running the previous release. On the wire it stays one flat object whose keys are the fields of the records
(`problem`, `severity`, `lookup`, ...), the form it had before the records were nested: a row written by
either release is read by the other, and no stored conversation needs migrating.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from enum import Enum, StrEnum
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from intake.domain import HandoffReason, Outcome

__all__ = ["AgentOffer", "Assessment", "Filing", "FollowUp", "Phase", "State", "StatusCheck", "Told"]


class Phase(StrEnum):
    """Which answer the dialogue waits for."""

    ASK_ACCOUNT = "ask_account"
    CONFIRM_ACCOUNT = "confirm_account"
    ASK_PROBLEM = "ask_problem"
    GUIDED = "guided"
    CONFIRM_SEVERITY = "confirm_severity"
    PICK_SEVERITY = "pick_severity"
    IN_WINDOW = "in_window"  # an outage during the customer's planned maintenance: is it something else?
    FILING = "filing"
    OFFER_AGENT = "offer_agent"
    ANYTHING_ELSE = "anything_else"
    STATUS_ACCOUNT = "status_account"
    STATUS_NUMBER = "status_number"
    LOOKING_UP = "looking_up"
    HELD_PROBLEM = "held_problem"  # a problem written beside a status question: record it as a new one?
    DONE = "done"


class FollowUp(StrEnum):
    """What a customer can want once a case is filed or a status told (the choices of `anything else?`)."""

    PROBLEM = "problem"
    STATUS = "status"
    DONE = "done"


@dataclass(frozen=True)
class Told:
    """The customer's own words about the problem, message by message."""

    problem: tuple[str, ...] = ()  # as far as triage reads them
    kept: tuple[str, ...] = ()  # all of them, for the case, when some were not read; else empty (= `problem`)
    dropped: int = 0  # characters of the description over the case's limit, not kept

    @property
    def whole(self) -> tuple[str, ...]:
        """What the case keeps."""
        return self.kept or self.problem


@dataclass(frozen=True)
class Assessment:
    """The guided questions asked and answered, and the severity proposed, then confirmed.

    Questions and answers are kept as their stored strings, not as `Question`s: a row written before the
    question list changed must still load (an unknown question is then skipped, see dialogue_triage).
    """

    answers: tuple[tuple[str, str], ...] = ()  # (Question value, choice value)
    asked: tuple[str, ...] = ()
    question: str | None = None  # the guided question waiting for its answer
    severity: int | None = None  # triage's proposal, then the confirmed one
    corrections: tuple[tuple[int, int], ...] = ()  # (proposed, chosen) when the customer changed it
    window_asked: bool = False  # told of their maintenance under way and asked whether it is something else

    def asking(self, key: str) -> Assessment:
        return replace(self, question=key, asked=(*self.asked, key))

    def answered(self, key: str, value: str) -> Assessment:
        return replace(self, answers=(*self.answers, (key, value)), question=None)

    def moved_on(self) -> Assessment:
        """The pending question is left without an answer (not asked again: it stays in `asked`)."""
        return replace(self, question=None)

    def chosen(self, severity: int) -> Assessment:
        """The customer's severity; a change from the proposal is recorded as a correction."""
        proposed = self.severity or severity
        corrections = self.corrections if severity == proposed else (*self.corrections, (proposed, severity))
        return replace(self, severity=severity, corrections=corrections)


@dataclass(frozen=True)
class Filing:
    """The case being described, then filed: its files, and what was decided when the CreateCase went out."""

    attachments: tuple[str, ...] = ()
    attached: int = 0  # how many of `attachments` went into the pending CreateCase
    case_at: str | None = None  # ISO instant of the pending CreateCase, so a re-emission is identical
    outcome: Outcome = Outcome.WEB_REQUEST  # of the pending CreateCase
    offer_agent: bool = False  # the routing offers a live agent once the case exists
    handoff: bool = False  # the customer asked for a person: hand off once the case exists


@dataclass(frozen=True)
class AgentOffer:
    """A live agent offered: why, and about which case."""

    agent_reason: HandoffReason = HandoffReason.QUESTION
    agent_case: str | None = None


@dataclass(frozen=True)
class StatusCheck:
    """A case's status asked after: the number to look up, the intake question to return to, and the problem the
    customer wrote beside the question, held until the status is told."""

    lookup: str | None = None
    resume: Phase | None = None
    held: str | None = None


@dataclass(frozen=True)
class State:
    """Everything the dialogue remembers between turns; plain JSON through to_dict/from_dict."""

    phase: Phase = Phase.ASK_ACCOUNT
    k_number: str | None = None
    known_k: str | None = None  # from caller ID, until the caller confirms it
    cases: int = 0  # cases created in this conversation: numbers the idempotency keys
    last_case: str | None = None
    silences: int = 0
    told: Told = Told()
    assessment: Assessment = Assessment()
    filing: Filing = Filing()
    offer: AgentOffer = AgentOffer()
    status: StatusCheck = StatusCheck()

    @property
    def described(self) -> bool:
        """The customer has said something about a problem."""
        return bool(self.told.problem)

    def started_over(self) -> State:
        """`start over`: everything forgotten but the case counter, so case keys never repeat."""
        return State(cases=self.cases)

    def reopened(self) -> State:
        """A message after goodbye opens a new intake, knowing the last case filed."""
        return State(cases=self.cases, last_case=self.last_case)

    def ended(self) -> State:
        return State(phase=Phase.DONE, cases=self.cases, last_case=self.last_case)

    def next_case(self) -> State:
        """Forget the filed problem, keep who the customer is and what was filed."""
        return State(
            phase=self.phase, k_number=self.k_number, known_k=self.known_k, cases=self.cases, last_case=self.last_case
        )

    def to_dict(self) -> dict[str, Any]:
        """One flat object (see the module's docstring): enums as values, tuples as lists."""
        return _flat(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> State:
        """Inverse of to_dict; fields missing from an older stored state take their defaults."""
        return _load(cls, data)


R = TypeVar("R")


# Flags added since: written only when set, so a row without them is what the previous release wrote and reads.
_NEW_FLAGS = frozenset({"window_asked", "held"})


def _flat(record: object) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, sub, _ in _readers(type(record)):
        value = getattr(record, name)
        if sub is not None:
            out |= _flat(value)
        elif name in _NEW_FLAGS and not value:
            continue
        else:
            out[name] = _plain(value)
    return out


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _load(cls: type[R], data: Mapping[str, Any]) -> R:
    values: dict[str, Any] = {}
    for name, record, read in _readers(cls):
        if record is not None:
            values[name] = _load(record, data)
        elif name in data:
            values[name] = read(data[name])
    return cls(**values)


Reader = Callable[[Any], Any]


def _readers(cls: type) -> list[tuple[str, type | None, Reader]]:
    """Each field's name, its record type if it is one, and how its JSON value is read (worked out once)."""
    if cls not in _READERS:
        hints = get_type_hints(cls)
        _READERS[cls] = [
            (f.name, kind, _keep) if isinstance(kind := hints[f.name], type) and is_dataclass(kind) else
            (f.name, None, _reader(kind))
            for f in fields(cls)
        ]  # fmt: skip
    return _READERS[cls]


_READERS: dict[type, list[tuple[str, type | None, Reader]]] = {}


def _keep(raw: Any) -> Any:
    return raw


def _reader(kind: Any) -> Reader:
    """A JSON value as the field's type: lists to tuples, strings to enums; an empty enum value is None."""
    origin, args = get_origin(kind), get_args(kind)
    if origin in (Union, types.UnionType):
        inner = next(a for a in args if a is not type(None))
        read, enum = _reader(inner), isinstance(inner, type) and issubclass(inner, Enum)
        return lambda raw: None if raw is None or (enum and raw == "") else read(raw)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        each = _reader(args[0])
        return lambda raw: tuple(each(v) for v in raw)
    if origin is tuple:
        parts = [_reader(a) for a in args]
        return lambda raw: tuple(read(v) for read, v in zip(parts, raw, strict=True))
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind
    return _keep
