"""Paging on-call for a Sev1, whatever channel the case came from: the outbox item, and escalation.

The SMS worker that sends the items (through Twilio) is the phone line's (bot/voice/paging.py); queuing a
page is every channel's, so it lives here and the chat's effects need not load the voice channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from intake.domain import CaseStatus
from store import cases as case_store
from store import outbox as outbox_store
from store.outbox import NewOutboxItem

PAGE_KIND = "sms_page"


def page_item(
    *,
    idempotency_key: str,
    k_number: str,
    summary: str,
    channel: str,
    reason: str | None = None,
    to: Sequence[str] = (),
) -> NewOutboxItem:
    """Return the outbox item paging on-call for a case (one per case, whatever channel queues it).

    `to`: the numbers to text instead of the on-call's (an escalation to the backup on-call).
    """
    payload: dict[str, Any] = {"k_number": k_number, "summary": summary, "channel": channel}
    if reason:
        payload["reason"] = reason
    if to:
        payload["to"] = list(to)
    return NewOutboxItem(kind=PAGE_KIND, dedupe_key=f"{idempotency_key}:page", payload=payload)


async def escalate_unanswered(session: AsyncSession, *, case_number: str, reason: str, now: datetime) -> None:
    """Mark a Sev1 case escalated and queue its page, in the caller's transaction."""
    case = await case_store.update_case(
        session, number=case_number, actor="phone", at=now, status=CaseStatus.ESCALATED, reason=reason
    )
    item = page_item(
        idempotency_key=case.idempotency_key or f"case:{case.number}",
        k_number=case.k_number,
        summary=case.summary,
        channel="phone",
        reason=reason,
    )
    # None when this case was paged already (e.g. at creation): the dedupe key keeps it to one page.
    await outbox_store.enqueue(session, item=item, case_id=case.id, now=now, actor="phone")
