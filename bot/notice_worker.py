"""Delivers customer notices and staff mail from the outbox: decides at send time who receives a notice (the
account's addresses, or its phones by SMS), whether an opted-out contact still does, and renders it.

Delivery is at least once with one identity: an item is claimed under a lease before anything is sent (two
workers never hold it at once); an email keeps one Message-ID on every attempt and an SMS one reference, so
a retry after a crash between the send and its record is recognisable (SMS: not sent again, as pages).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from twilio.rest import Client

from bot.delivery import DeliveryPolicy, record_failure
from bot.links import make_token
from bot.mail import Mail, MailResult, SmtpConfig, send_mail, smtp_config
from bot.periodic import Periodic
from bot.settings import Settings
from bot.voice.config import VoiceConfig
from bot.voice.paging import SendResult, paging_ready, send_sms, twilio_client
from intake.clock import Clock
from intake.domain import CaseStatus
from intake.notices import Notice, NoticeFacts, NoticeKind, essential, render
from store import outbox as outbox_store
from store.accounts import get_account, get_account_by_id
from store.cases import get_case_by_id
from store.db import SessionMaker, read_session
from store.models import AccountPublic, CasePublic, NotifyBy, OutboxItem
from store.notices import NOTICE_KIND, STAFF_MAIL_KIND, case_locale
from store.survey_holds import follow_up_open, hold_notice

log = logging.getLogger(__name__)

UNSUBSCRIBE_PATH = "/notices/unsubscribe/{token}"
ANSWER_PATH = "/notices/case/{token}"
UNSUBSCRIBE_LINK_DAYS = 365
ANSWER_LINK_DAYS = 30


@dataclass(frozen=True, kw_only=True)
class NoticeConfig:
    """What the worker needs besides the database: mail and SMS settings, the signing of links, the words."""

    smtp: SmtpConfig
    sms: VoiceConfig  # Twilio account and sender number (the phone line's)
    link_secret: str
    company: str
    desk_tz: ZoneInfo  # for accounts without a time zone of their own

    def link(self, path: str, *, token: str) -> str:
        return self.sms.url(path.replace("{token}", token))


def notice_config(settings: Settings, sms: VoiceConfig) -> NoticeConfig:
    """The notice worker's settings: SMTP, the phone line's Twilio account for SMS, links, words."""
    return NoticeConfig(
        smtp=smtp_config(settings),
        sms=sms,
        link_secret=settings.link_secret,
        company=settings.company_name,
        desk_tz=ZoneInfo(settings.chat_timezone),
    )


@dataclass(frozen=True)
class _Recipient:
    channel: str  # "email" | "sms"
    to: tuple[str, ...]


class NoticeWorker:
    """Claims due notices and staff mail and delivers each."""

    def __init__(
        self,
        *,
        config: NoticeConfig,
        session_maker: SessionMaker,
        clock: Clock,
        policy: DeliveryPolicy | None = None,
        client: Client | None = None,
    ) -> None:
        self._config = config
        self._sessions = session_maker
        self._clock = clock
        self.policy = policy or DeliveryPolicy()
        self._client = (
            client if client is not None else (twilio_client(config.sms) if paging_ready(config.sms) else None)
        )

    def close(self) -> None:
        """Close the Twilio client's pooled connections."""
        session = getattr(getattr(self._client, "http_client", None), "session", None)
        if session is not None:
            session.close()

    async def run_once(self) -> int:
        """Deliver what is due; return how many items were handled."""
        handled = 0
        for kind in (NOTICE_KIND, STAFF_MAIL_KIND):
            items = await outbox_store.claim_due(
                self._sessions, now=self._clock(), kind=kind, limit=self.policy.batch, lease=self.policy.lease
            )
            for item in items:
                await (self._staff(item) if kind == STAFF_MAIL_KIND else self.deliver(item))
                handled += 1
        return handled

    async def deliver(self, item: OutboxItem) -> None:
        """Send one claimed notice, or record why it is not sent."""
        notice = NoticeKind(item.payload["notice"])
        async with read_session(self._sessions) as session:
            case = None if item.case_id is None else await get_case_by_id(session, case_id=item.case_id)
            if case is not None:
                account = await get_account_by_id(session, account_id=case.account_id)
                # Notices queued by the desk itself (an apology) carry no locale: the case's confirmation has it.
                locale = item.payload.get("locale") or await case_locale(session, case.id)
            else:
                account = await get_account(session, k_number=str(item.payload.get("k_number") or ""))
                locale = item.payload.get("locale")
            held = case is not None and await follow_up_open(session, case_number=case.number)
        if account is None:
            return await self._fail(item, "no such account", final=True)
        if notice is NoticeKind.FOLLOW_UP and (case is None or case.status is not CaseStatus.RESOLVED):
            return await self._skip(item, "the case is no longer resolved")
        severity = None if case is None else case.severity
        if account.unsubscribed_at is not None and not essential(notice, severity):
            return await self._skip(item, "the contacts asked for essential messages only")
        if held and not essential(notice, severity):  # the manager calls an unhappy customer first
            await hold_notice(self._sessions, item=item, notice=notice.value, now=self._clock())
            log.info("notice %s (%s) held for the manager's survey follow-up", item.id, notice.value)
            return None
        recipient = self._recipient(account)
        if recipient is None and account.emails and not self._config.smtp.ready:
            # The contacts have addresses but this desk sends no mail yet: tried again, not lost at once.
            return await self._fail(item, "email is not configured (SMTP_HOST, SMTP_FROM)", final=False)
        if recipient is None:
            return await self._fail(item, "the account has no contact address we can use", final=True)
        facts = replace(self._facts(item, notice, case, account), locale=locale)
        rendered = render(facts)
        if recipient.channel == "email":
            mail = Mail(
                to=recipient.to,
                subject=rendered.subject,
                text=rendered.text,
                message_id=self._message_id("notice", item),
                unsubscribe=facts.unsubscribe,
            )
            result, error = await send_mail(self._config.smtp, mail)
            ok, final = result is MailResult.SENT, result is MailResult.REJECTED
        else:
            ok, final, error = await self._sms(item, rendered, recipient)
        if not ok:
            return await self._fail(item, error or "not sent", final=final)
        detail = {"channel": recipient.channel, "recipients": len(recipient.to), "notice": notice.value}
        await outbox_store.mark_sent(self._sessions, item_id=item.id, at=self._clock(), actor="mailer", detail=detail)
        log.info(
            "notice %s (%s) sent by %s to %d recipient(s)", item.id, notice.value, recipient.channel, len(recipient.to)
        )

    def _recipient(self, account: AccountPublic) -> _Recipient | None:
        sms_ready = self._client is not None and bool(account.phones)
        if account.notify_by == NotifyBy.SMS.value and sms_ready:
            return _Recipient("sms", tuple(account.phones))
        if account.emails and self._config.smtp.ready:
            return _Recipient("email", tuple(account.emails))
        if sms_ready:
            return _Recipient("sms", tuple(account.phones))
        return None

    def _facts(
        self, item: OutboxItem, notice: NoticeKind, case: CasePublic | None, account: AccountPublic
    ) -> NoticeFacts:
        now = self._clock()
        tz = ZoneInfo(account.timezone) if account.timezone else self._config.desk_tz
        extra = {str(k): str(v) for k, v in (item.payload.get("extra") or {}).items()}
        link = extra.get("link", "")
        if notice is NoticeKind.FOLLOW_UP and case is not None:
            token = self._token("answer", str(case.id), now + timedelta(days=ANSWER_LINK_DAYS))
            link = self._config.link(ANSWER_PATH, token=token)
        severity = None if case is None else case.severity
        unsubscribe = ""
        if account.unsubscribed_at is None and not essential(notice, severity):
            token = self._token("unsubscribe", str(account.id), now + timedelta(days=UNSUBSCRIBE_LINK_DAYS))
            unsubscribe = self._config.link(UNSUBSCRIBE_PATH, token=token)
        return NoticeFacts(
            kind=notice,
            company=self._config.company,
            now=now,
            tz=tz,
            case_number=None if case is None else case.number,
            severity=severity,
            summary="" if case is None else case.summary,
            response_due=None if case is None else case.response_due,
            fix_due=None if case is None else case.fix_due,
            text=str(item.payload.get("text") or ""),
            link=link,
            unsubscribe=unsubscribe,
            extra=extra,
        )

    def _token(self, purpose: str, subject: str, expires: datetime) -> str:
        return make_token(secret=self._config.link_secret, purpose=purpose, subject=subject, expires=expires)

    def _message_id(self, what: str, item: OutboxItem) -> str:
        domain = self._config.smtp.sender.rpartition("@")[2] or "localhost"
        return f"<{what}-{item.id}-{_ref(item)}@{domain}>"

    async def _sms(self, item: OutboxItem, rendered: Notice, recipient: _Recipient) -> tuple[bool, bool, str | None]:
        """Send the SMS to every number; (sent, final failure, error)."""
        assert self._client is not None and self._config.sms.from_number
        ref = f"ref {_ref(item)}"
        body = f"{rendered.sms} [{ref}]"
        outcomes = [
            await asyncio.to_thread(
                send_sms,
                self._client,
                to=to,
                from_=self._config.sms.from_number,
                body=body,
                ref=ref,
                check_first=item.attempts > 1,
            )
            for to in recipient.to
        ]
        errors = "; ".join(sorted({f"{o.result.value}: {o.error}" for o in outcomes if o.error}))
        if any(o.result is SendResult.TRANSIENT for o in outcomes):
            return False, False, errors
        delivered = any(o.result in (SendResult.SENT, SendResult.ALREADY_SENT) for o in outcomes)
        return delivered, not delivered, errors or None

    async def _staff(self, item: OutboxItem) -> None:
        payload = item.payload
        to = tuple(str(a) for a in payload.get("to") or ())
        if not to or not self._config.smtp.ready:
            return await self._fail(item, "no staff address or no SMTP server configured", final=not to)
        mail = Mail(
            to=to,
            subject=str(payload.get("subject") or ""),
            text=str(payload.get("text") or ""),
            message_id=self._message_id("staff", item),
        )
        result, error = await send_mail(self._config.smtp, mail)
        if result is not MailResult.SENT:
            return await self._fail(item, error or "not sent", final=result is MailResult.REJECTED)
        detail = {"channel": "email", "recipients": len(to)}
        await outbox_store.mark_sent(self._sessions, item_id=item.id, at=self._clock(), actor="mailer", detail=detail)

    async def _skip(self, item: OutboxItem, reason: str) -> None:
        await outbox_store.mark_skipped(
            self._sessions, item_id=item.id, at=self._clock(), reason=reason, actor="mailer"
        )
        log.info("notice %s skipped: %s", item.id, reason)

    async def _fail(self, item: OutboxItem, error: str, *, final: bool) -> None:
        await record_failure(
            self._sessions, item, error, final=final, policy=self.policy, now=self._clock(), actor="mailer"
        )


def _ref(item: OutboxItem) -> str:
    seed = f"{item.id}:{item.dedupe_key}:{item.created_at.isoformat()}"
    return hashlib.sha256(seed.encode()).hexdigest()[:10]


def setup_notices(
    app: web.Application,
    *,
    config: NoticeConfig,
    session_maker: SessionMaker,
    clock: Clock,
    policy: DeliveryPolicy | None = None,
) -> None:
    """Run the notice worker while the app runs (append after the database's cleanup_ctx)."""

    async def notices(app: web.Application) -> AsyncIterator[None]:
        if not config.smtp.ready and not paging_ready(config.sms):
            log.warning("customer notices are off: set SMTP_HOST and SMTP_FROM (or Twilio for SMS); they stay queued")
            yield
            return
        worker = NoticeWorker(config=config, session_maker=session_maker, clock=clock, policy=policy)
        rounds = Periodic("notice pass", worker.policy.poll_interval, worker.run_once)
        rounds.start()
        yield
        await rounds.stop()
        worker.close()

    app.cleanup_ctx.append(notices)
