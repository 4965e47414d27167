"""Carry out the dialogue's effects through the store: cases, pages, lookups, handoffs, transcripts."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, Attachment
from sqlalchemy.engine import Connection

from bot import incidents
from bot.contract import CLIENT_DATA_KEY, EVENT_CONNECT_ONCALL, EVENT_HANDOFF, VOICE_CHANNEL_ID
from bot.paging import page_item
from intake import dialogue_events as convo
from intake import wording_service as ws
from intake.dialogue_state import State
from intake.domain import CaseEventKind, CaseStatus, CaseSummary, Severity
from intake.notices import NoticeKind
from intake.policy import Policy
from intake.prompts import Prompt
from store import accounts as account_store
from store import cases as case_store
from store import throttle
from store import transcripts as transcript_store
from store.db import SessionMaker, read_session
from store.jobs import Jobs
from store.models import CaseEventPublic, CasePublic
from store.notices import notice_item
from store.outbox import NewOutboxItem
from store.throttle import Limit, ThrottledError, ThrottleKey

if TYPE_CHECKING:
    from bot.handoff import HandoffService

log = logging.getLogger(__name__)


@dataclass
class EffectOutcome:
    """What running one effect produced: activities to send and, maybe, a result for the machine."""

    activities: list[Activity] = field(default_factory=list)
    result: convo.CaseCreated | convo.CaseLookup | None = None


class EffectRunner:
    """The only place the dialogue touches the outside world."""

    def __init__(
        self,
        *,
        session_maker: SessionMaker,
        jobs: Jobs,
        policy: Policy,
        handoff: HandoffService | None = None,
        incident_config: incidents.IncidentConfig | None = None,
    ) -> None:
        self._incidents = incident_config or incidents.IncidentConfig()
        self._sessions = session_maker
        self._jobs = jobs
        self._policy = policy
        self._handoffs = handoff

    async def caller_account(self, e164: str | None) -> convo.KnownAccount | None:
        """Caller ID: the account whose contact phone this is, when exactly one has it."""
        if not e164:
            return None
        async with read_session(self._sessions) as session:
            account = await account_store.find_account_by_phone(session, e164=e164)
        if account is None:
            return None
        return convo.KnownAccount(k_number=account.k_number, name=account.name)

    async def run(
        self, turn_context: TurnContext, ctx: convo.Context, state: State, effect: convo.Effect
    ) -> EffectOutcome:
        if isinstance(effect, convo.CreateCase):
            return await self._create_case(ctx, effect)
        if isinstance(effect, convo.LookupCase):
            return await self._lookup(turn_context, ctx, effect)
        if isinstance(effect, convo.ConnectOnCall):
            return EffectOutcome(activities=[_connect_oncall(effect)])
        if isinstance(effect, convo.RequestHandoff):
            return await self._handoff(turn_context, ctx, effect)
        if isinstance(effect, convo.NoteAttachment):
            return await self._note_attachments(effect)
        raise TypeError(f"unknown effect {type(effect).__name__}")

    async def _create_case(self, ctx: convo.Context, effect: convo.CreateCase) -> EffectOutcome:
        decision = effect.decision
        at = effect.at
        corrections = effect.severity_corrections
        proposed = corrections[0][0] if corrections else int(effect.severity)
        events: list[case_store.NewEvent] = [
            # What triage proposed (before any correction by the customer) and why: the console's "why Sev N".
            case_store.NewEvent(
                kind=CaseEventKind.TRIAGE, detail={"severity": proposed, "evidence": list(effect.evidence)}
            ),
        ]
        events += [
            case_store.NewEvent(
                kind=CaseEventKind.SEVERITY_CHANGED,
                actor="customer",
                detail={"from": old, "to": new, "reason": "customer"},
            )
            for old, new in effect.severity_corrections
        ]
        if effect.attachments:
            names = list(effect.attachments)
            events.append(case_store.NewEvent(kind=CaseEventKind.ATTACHMENT, actor="customer", detail={"names": names}))
        # A requested live agent is logged by the RequestHandoff effect that follows, with its reason.
        outbox: list[NewOutboxItem] = []
        if effect.page_oncall:
            # Written in the case's transaction: a crash after the commit still pages, exactly once; the
            # phone line's escalation uses the same key, so a case is paged once whichever path queues it.
            outbox.append(
                page_item(
                    idempotency_key=effect.key,
                    k_number=effect.k_number,
                    summary=effect.summary,
                    channel=ctx.channel.value,
                )
            )
        # The confirmation the bot announces ("in the confirmation we sent"), in the case's transaction: a
        # case told to the customer is confirmed by email or SMS even if the process dies after the commit.
        outbox.append(notice_item(NoticeKind.CONFIRMATION, dedupe_key=f"{effect.key}:confirmation", locale=ctx.locale))
        status = CaseStatus.INCOMPLETE if effect.incomplete else CaseStatus.NEW
        new_case = case_store.CaseCreate(
            idempotency_key=effect.key,
            k_number=effect.k_number,
            severity=Severity(effect.severity),
            channel=ctx.channel,
            outcome=decision.outcome,
            status=status,
            summary=effect.summary,
            description=effect.description,
            created_at=at,
            response_due=decision.response_due,
            fix_due=decision.fix_due,
            conversation_id=ctx.conversation_id,
            events=events,
            outbox=outbox,
        )
        # The reports rule in the case's transaction: a case naming an outage's component joins its incident.
        filed = await incidents.file_case(self._jobs, case=new_case, text=effect.description, config=self._incidents)
        case = filed.case
        log.info("case %s recorded: severity %s, outcome %s", case.number, case.severity, case.outcome)
        return EffectOutcome(
            result=convo.CaseCreated(
                at=at, number=case.number, response_due=case.response_due, fix_due=case.fix_due, incident=filed.link
            )
        )

    async def _lookup(self, turn_context: TurnContext, ctx: convo.Context, effect: convo.LookupCase) -> EffectOutcome:
        number = case_store.normalise_case_number(effect.number) or effect.number
        k_number: str | None = effect.k_number
        if effect.by_caller_id:
            # Caller ID is the proof: the account whose number calls now, not the one the state remembers.
            account = await self.caller_account(_caller_number(turn_context.activity))
            k_number = account.k_number if account is not None and account.k_number == effect.k_number else None
        keys = lookup_keys(ctx.conversation_id, number, client_address_of(turn_context.activity))
        try:
            found = await self._jobs.write(
                partial(_throttled_lookup, keys=keys, number=number, k_number=k_number, at=effect.at)
            )
        except ThrottledError as exc:
            log.info("case status lookup refused: too many failed lookups")
            return EffectOutcome(result=convo.CaseLookup(at=effect.at, case=None, retry_after=exc.retry_after))
        await self._jobs.write(partial(throttle.prune, at=effect.at))
        summary = None
        if found is not None:
            case, last = found
            summary = CaseSummary(
                number=case.number,
                severity=Severity(case.severity),
                status=case.status,
                summary=case.summary,
                last_update=last.at if last else case.updated_at,
                last_update_text=_describe_event(last.kind) if last else "case recorded",
                response_due=case.response_due,
                fix_due=case.fix_due,
            )
        return EffectOutcome(result=convo.CaseLookup(at=effect.at, case=summary))

    async def _handoff(
        self, turn_context: TurnContext, ctx: convo.Context, effect: convo.RequestHandoff
    ) -> EffectOutcome:
        at = effect.at
        if effect.case_number:
            detail = {"reason": effect.reason, "conversation_id": ctx.conversation_id}
            await self._log(effect.case_number, CaseEventKind.HANDOFF_REQUESTED, at, detail)
        async with read_session(self._sessions) as session:
            transcript = await transcript_store.get_transcript(session, conversation_id=ctx.conversation_id)
        # The Bot Framework handoff convention (as in the JS and .NET SDKs): an event with the context
        # in `value` and the transcript attached.
        event = Activity(
            type=ActivityTypes.event,
            name=EVENT_HANDOFF,
            value={"reason": effect.reason, "case_number": effect.case_number, "channel": ctx.channel.value},
            attachments=[
                Attachment(
                    content_type="application/vnd.microsoft.activity.transcript",
                    name="Transcript",
                    content=[{"role": e.role, "text": e.text, "at": e.at.isoformat()} for e in transcript],
                )
            ],
        )
        if self._handoffs is None:
            return EffectOutcome(activities=[event])
        position = await self._handoffs.start(turn_context, case_number=effect.case_number, reason=effect.reason, at=at)
        queued = Activity(type=ActivityTypes.message, text=ws.queue_position(position, turn_context.activity.locale))
        return EffectOutcome(activities=[event, queued])

    async def _note_attachments(self, effect: convo.NoteAttachment) -> EffectOutcome:
        if effect.case_number:
            await self._log(effect.case_number, CaseEventKind.ATTACHMENT, effect.at, {"names": list(effect.names)})
        return EffectOutcome()

    async def _log(self, number: str, kind: CaseEventKind, at: datetime, detail: Mapping[str, object]) -> None:
        """Append a customer event to a case's history."""
        async with self._sessions() as session, session.begin():
            await case_store.add_event(session, number=number, kind=kind, actor="customer", at=at, detail=detail)


