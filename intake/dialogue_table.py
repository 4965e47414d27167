"""The dialogue's phases as a table: what reads the customer's answer in each, and where each can lead.

`conversation.step` runs the handler the table names and refuses a move the table does not declare, so the
table, and the diagram drawn from it (`python -m intake.dialogue_table`, shown in docs/ARCHITECTURE.md), say
what the code does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from intake.dialogue_events import CaseCreated, CaseLookup, Context, Step, UserTurn
from intake.dialogue_intake import on_account, on_confirm_account, on_guided, on_in_window, on_problem, on_severity
from intake.dialogue_outcome import on_anything_else, on_offer_agent
from intake.dialogue_state import Phase, State
from intake.dialogue_status import RESUMABLE, on_held_problem, on_status_account, on_status_number
from intake.domain import IntakeError

__all__ = ["ANYWHERE", "START", "TABLE", "Anywhere", "Node", "UndeclaredMove", "diagram", "handler", "moved", "started"]

Handler = Callable[[Context, State, UserTurn], Step]


@dataclass(frozen=True)
class Node:
    """One phase: exactly one of the handler of the customer's answer, the result awaited, or the end."""

    to: frozenset[Phase]  # where the answer, the result or the end can lead, besides staying and ANYWHERE
    handler: Handler | None = None
    awaits: type[CaseCreated] | type[CaseLookup] | None = None  # a turn meanwhile re-emits the effect
    final: bool = False  # the conversation is over; a new message opens a new intake
    label: str = ""  # what moves it, for the diagram


class UndeclaredMove(IntakeError):
    """A step moved between phases that the table does not connect: a fault in the dialogue or its table."""


# Where triage of the words leads (an outage during the customer's planned maintenance: is it something else?).
_ASSESSED = frozenset({Phase.GUIDED, Phase.CONFIRM_SEVERITY, Phase.IN_WINDOW})
_HAVE_ACCOUNT = _ASSESSED | {Phase.ASK_PROBLEM}  # once the K# is known
_STATUS = frozenset({Phase.STATUS_ACCOUNT, Phase.STATUS_NUMBER, Phase.LOOKING_UP})
_NEXT = frozenset({Phase.OFFER_AGENT, Phase.ANYTHING_ELSE})  # what follows a case or a status told
# Once a status is told: the interrupted intake, the problem written beside the question, or what follows.
_AFTER_STATUS = RESUMABLE | _HAVE_ACCOUNT | _NEXT | {Phase.HELD_PROBLEM}

TABLE: Mapping[Phase, Node] = {
    Phase.ASK_ACCOUNT: Node(_HAVE_ACCOUNT, on_account),
    Phase.CONFIRM_ACCOUNT: Node(_HAVE_ACCOUNT | {Phase.ASK_ACCOUNT}, on_confirm_account),
    Phase.ASK_PROBLEM: Node(_ASSESSED, on_problem),
    Phase.GUIDED: Node(_ASSESSED, on_guided),
    Phase.CONFIRM_SEVERITY: Node(frozenset({Phase.PICK_SEVERITY, Phase.FILING}), on_severity),
    Phase.PICK_SEVERITY: Node(frozenset({Phase.FILING}), on_severity),
    Phase.IN_WINDOW: Node(_ASSESSED | {Phase.ANYTHING_ELSE}, on_in_window),
    Phase.FILING: Node(_NEXT | {Phase.DONE}, awaits=CaseCreated, label="case created"),
    Phase.OFFER_AGENT: Node(_ASSESSED | {Phase.ANYTHING_ELSE, Phase.DONE}, on_offer_agent),
    Phase.ANYTHING_ELSE: Node(_ASSESSED | _STATUS | {Phase.ASK_PROBLEM, Phase.DONE}, on_anything_else),
    Phase.STATUS_ACCOUNT: Node(frozenset({Phase.STATUS_NUMBER, Phase.LOOKING_UP}), on_status_account),
    # The number not known: on as after a lookup.
    Phase.STATUS_NUMBER: Node(_AFTER_STATUS | {Phase.LOOKING_UP}, on_status_number),
    Phase.LOOKING_UP: Node(_AFTER_STATUS, awaits=CaseLookup, label="case looked up"),
    # A problem the customer wrote beside the status question: taken (the K# asked if still unknown), or not.
    Phase.HELD_PROBLEM: Node(
        _ASSESSED | {Phase.ASK_ACCOUNT, Phase.CONFIRM_ACCOUNT, Phase.ANYTHING_ELSE}, on_held_problem
    ),
    Phase.DONE: Node(frozenset({Phase.ASK_ACCOUNT}), final=True, label="a new message"),
}

