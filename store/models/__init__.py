"""The store's rows and read models, one module per aggregate; import them from here.

Importing this package registers every table on `SQLModel.metadata` (what migrations compare against).

| aggregate | module |
|---|---|
| customer accounts and their caller-ID numbers | `accounts` |
| cases, their numbering, their history and the SLA alerts fired on them | `cases` |
| conversations, their transcripts and their state row | `conversations` |
| the transactional outbox | `outbox` |
| agents, their sign-ins, and the live chats handed to them | `agents` |
| the website's Direct Line conversations and activities | `directline` |
| the phone line's turns, calls and dial attempts | `voice` |
| attempt counters | `throttle` |
| the eXceed survey of closed cases, its follow-up tasks and opt-outs | `surveys` |
| incidents (an outage many report), the cases linked to them, the components cases name | `incidents` |
| planned maintenance windows, the accounts they affect, their audit | `maintenance` |
"""

from __future__ import annotations

from intake.availability import Commitment
from store.models.accounts import Account, AccountBase, AccountPhone, AccountPublic, NotifyBy
from store.models.agents import (
    OPEN_STATUSES,
    Agent,
    AgentPublic,
    ApiToken,
    ConsoleSession,
    ConsoleSessionPublic,
    Handoff,
    HandoffBase,
    HandoffPublic,
    HandoffStatus,
    Presence,
    Role,
)
from store.models.base import UTCDateTime
from store.models.cases import Case, CaseBase, CaseCounter, CaseEvent, CaseEventPublic, CasePublic, SlaAlert
from store.models.conversations import BotState, Conversation, TranscriptEntry, TranscriptLine
from store.models.directline import (
    DirectLineActivity,
    DirectLineActivityPublic,
    DirectLineConversation,
    DirectLineConversationPublic,
)
from store.models.incidents import (
    CaseComponent,
    Incident,
    IncidentCase,
    IncidentPublic,
    IncidentStatus,
    IncidentUpdate,
)
from store.models.maintenance import (
    MaintenanceAccount,
    MaintenanceAudit,
    MaintenanceWindow,
    MaintenanceWindowPublic,
    WindowStatus,
)
from store.models.outbox import Outbox, OutboxItem, OutboxStatus
from store.models.surveys import (
    FollowUpStatus,
    Survey,
    SurveyChannel,
    SurveyFollowUp,
    SurveyFollowUpPublic,
    SurveyOptOut,
    SurveyPublic,
    SurveyStatus,
)
from store.models.throttle import ThrottleCounter
from store.models.voice import CallPhase, CallRecord, DialAttempt, VoiceTurn

__all__ = [
    "OPEN_STATUSES",
    "Account",
    "AccountBase",
    "AccountPhone",
    "AccountPublic",
    "Agent",
    "AgentPublic",
    "ApiToken",
    "BotState",
    "CallPhase",
    "CallRecord",
    "Case",
    "CaseBase",
    "CaseComponent",
    "CaseCounter",
    "CaseEvent",
    "CaseEventPublic",
    "CasePublic",
    "Commitment",
    "ConsoleSession",
    "ConsoleSessionPublic",
    "Conversation",
    "DialAttempt",
    "DirectLineActivity",
    "DirectLineActivityPublic",
    "DirectLineConversation",
    "DirectLineConversationPublic",
    "FollowUpStatus",
    "Handoff",
    "HandoffBase",
    "HandoffPublic",
    "HandoffStatus",
    "Incident",
    "IncidentCase",
    "IncidentPublic",
    "IncidentStatus",
    "IncidentUpdate",
    "MaintenanceAccount",
    "MaintenanceAudit",
    "MaintenanceWindow",
    "MaintenanceWindowPublic",
    "NotifyBy",
    "Outbox",
    "OutboxItem",
    "OutboxStatus",
    "Presence",
    "Role",
    "SlaAlert",
    "Survey",
    "SurveyChannel",
    "SurveyFollowUp",
    "SurveyFollowUpPublic",
    "SurveyOptOut",
    "SurveyPublic",
    "SurveyStatus",
    "ThrottleCounter",
    "TranscriptEntry",
    "TranscriptLine",
    "UTCDateTime",
    "VoiceTurn",
    "WindowStatus",
]
