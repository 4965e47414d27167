"""Customer notices queued on the outbox, in the caller's transaction: a notice promised is never lost.

Who receives a notice (the account's addresses or phones), and whether an opted-out contact still does, is
decided when it is sent (bot/mail.py), so a contact changed or an opt-out taken in between counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.domain import CaseEventKind
from intake.notices import COUNTS_AS_UPDATE, NoticeKind
from store import outbox as outbox_store
from store.accounts import canonical_k_number
from store.cases import add_event, get_case, record_first_response
from store.errors import CaseNotFoundError
from store.models import Outbox
from store.outbox import NewOutboxItem

NOTICE_KIND = "notice"  # the outbox kind of customer notices (bot/notice_worker.py delivers them)
STAFF_MAIL_KIND = "staff_mail"  # mail to the desk's own people: SLA warnings and escalations
FOLLOW_UP_AFTER = timedelta(days=2)  # "is everything working?" this long after resolution


def notice_item(
    notice: NoticeKind,
    *,
    dedupe_key: str | None,
    text: str = "",
    locale: str | None = None,
    extra: Mapping[str, str] | None = None,
    k_number: str | None = None,
) -> NewOutboxItem:
    """The outbox item of a notice (a case's when queued with its case id, else the account's `k_number`)."""
    payload: dict[str, Any] = {"notice": NoticeKind(notice).value}
    if text:
        payload["text"] = text
    if locale:
        payload["locale"] = locale
    if extra:
        payload["extra"] = dict(extra)
    if k_number:
        payload["k_number"] = canonical_k_number(k_number)
    return NewOutboxItem(kind=NOTICE_KIND, payload=payload, dedupe_key=dedupe_key)


async def queue_case_notice(
    session: AsyncSession,
    *,
    number: str,
    notice: NoticeKind,
    actor: str,
    at: datetime,
    text: str = "",
    dedupe_key: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> bool:
    """Queue a notice about case `number` to its account's contacts; False when `dedupe_key` was queued.

    An update (or a first response, an incident's news, an apology) is news for the customer: it records a
    customer_update event, which restarts the update clock, and the first one is the case's first response.
    Raises CaseNotFoundError.
    """
    case = await get_case(session, number=number)
    if case is None:
        raise CaseNotFoundError(number)
    kind = NoticeKind(notice)
    if kind is NoticeKind.UPDATE and case.first_response_at is None:
        kind = NoticeKind.FIRST_RESPONSE  # the first words an engineer sends are the case's first response
    item = notice_item(kind, dedupe_key=dedupe_key, text=text, locale=await case_locale(session, case.id), extra=extra)
    queued = await outbox_store.enqueue(session, item=item, case_id=case.id, now=at, actor=actor)
    if queued is None:
        return False
    if kind in COUNTS_AS_UPDATE:
        if kind is NoticeKind.FIRST_RESPONSE:
            await record_first_response(session, number=number, actor=actor, at=at)
        detail = {"notice": kind.value, "outbox_id": queued.id, **({"text": text} if text else {})}
        await add_event(session, number=number, kind=CaseEventKind.CUSTOMER_UPDATE, actor=actor, at=at, detail=detail)
    return True


async def queue_resolution(
    session: AsyncSession,
    *,
    number: str,
    note: str,
    actor: str,
    at: datetime,
    follow_up_after: timedelta = FOLLOW_UP_AFTER,
) -> None:
    """Tell the customer case `number` is resolved and what was done, and queue the follow-up ("is
    everything working?") for `follow_up_after` later; it is skipped if the case is no longer resolved then.
    One pair per resolution: a case resolved again after a reopen is told again."""
    stamp = at.isoformat()
    await queue_case_notice(
        session, number=number, notice=NoticeKind.RESOLUTION, actor=actor, at=at, text=note,
        dedupe_key=f"case:{number}:resolution:{stamp}",
    )  # fmt: skip
    case = await get_case(session, number=number)
    assert case is not None  # queue_case_notice raised otherwise
    item = notice_item(
        NoticeKind.FOLLOW_UP, dedupe_key=f"case:{number}:follow_up:{stamp}", locale=await case_locale(session, case.id)
    )
    item = NewOutboxItem(
        kind=item.kind, payload=item.payload, dedupe_key=item.dedupe_key, next_attempt_at=at + follow_up_after
    )
    await outbox_store.enqueue(session, item=item, case_id=case.id, now=at, actor=actor)


async def queue_staff_mail(
    session: AsyncSession,
    *,
    to: Sequence[str],
    subject: str,
    text: str,
    at: datetime,
    dedupe_key: str,
    case_id: int | None = None,
) -> bool:
    """Queue mail to the desk's own people (not customers); False when `dedupe_key` was queued already."""
    if not to:
        return False
    item = NewOutboxItem(
        kind=STAFF_MAIL_KIND, payload={"to": list(to), "subject": subject, "text": text}, dedupe_key=dedupe_key
    )
    return await outbox_store.enqueue(session, item=item, case_id=case_id, now=at) is not None


async def queue_account_notice(
    session: AsyncSession,
    *,
    k_number: str,
    notice: NoticeKind,
    at: datetime,
    text: str,
    dedupe_key: str,
    extra: Mapping[str, str] | None = None,
) -> bool:
    """Queue a notice to an account's contacts that is about no one case (maintenance); False when
    `dedupe_key` was queued already."""
    item = notice_item(notice, dedupe_key=dedupe_key, text=text, extra=extra, k_number=k_number)
    return await outbox_store.enqueue(session, item=item, case_id=None, now=at) is not None


async def case_locale(session: AsyncSession, case_id: int) -> str | None:
    """The locale a case's notices are written in: the one its first notice (the confirmation) had."""
    query = (
        select(Outbox.payload)
        .where(Outbox.case_id == case_id, Outbox.kind == NOTICE_KIND)
        .order_by(col(Outbox.id))
        .limit(1)
    )
    payload = (await session.exec(query)).first()
    locale = (payload or {}).get("locale")
    return locale if isinstance(locale, str) else None
