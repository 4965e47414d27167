"""The dialogue's traffic with the world: the context of a turn, the events it takes, the effects it asks for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from intake.catalog import DEFAULT_LOCALE
from intake.dialogue_state import State
from intake.domain import CaseSummary, Channel, HandoffReason, Severity
from intake.policy import Policy
from intake.prompts import Prompt
from intake.routing import Decision
from intake.wording_maintenance import MaintenanceNote

__all__ = [
    "CaseCreated",
    "CaseLookup",
    "ConnectOnCall",
    "Context",
    "CreateCase",
    "Effect",
    "Event",
    "HangUp",
    "IncidentLink",
    "KnownAccount",
    "LookupCase",
    "NoteAttachment",
    "RequestHandoff",
    "Resume",
    "Start",
    "Step",
    "UserTurn",
]


@dataclass(frozen=True)
class Context:
    """What surrounds a turn: the policy, the channel, the conversation, agent availability, the locale, and the
    planned maintenance windows in their notice period or under way (of every account: the dialogue picks the
    customer's once it knows the K#)."""

    policy: Policy
    channel: Channel
    conversation_id: str
    agents_online: int = 0
    locale: str = DEFAULT_LOCALE  # the customer's (`fr-CA`): what the dialogue says is looked up in it
    maintenance: tuple[MaintenanceNote, ...] = ()

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
class HangUp:
    """The customer left (call ended, chat closed)."""

    at: datetime


@dataclass(frozen=True)
class IncidentLink:
    """The known outage a new case was linked to: the component's name for customers, and since when."""

    component: str
    since: datetime


@dataclass(frozen=True)
class CaseCreated:
    """Result of CreateCase; `incident` when the case joined a known outage (the customer is told so)."""

    at: datetime
    number: str
    response_due: datetime
    fix_due: datetime | None
    incident: IncidentLink | None = None


@dataclass(frozen=True)
class CaseLookup:
    """Result of LookupCase: None both when the case is missing and when another account owns it.

    `retry_after` is set when the lookup was refused: too many lookups failed lately (for this
    conversation, the customer's address or the case), so none is made until then.
    """

    at: datetime
    case: CaseSummary | None
    retry_after: timedelta | None = None


@dataclass(frozen=True)
class Resume:
    """The chat is the bot's again after RequestHandoff: the agent handed it back, or nobody took it in time."""

    at: datetime


Event = UserTurn | HangUp | CaseCreated | CaseLookup | Resume

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

    reason: HandoffReason
    case_number: str | None
    at: datetime


@dataclass(frozen=True)
class NoteAttachment:
    """Files received after the case was created."""

    names: tuple[str, ...]
    case_number: str
    at: datetime


Effect = CreateCase | LookupCase | ConnectOnCall | RequestHandoff | NoteAttachment


@dataclass(frozen=True)
class Step:
    """What one event produced: things to say, the new state, requests to the outside world."""

    prompts: tuple[Prompt, ...]
    state: State
    effects: tuple[Effect, ...] = ()
    done: bool = False