def transcript_lines(
    event: convo.Start | convo.UserTurn | convo.HangUp | convo.Resume, prompts: Sequence[Prompt]
) -> list[tuple[str, str]]:
    """The turn's transcript: the customer's words (or what stood for them) and the bot's answers."""
    lines: list[tuple[str, str]] = []
    if isinstance(event, convo.UserTurn):
        said = event.text or (event.digits or "")
        if event.no_input:
            said = "(no input)"
        if event.attachments:
            said = (said + " " if said else "") + "[attachments: " + ", ".join(event.attachments) + "]"
        lines.append(("customer", said))
    elif isinstance(event, convo.HangUp):
        lines.append(("customer", "(hung up)"))
    lines += [("bot", p.text) for p in prompts]
    return lines


# Failed status lookups (a case number with a K# that does not own it, or no such case) allowed before
# lookups pause: guessing a K# for a known case number, or case numbers for a known K#, stays slow
# whichever conversations, addresses or processes the guesses come through.
LOOKUP_CONVERSATION_LIMIT = Limit("lookup-conversation", 5, timedelta(minutes=15))
LOOKUP_ADDRESS_LIMIT = Limit("lookup-address", 20, timedelta(hours=1))
LOOKUP_CASE_LIMIT = Limit("lookup-case", 10, timedelta(hours=1))

