"""WebSocket fan-out: wakes streams on new activities written by this process or, through the notice bus
(PostgreSQL LISTEN/NOTIFY) or a poll (SQLite), by another one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence

from aiohttp import WSCloseCode, web
from sqlalchemy.exc import SQLAlchemyError

from bot.directline.models import activity_set
from bot.signal import Subscription
from store.directline import Db, last_seqs
from store.models import DirectLineActivityPublic
from store.notify import Bus, LocalBus

log = logging.getLogger(__name__)

Fetch = Callable[[int], Awaitable[list[DirectLineActivityPublic]]]

# The notice channel: payload "<conversation id> <position>" (ids are random tokens, never customer data).
CHANNEL = "intake_directline"
# The activities this process wrote last, kept per conversation with an open stream here (see recent).
RECENT = 32


class StreamHub:
    """Open streams by conversation, woken by in-process writes and by other processes' notices (or, without
    a notice bus, by one poll for all of them)."""

    def __init__(self, db: Db, bus: Bus | None = None) -> None:
        self._db = db
        self._bus: Bus = bus or LocalBus()
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._seen: dict[str, int] = {}
        self._recent: dict[str, list[DirectLineActivityPublic]] = {}
        self._bus.subscribe(CHANNEL, self._heard)
        self._bus.on_connect(self._wake_all)

    @property
    def needs_poll(self) -> bool:
        """Whether other processes' writes reach this hub only through `poll_once` (no notice bus)."""
        return not self._bus.distributed

    @contextlib.contextmanager
    def subscribe(self, conversation_id: str) -> Iterator[Subscription]:
        """Register a stream for the duration of the block."""
        subscription = Subscription()
        self._subscriptions.setdefault(conversation_id, set()).add(subscription)
        try:
            yield subscription
        finally:
            group = self._subscriptions.get(conversation_id, set())
            group.discard(subscription)
            if not group:
                self._subscriptions.pop(conversation_id, None)
                self._seen.pop(conversation_id, None)
                self._recent.pop(conversation_id, None)

    @property
    def open_streams(self) -> int:
        """Return how many streams are open in this process."""
        return sum(len(group) for group in self._subscriptions.values())

    def notify(self, conversation_id: str, seq: int, stored: Sequence[DirectLineActivityPublic] = ()) -> None:
        """Wake the conversation's streams here and in every other process: an activity at position `seq` was
        just written (and committed) by this process; `stored` are the activities written, if at hand."""
        if stored and conversation_id in self._subscriptions:
            # By position, once each (a resent activity comes back as the one stored), newest RECENT kept.
            by_seq = {activity.seq: activity for activity in self._recent.get(conversation_id, ())}
            by_seq.update((activity.seq, activity) for activity in stored)
            self._recent[conversation_id] = [by_seq[seq] for seq in sorted(by_seq)[-RECENT:]]
        self._wake(conversation_id, seq)
        self._bus.publish(CHANNEL, f"{conversation_id} {seq}")

    def forget(self, conversation_id: str) -> None:
        """Drop what this process remembers writing to the conversation (an activity was updated or deleted)."""
        self._recent.pop(conversation_id, None)

    def recent(self, conversation_id: str, after: int) -> list[DirectLineActivityPublic] | None:
        """The conversation's activities after position `after`, from what this process wrote, when that is
        all of them up to the newest position heard of; None when only the store can tell.

        A stream's reads are then mostly answered from memory: its own process wrote the customer's message
        and the bot's replies. Positions must run on from `after` without a gap (another process may have
        written in between) and reach the newest one announced; later notices wake the stream again.
        """
        newest = self._seen.get(conversation_id)
        if newest is None:
            return None
        if after >= newest:
            return []
        batch = [activity for activity in self._recent.get(conversation_id, ()) if activity.seq > after]
        if not batch or batch[-1].seq < newest:
            return None
        if any(activity.seq != after + 1 + n for n, activity in enumerate(batch)):
            return None
        return batch

    def _heard(self, payload: str) -> None:
        conversation_id, _, seq = payload.partition(" ")
        if seq.isdigit():
            self._wake(conversation_id, int(seq))

    def _wake(self, conversation_id: str, seq: int) -> None:
        if seq > self._seen.get(conversation_id, -1) and conversation_id in self._subscriptions:
            self._seen[conversation_id] = seq
        for subscription in self._subscriptions.get(conversation_id, ()):
            subscription.wake()

    def _wake_all(self) -> None:
        # Listening (re)started: notices sent while it was down are lost, so every stream reads once.
        for group in self._subscriptions.values():
            for subscription in group:
                subscription.wake()

    def close_all(self) -> None:
        """End every open stream (the service is shutting down)."""
        for group in self._subscriptions.values():
            for subscription in group:
                subscription.close()

    async def poll_once(self) -> None:
        """Wake the streams of conversations that another process (or this one) wrote to since last time."""
        if not self._subscriptions:
            return
        positions = await last_seqs(self._db, conversation_ids=list(self._subscriptions))
        for conversation_id, seq in positions.items():
            if seq > self._seen.get(conversation_id, -1):
                self._seen[conversation_id] = seq
                for subscription in self._subscriptions.get(conversation_id, ()):
                    subscription.wake()


async def _drain(ws: web.WebSocketResponse, subscription: Subscription) -> None:
    # Clients only send keep-alives (directlinejs sends "" every 20 s); reading also answers pings/closes.
    try:
        async for _message in ws:
            pass
    finally:
        subscription.close()


async def pump(ws: web.WebSocketResponse, subscription: Subscription, *, fetch: Fetch, watermark: int) -> None:
    """Send the conversation's activities after `watermark` as ActivitySet frames until the stream ends."""
    reader = asyncio.create_task(_drain(ws, subscription))
    code = WSCloseCode.GOING_AWAY
    try:
        while not subscription.closed:
            subscription.clear()
            try:
                batch = await fetch(watermark)
            except (SQLAlchemyError, OSError) as exc:
                # The client reconnects (GET conversation, new stream) and resumes from its watermark.
                log.warning("directline stream read failed: %s", type(exc).__name__)
                code = WSCloseCode.INTERNAL_ERROR
                break
            if not batch:
                await subscription.wait()
                continue
            watermark = batch[-1].seq
            frame = activity_set([item.body for item in batch], watermark)
            try:
                await ws.send_str(json.dumps(frame, separators=(",", ":")))
            except ConnectionResetError:
                break
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        await ws.close(code=code)
