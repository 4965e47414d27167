"""Shared vocabulary of the domain: severities, channels, outcomes, case states and summaries, domain errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum


class Severity(IntEnum):
    """Severity 1 (service down) to 4 (question or change request)."""

    SEV1 = 1
    SEV2 = 2
    SEV3 = 3
    SEV4 = 4


class Channel(StrEnum):
    """Where the customer reached us."""

    CHAT = "chat"
    PHONE = "phone"


class Outcome(StrEnum):
    """What the desk does with a case (POLICY.md's routing vocabulary)."""

    PHONE_ENGINEER = "phone_engineer"
    REDIRECT_PHONE = "redirect_phone"
    WEB_REQUEST = "web_request"
    LIVE_CHAT = "live_chat"


class CaseStatus(StrEnum):
    """Life cycle of a case."""

    NEW = "new"
    INCOMPLETE = "incomplete"
    IN_PROGRESS = "in_progress"
    PENDING_CUSTOMER = "pending_customer"  # waiting for the customer: the update and fix clocks pause
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"


class CaseEventKind(StrEnum):
    """What an entry of a case's history records (stored as its value)."""

    CREATED = "created"
    TRIAGE = "triage"  # what triage proposed, and why
    SEVERITY_CHANGED = "severity_changed"
    STATUS_CHANGED = "status_changed"
    NOTE = "note"  # an engineer's note
    ASSIGNED = "assigned"  # who works the case changed (detail: from, to; None when unassigned)
    ATTACHMENT = "attachment"
    FIRST_RESPONSE = "first_response"
    CUSTOMER_UPDATE = "customer_update"  # news sent to the customer: restarts the update clock
    CUSTOMER_REPLIED = "customer_replied"  # the customer answered: a case waiting for them carries on
    SLA_WARNING = "sla_warning"  # a clock reached its warning share (detail: clock, due)
    SLA_BREACHED = "sla_breached"  # a clock passed its target: the case escalates (detail: clock, due)
    HANDOFF_REQUESTED = "handoff_requested"
    HANDOFF_TIMED_OUT = "handoff_timed_out"  # no agent took the chat: the case became a web request
    PAGE_QUEUED = "page_queued"
    PAGE_SENT = "page_sent"
    PAGE_FAILED = "page_failed"
    VOICEMAIL = "voicemail"  # the caller left a message when nobody on call answered


class HandoffReason(StrEnum):
    """Why a conversation goes to a live agent (stored with the handoff, shown to agents)."""

    QUESTION = "question"  # the routing offers an agent for the case just filed
    CUSTOMER_REQUEST = "customer_request"  # the customer asked for a person
    CASE_STATUS = "case_status"  # offered after the status of a case was told


@dataclass(frozen=True)
class CaseSummary:
    """What the store tells about a case when a customer asks after it."""

    number: str
    severity: Severity
    status: CaseStatus
    summary: str
    last_update: datetime
    last_update_text: str
    response_due: datetime
    fix_due: datetime | None


class IntakeError(Exception):
    """Base class of the domain's errors."""


class PolicyError(IntakeError, ValueError):
    """A policy value cannot be understood; the message says the accepted form."""


class NaiveDatetimeError(IntakeError, ValueError):
    """A datetime without a timezone reached the domain, where every instant must be tz-aware."""


def require_aware(at: datetime, what: str = "instant") -> datetime:
    """Return `at` if it carries a UTC offset; raise NaiveDatetimeError otherwise."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise NaiveDatetimeError(f"{what} must carry a timezone offset, got naive {at.isoformat()}")
    return at
