"""What agents do to incidents: post an update that reaches every linked customer, resolve with the cases.

An update is recorded on the incident and queued for every linked case as an INCIDENT_UPDATE notice (which
counts as the case's update); resolving resolves each linked, not detached, case and tells its customer.
"""

from __future__ import annotations

import logging
from datetime import datetime

from intake.notices import NoticeKind
from store import cases as case_store
from store import incidents as store
from store.db import SessionMaker
from store.models import IncidentPublic
from store.notices import queue_case_notice, queue_resolution

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 4_000
MAX_TITLE_CHARS = 200


async def post_update(
    sessions: SessionMaker, *, incident_id: int, text: str, actor: str, at: datetime, key: str | None = None
) -> tuple[IncidentPublic, int]:
    """Post an update: recorded on the incident and queued as a notice for every linked case (its update).

    With a `key` already used on the incident (a retried request) nothing is recorded or sent again: 0 reached.
    """
    async with sessions() as session, session.begin():
        incident, update_id, new = await store.record_update(
            session, incident_id=incident_id, text=text, actor=actor, at=at, key=key
        )
        if not new:
            return incident, 0
        reached = 0
        for number in incident.cases:
            queued = await queue_case_notice(
                session,
                number=number,
                notice=NoticeKind.INCIDENT_UPDATE,
                actor=actor,
                at=at,
                text=text,
                dedupe_key=f"incident:{incident_id}:update:{update_id}:{number}",
                extra={"incident": str(incident_id)},
            )
            reached += queued
    log.info("incident %s: update queued for %d case(s)", incident_id, reached)
    return incident, reached


async def resolve(
    sessions: SessionMaker, *, incident_id: int, resolution: str, actor: str, at: datetime
) -> IncidentPublic:
    """Resolve the incident and its linked cases (each told what was done), in one transaction."""
    async with sessions() as session, session.begin():
        open_cases = set()
        before = await store.require_incident(session, incident_id=incident_id)
        for number in before.cases:
            case = await case_store.get_case(session, number=number)
            if case is not None and case.resolved_at is None and case.closed_at is None:
                open_cases.add(number)
        incident = await store.resolve_incident(
            session, incident_id=incident_id, resolution=resolution, actor=actor, at=at
        )
        for number in sorted(open_cases):
            await queue_resolution(session, number=number, note=resolution, actor=actor, at=at)
    log.info("incident %s resolved with %d case(s)", incident_id, len(open_cases))
    return incident