_MAX_ADDRESS = 100


def lookup_keys(conversation_id: str, number: str, address: str | None) -> list[ThrottleKey]:
    """The counters a status lookup is held to: its conversation, its case number, the client's address."""
    keys = [LOOKUP_CONVERSATION_LIMIT.key(conversation_id), LOOKUP_CASE_LIMIT.key(number)]
    if address:
        keys.append(LOOKUP_ADDRESS_LIMIT.key(address))
    return keys


def client_address_of(activity: Activity) -> str | None:
    """Where a turn comes from, for the per-address limits: the caller's number on the phone; otherwise
    channelData["intake_client"]["address"].

    The website's Direct Line gateway sets that key from the HTTP request's client address (see
    bot.client_address) and must overwrite whatever a client sent under it; other channels leave it out.
    """
    if activity.channel_id == VOICE_CHANNEL_ID:
        return _caller_number(activity)
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    client = data.get(CLIENT_DATA_KEY)
    address = client.get("address") if isinstance(client, dict) else None
    return address if isinstance(address, str) and 0 < len(address) <= _MAX_ADDRESS else None


def _caller_number(activity: Activity) -> str | None:
    if activity.channel_id != VOICE_CHANNEL_ID:
        return None
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    twilio = data.get("twilio")
    number = twilio.get("from") if isinstance(twilio, dict) else None
    return number if isinstance(number, str) and number else None


def _throttled_lookup(
    conn: Connection, *, keys: list[ThrottleKey], number: str, k_number: str | None, at: datetime
) -> tuple[CasePublic, CaseEventPublic | None] | None:
    # One transaction: the attempt is counted before the case is read, and given back only if it was found.
    throttle.reserve(conn, keys=keys, at=at)
    found = None if k_number is None else _case_and_last_event(conn, number=number, k_number=k_number)
    if found is not None:
        throttle.release(conn, keys=keys, at=at)
    return found


def _case_and_last_event(
    conn: Connection, *, number: str, k_number: str
) -> tuple[CasePublic, CaseEventPublic | None] | None:
    case = case_store.case_for_account(conn, number=number, k_number=k_number)
    if case is None:
        return None
    return case, case_store.latest_event_of(conn, case_id=case.id)


def _connect_oncall(effect: convo.ConnectOnCall) -> Activity:
    return Activity(
        type=ActivityTypes.event,
        name=EVENT_CONNECT_ONCALL,
        value={"case_number": effect.case_number, "k_number": effect.k_number, "summary": effect.summary},
    )


_EVENT_WORDS: dict[str, str] = {
    CaseEventKind.CREATED: "case recorded",
    CaseEventKind.TRIAGE: "case recorded",
    CaseEventKind.SEVERITY_CHANGED: "severity changed",
    CaseEventKind.STATUS_CHANGED: "status changed",
    CaseEventKind.NOTE: "an engineer added a note",
    CaseEventKind.PAGE_QUEUED: "on-call engineer being paged",
    CaseEventKind.PAGE_SENT: "on-call engineer paged",
    CaseEventKind.PAGE_FAILED: "paging the on-call engineer failed; staff are escalating",
    CaseEventKind.HANDOFF_REQUESTED: "live agent requested",
    CaseEventKind.FIRST_RESPONSE: "an engineer responded",
    CaseEventKind.ATTACHMENT: "attachment added",
}


def _describe_event(kind: str) -> str:
    return _EVENT_WORDS.get(kind, kind.replace("_", " "))
