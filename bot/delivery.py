"""What every outbox worker shares (SMS pages, customer notices, staff mail): how often to look, how to back
off, and how a failed attempt is recorded (retried later, or given up for good)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from store import outbox as outbox_store
from store.db import SessionMaker
from store.models import OutboxItem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryPolicy:
    """How often a worker looks for due items and how it retries them."""

    poll_interval: float = 2.0
    batch: int = 10
    first_retry: timedelta = timedelta(seconds=15)
    max_retry: timedelta = timedelta(minutes=10)
    max_attempts: int = 10
    lease: timedelta = outbox_store.DEFAULT_LEASE

    def retry_at(self, now: datetime, attempts: int) -> datetime | None:
        """Exponential backoff after `attempts` tries; None once they are used up."""
        if attempts >= self.max_attempts:
            return None
        return now + min(self.first_retry * (1 << max(attempts - 1, 0)), self.max_retry)


class Delivery(Enum):
    """What became of one claimed item."""

    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"


async def record_failure(
    sessions: SessionMaker,
    item: OutboxItem,
    error: str,
    *,
    final: bool,
    policy: DeliveryPolicy,
    now: datetime,
    actor: str,
) -> Delivery:
    """Record a failed attempt on `item`: retried with backoff, or given up when `final` or out of tries.

    `error` must name no recipient or text (it is logged and kept on the case's history)."""
    retry_at = None if final else policy.retry_at(now, item.attempts)
    await outbox_store.mark_failed(sessions, item_id=item.id, at=now, error=error, retry_at=retry_at, actor=actor)
    if retry_at is None:
        log.error("%s %s failed for good after %d attempt(s): %s", item.kind, item.id, item.attempts, error)
        return Delivery.FAILED
    log.warning("%s %s attempt %d failed (%s); retrying at %s", item.kind, item.id, item.attempts, error, retry_at)
    return Delivery.RETRYING
