"""Sev1 SMS pages: queued on the outbox with the case, sent by a background worker via Twilio Messages."""

# Delivery semantics. An item is claimed (attempts + 1, hidden for a lease) before anything is sent, so two
# workers never hold it at once. A worker that dies after claiming loses nothing: the lease runs out and
# the item is claimed again. Nothing is sent twice: every page carries a reference derived from the item,
# and every attempt after the first asks Twilio for messages already sent to that engineer with that
# reference, sending only to engineers who have none. That also covers a send that succeeded but whose
# mark_sent never committed, and a retry after some of several numbers failed. The one window left open:
# Twilio accepted a message but does not list it yet when the lease (5 minutes) has run out.

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot.delivery import Delivery, DeliveryPolicy, record_failure
from bot.paging import PAGE_KIND
from bot.periodic import Periodic
from bot.voice.config import VoiceConfig
from intake.clock import Clock
from store import outbox as outbox_store
from store.db import SessionMaker, read_session
from store.models import Case, OutboxItem

log = logging.getLogger(__name__)

_MAX_BODY_CHARS = 320  # two SMS segments: enough for the case, the account and the start of the summary
_TWILIO_TIMEOUT_SECONDS = 10.0
# The SDK logs request query strings at INFO, and listing messages puts phone numbers there.
_twilio_http_log = logging.getLogger(__name__ + ".twilio_http")
_twilio_http_log.setLevel(logging.WARNING)


# --- what a page is ---------------------------------------------------------------------------------


def page_ref(item: OutboxItem) -> str:
    """Return the reference printed in every SMS of `item`, which lets a retry see what already went out."""
    seed = f"{item.id}:{item.dedupe_key}:{item.created_at.isoformat()}"
    return "ref " + hashlib.sha256(seed.encode()).hexdigest()[:10]


def page_body(*, case_number: str, item: OutboxItem) -> str:
    """Return the SMS text: case number, account, why, the summary, and the reference."""
    payload = item.payload
    head = f"SEV1 case {case_number}, account {payload.get('k_number') or '?'}"
    if payload.get("reason"):
        head += f" ({payload['reason']})"
    ref = page_ref(item)
    room = _MAX_BODY_CHARS - len(head) - len(ref) - 4
    summary = " ".join(str(payload.get("summary") or "").split())
    if len(summary) > room:
        summary = summary[: max(room - 1, 0)] + "…"
    return f"{head}: {summary} [{ref}]"


# --- Twilio ------------------------------------------------------------------------------------------


class _RebasedHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """Sends the SDK's requests for *.twilio.com to another base URL (a loopback stand-in in tests)."""

    def __init__(self, api_base: str, timeout: float) -> None:
        super().__init__(timeout=timeout, logger=_twilio_http_log)
        self._base = api_base.rstrip("/")
        if self.session is not None:
            self.session.trust_env = False  # a proxy from the environment must not capture loopback

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        if (parts.hostname or "").endswith("twilio.com"):
            url = self._base + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, url, *args, **kwargs)


def twilio_client(config: VoiceConfig) -> Client:
    """Return a Twilio REST client for the configured account (pointed at twilio_api_base when set)."""
    http = (
        _RebasedHttpClient(config.twilio_api_base, _TWILIO_TIMEOUT_SECONDS)
        if config.twilio_api_base
        else TwilioHttpClient(timeout=_TWILIO_TIMEOUT_SECONDS, logger=_twilio_http_log)
    )
    return Client(config.account_sid, config.auth_token, http_client=http)


def paging_ready(config: VoiceConfig) -> bool:
    """True when SMS can be sent: account, token and sender number are all set."""
    return bool(config.account_sid and config.auth_token and config.from_number)


class SendResult(Enum):
    """What happened to one engineer's SMS."""

    SENT = "sent"
    ALREADY_SENT = "already_sent"  # found on Twilio from an earlier attempt: not sent again
    REJECTED = "rejected"  # Twilio refused it for good (4xx): retrying cannot help
    TRANSIENT = "transient"  # network, 5xx, 429: retry later


@dataclass(frozen=True)
class SmsOutcome:
    result: SendResult
    error: str | None = None


def send_sms(client: Client, *, to: str, from_: str, body: str, ref: str, check_first: bool) -> SmsOutcome:
    """Blocking: send one SMS unless an earlier attempt already did (runs in a worker thread)."""
    try:
        if check_first and any(ref in (m.body or "") for m in client.messages.list(to=to, from_=from_, limit=50)):
            return SmsOutcome(SendResult.ALREADY_SENT)
        client.messages.create(to=to, from_=from_, body=body)
    except TwilioRestException as exc:
        # Twilio's message may quote the number; keep only status and code (no phone numbers in the log).
        error = f"twilio status {exc.status} code {exc.code}"
        permanent = 400 <= exc.status < 500 and exc.status not in (401, 403, 408, 429)
        return SmsOutcome(SendResult.REJECTED if permanent else SendResult.TRANSIENT, error)
    except Exception as exc:  # requests' connection errors and timeouts: all worth a retry
        return SmsOutcome(SendResult.TRANSIENT, type(exc).__name__)
    return SmsOutcome(SendResult.SENT)