# Where `start` leads: a caller whose number matched an account only confirms its K#.
START: Mapping[Phase, str] = {Phase.ASK_ACCOUNT: "", Phase.CONFIRM_ACCOUNT: "caller ID matched"}


class Anywhere(StrEnum):
    """Moves made from any phase (their labels in the diagram): what the customer may say at any point, and
    the chat coming back from a live agent (a handoff leaves the dialogue done, but a conversation is
    resumed wherever it stands)."""

    START_OVER = "start over"
    STATUS = "a case's status"
    PERSON = "a person (chat)"
    LEAVING = "goodbye, cancel, silence, hang-up"
    RESUME = "back from a live agent"


ANYWHERE: Mapping[Anywhere, frozenset[Phase]] = {
    Anywhere.START_OVER: frozenset({Phase.ASK_ACCOUNT}),
    Anywhere.STATUS: _STATUS,
    Anywhere.PERSON: frozenset({Phase.FILING, Phase.DONE}),  # the case filed first, or an agent at once
    Anywhere.LEAVING: frozenset({Phase.DONE}),
    # What the dialogue still lacks: the account, the problem, or else anything more.
    Anywhere.RESUME: frozenset({Phase.ASK_ACCOUNT, Phase.ASK_PROBLEM, Phase.ANYTHING_ELSE}),
}


def handler(phase: Phase) -> Handler:
    found = TABLE[phase].handler
    if found is None:
        raise UndeclaredMove(f"no answer is read in phase {phase.value}")
    return found


def started(result: Step) -> Step:
    """`result` of `start` if its phase is one START declares; UndeclaredMove otherwise."""
    if result.state.phase not in START:
        raise UndeclaredMove(f"a conversation does not start at {result.state.phase.value}")
    return result


def moved(before: Phase, result: Step, by: Anywhere | None = None) -> Step:
    """`result` if the table lets `before` reach its phase, by the phase's own move or by `by`.

    UndeclaredMove otherwise: a fault to fix in the dialogue or in the table, never in the customer's words.
    """
    after = result.state.phase
    allowed = TABLE[before].to if by is None else ANYWHERE[by]
    if after is not before and after not in allowed:
        raise UndeclaredMove(f"{before.value} -> {after.value} is not in the dialogue's table")
    return result


def diagram() -> str:
    """The phases and their moves as a Mermaid state diagram, drawn from TABLE, START and ANYWHERE."""
    lines = ["stateDiagram-v2"]
    lines += [_edge("[*]", phase.value, label) for phase, label in START.items()]
    for phase, node in TABLE.items():
        lines += [_edge(phase.value, to.value, node.label) for to in Phase if to in node.to]
        if node.final:
            lines.append(_edge(phase.value, "[*]", ""))
    lines.append('    state "any phase" as anywhere')
    for by, targets in ANYWHERE.items():
        lines += [_edge("anywhere", to.value, by.value) for to in Phase if to in targets]
    return "\n".join(lines) + "\n"


def _edge(source: str, target: str, label: str) -> str:
    return f"    {source} --> {target}" + (f": {label}" if label else "")


if __name__ == "__main__":
    sys.stdout.write(diagram())
