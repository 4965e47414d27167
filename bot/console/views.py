"""What the console shows, as JSON: the live queue and one conversation with its case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from store import cases as case_store
from store import handoffs as handoff_store
from store import transcripts as transcript_store
from store.agents import list_agents
from store.models import CasePublic, HandoffPublic, HandoffStatus

JsonObject = dict[str, Any]


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def handoff_json(
    handoff: HandoffPublic, *, case: CasePublic | None, agents: dict[int, str], position: int | None
) -> JsonObject:
    """One queue entry: who, how urgent, how long it has waited, who has it."""
    return {
        "id": handoff.id,
        "status": handoff.status.value,
        "position": position,
        "channel": handoff.channel,
        "reason": handoff.reason,
        "case_number": handoff.case_number,
        "severity": case.severity.value if case else handoff.severity,
        "summary": case.summary if case else "",
        "k_number": case.k_number if case else None,
        "response_due": _iso(case.response_due if case else handoff.response_due),
        "first_response_at": _iso(case.first_response_at if case else None),
        "created_at": _iso(handoff.created_at),
        "claimed_at": _iso(handoff.claimed_at),
        "ended_at": _iso(handoff.ended_at),
        "agent": None if handoff.agent_id is None else {"id": handoff.agent_id, "name": agents.get(handoff.agent_id)},
        "version": handoff.version,
    }


async def _agent_names(session: AsyncSession) -> dict[int, str]:
    return {agent.id: agent.name for agent in await list_agents(session)}


async def _case(session: AsyncSession, number: str | None) -> CasePublic | None:
    return await case_store.get_case(session, number=number) if number else None


async def queue_snapshot(session: AsyncSession) -> JsonObject:
    """The open handoffs in queue order (queued ones numbered), for every console."""
    agents = await _agent_names(session)
    items: list[JsonObject] = []
    waiting = 0
    for handoff in await handoff_store.queue(session):
        position = None
        if handoff.status is HandoffStatus.QUEUED:
            waiting += 1
            position = waiting
        case = await _case(session, handoff.case_number)
        items.append(handoff_json(handoff, case=case, agents=agents, position=position))
    return {"items": items}


async def conversation_detail(session: AsyncSession, handoff: HandoffPublic, *, after: int = 0) -> JsonObject:
    """One conversation: the handoff, its case and history, and the transcript lines after line `after`."""
    agents = await _agent_names(session)
    case = await _case(session, handoff.case_number)
    events = await case_store.list_events(session, number=case.number) if case else []
    lines = await transcript_store.get_transcript(session, conversation_id=handoff.conversation_id, messages_only=True)
    position = await handoff_store.queue_position(session, handoff_id=handoff.id)
    return {
        "handoff": handoff_json(handoff, case=case, agents=agents, position=position),
        "case": None if case is None else case.to_json_dict(),
        "events": [event.to_json_dict() for event in events],
        "transcript": [
            {"id": line.id, "at": line.at.isoformat(), "role": line.role, "text": line.text}
            for line in lines
            if line.id > after
        ],
    }