# --- the worker ----------------------------------------------------------------------------------------


@dataclass
class PassReport:
    """What one pass of the worker did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


class Pager:
    """Delivers due SMS pages from the outbox."""

    def __init__(
        self,
        *,
        config: VoiceConfig,
        session_maker: SessionMaker,
        clock: Clock,
        policy: DeliveryPolicy | None = None,
        client: Client | None = None,
    ) -> None:
        self._config = config
        self._sessions = session_maker
        self._clock = clock
        self.policy = policy or DeliveryPolicy()
        self._client = client or twilio_client(config)

    def close(self) -> None:
        """Close the Twilio client's pooled connections."""
        session = getattr(self._client.http_client, "session", None)
        if session is not None:
            session.close()

    async def run_once(self) -> PassReport:
        """Claim the due pages and deliver each; return the counts."""
        report = PassReport()
        items = await outbox_store.claim_due(
            self._sessions,
            now=self._clock(),
            kind=PAGE_KIND,
            limit=self.policy.batch,
            lease=self.policy.lease,
        )
        for item in items:
            outcome = await self.deliver(item)
            if outcome is Delivery.SENT:
                report.sent += 1
            elif outcome is Delivery.RETRYING:
                report.retrying += 1
            else:
                report.failed += 1
        return report

    async def deliver(self, item: OutboxItem) -> Delivery:
        """Send one claimed page to every on-call number; record sent, retrying or failed."""
        assert item.id is not None
        case_number = await self._case_number(item)
        # An escalation names its own numbers (the backup on-call, bot/sla_watch.py); a page, the on-call's.
        named = item.payload.get("to")
        numbers = tuple(named) if isinstance(named, list) and named else self._config.oncall_numbers
        if not numbers or not self._config.from_number:
            return await self._fail(item, "no on-call numbers or sender number configured", final=True)
        body = page_body(case_number=case_number, item=item)
        ref = page_ref(item)
        # Attempt 1 cannot have sent anything before; later attempts may have (crash, timeout, partial).
        check_first = item.attempts > 1
        outcomes = [
            await asyncio.to_thread(
                send_sms,
                self._client,
                to=to,
                from_=self._config.from_number,
                body=body,
                ref=ref,
                check_first=check_first,
            )
            for to in numbers
        ]
        delivered = sum(o.result in (SendResult.SENT, SendResult.ALREADY_SENT) for o in outcomes)
        errors = sorted({f"{o.result.value}: {o.error}" for o in outcomes if o.error})
        if any(o.result is SendResult.TRANSIENT for o in outcomes):
            return await self._fail(item, "; ".join(errors), final=False)
        if delivered == 0:
            return await self._fail(item, "; ".join(errors), final=True)
        if errors:
            log.warning(
                "page %s: %d of %d on-call numbers rejected it",
                item.id,
                len(numbers) - delivered,
                len(numbers),
            )
        await outbox_store.mark_sent(self._sessions, item_id=item.id, at=self._clock(), actor="pager")
        log.info("page %s for case %s sent to %d on-call number(s)", item.id, case_number, delivered)
        return Delivery.SENT

    async def _fail(self, item: OutboxItem, error: str, *, final: bool) -> Delivery:
        return await record_failure(
            self._sessions, item, error, final=final, policy=self.policy, now=self._clock(), actor="pager"
        )

    async def _case_number(self, item: OutboxItem) -> str:
        if item.case_id is None:
            return str(item.payload.get("case_number") or "?")
        async with read_session(self._sessions) as session:
            case = await session.get(Case, item.case_id)
        return case.number if case is not None else "?"


def setup_paging(
    app: web.Application,
    *,
    config: VoiceConfig,
    session_maker: SessionMaker,
    clock: Clock,
    policy: DeliveryPolicy | None = None,
) -> None:
    """Run the SMS paging worker while the app runs (append after the database's cleanup_ctx).

    Its dependencies are passed in, never looked up on the app."""

    async def paging(app: web.Application) -> AsyncIterator[None]:
        if not paging_ready(config):
            log.warning(
                "SMS paging is off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER; "
                "pages stay queued until then"
            )
            yield
            return
        pager = Pager(
            config=config,
            session_maker=session_maker,
            clock=clock,
            policy=policy,
        )
        rounds = Periodic("paging pass", pager.policy.poll_interval, pager.run_once)
        rounds.start()
        yield
        await rounds.stop()
        pager.close()

    app.cleanup_ctx.append(paging)
