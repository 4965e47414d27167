"""The gateway's core: credentials, conversations, storing and fanning out activities, talking to the bot."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from bot.directline.bot_client import BotClient
from bot.directline.config import DirectLineConfig
from bot.directline.errors import (
    BadArgumentError,
    ConversationNotFoundError,
    DirectLineError,
    TokenScopeError,
)
from bot.directline.models import Account, JsonObject, conversation_update
from bot.directline.stream import StreamHub
from bot.directline.tokens import Scope, TokenClaims, issue_token, signing_key, verify_token
from store.db import SessionMaker
from store.directline import (
    DirectLineActivityPublic,
    DirectLineConversationPublic,
    append_activity,
    create_conversation,
    get_conversation,
    mark_started,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# Direct Line reserves the "dl_" prefix for user ids a token vouches for.
_USER_ID = re.compile(r"dl_[A-Za-z0-9_-]{1,64}")


def utc_now() -> datetime:
    """Return the current instant, aware, in UTC."""
    return datetime.now(UTC)


class Credential:
    """Who is calling: the holder of the gateway secret, or the holder of a token (with its claims)."""

    def __init__(self, claims: TokenClaims | None) -> None:
        self.claims = claims

    @property
    def is_secret(self) -> bool:
        """True for the secret, which may act on any conversation."""
        return self.claims is None


class DirectLineService:
    """State and operations of one gateway instance; handlers translate HTTP to these calls."""

    def __init__(self, *, config: DirectLineConfig, session_maker: SessionMaker, clock: Clock) -> None:
        self.config = config
        self.session_maker = session_maker
        self.clock = clock
        self.hub = StreamHub(session_maker, poll_interval=config.poll_interval)
        self.bot_account = Account(id=config.bot_id, role="bot", name=config.bot_name)
        self._key = signing_key(config.secret)
        self._bot: BotClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._greetings: dict[str, asyncio.Task[None]] = {}

    # --- lifecycle -----------------------------------------------------------------------------------

    def attach_bot(self, bot: BotClient | None) -> None:
        """Set (or clear, at shutdown) the client that reaches the bot."""
        self._bot = bot

    def spawn(self, coro: Coroutine[Any, Any, None], *, what: str) -> asyncio.Task[None]:
        """Run `coro` in the background, tracked so shutdown can cancel it."""
        task = asyncio.create_task(coro, name=f"directline {what}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def cancel_background(self) -> None:
        """Cancel and await the background tasks."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- credentials ---------------------------------------------------------------------------------

    def authenticate(self, credential: str) -> Credential:
        """Return who `credential` (the secret or a token) belongs to; raise a token error otherwise."""
        if hmac.compare_digest(credential.encode("utf-8"), self.config.secret.encode("utf-8")):
            return Credential(None)
        return Credential(verify_token(credential, key=self._key, now=self.clock()))

    def authorize(self, credential: Credential, conversation_id: str, *, scopes: frozenset[Scope]) -> None:
        """Refuse a token that is not for `conversation_id` or not of one of `scopes`."""
        claims = credential.claims
        if claims is None:
            return
        if claims.scope not in scopes:
            raise TokenScopeError("this token cannot be used for this request")
        # Same answer whether or not the other conversation exists: ids cannot be probed with a token.
        if not hmac.compare_digest(claims.conversation_id, conversation_id):
            raise TokenScopeError("the token is not valid for this conversation")

    def token_for(self, conversation: DirectLineConversationPublic, *, scope: Scope = Scope.CONVERSATION) -> str:
        """Issue a token bound to `conversation`."""
        ttl = self.config.token_ttl if scope is Scope.CONVERSATION else self.config.stream_token_ttl
        return issue_token(
            key=self._key,
            conversation_id=conversation.id,
            user_id=conversation.user_id,
            scope=scope,
            now=self.clock(),
            ttl=ttl,
        )

    def expires_in(self, claims: TokenClaims | None = None) -> int:
        """Return the seconds a token has left (a fresh one's lifetime when `claims` is None)."""
        if claims is None:
            return int(self.config.token_ttl.total_seconds())
        return max(0, int((claims.expires_at - self.clock()).total_seconds()))

    # --- conversations -------------------------------------------------------------------------------

    async def new_conversation(self, *, user_id: str | None = None) -> DirectLineConversationPublic:
        """Create a conversation for `user_id` (a fresh "dl_" id when None)."""
        if user_id is not None and not _USER_ID.fullmatch(user_id):
            raise BadArgumentError('user.id must look like "dl_" followed by up to 64 letters, digits, - or _')
        conversation = await create_conversation(
            self.session_maker,
            conversation_id=secrets.token_urlsafe(18),
            user_id=user_id or f"dl_{secrets.token_urlsafe(12)}",
            now=self.clock(),
        )
        log.info("directline conversation %s created", conversation.id)
        return conversation

    async def conversation(self, conversation_id: str) -> DirectLineConversationPublic:
        """Return the conversation; raise ConversationNotFoundError."""
        found = await get_conversation(self.session_maker, conversation_id=conversation_id)
        if found is None:
            raise ConversationNotFoundError("no conversation has this id")
        return found

    async def start(self, conversation: DirectLineConversationPublic, *, locale: str | None) -> bool:
        """Mark the conversation started; the first time, return True and greet via a conversationUpdate."""
        if not await mark_started(self.session_maker, conversation_id=conversation.id, now=self.clock()):
            return False
        update = conversation_update(
            conversation_id=conversation.id,
            user_id=conversation.user_id,
            bot=self.bot_account,
            service_url=self.config.service_url,
            now=self.clock(),
            locale=locale,
        )
        task = self.spawn(self._deliver_quietly(update), what=f"start {conversation.id}")
        self._greetings[conversation.id] = task
        task.add_done_callback(lambda _: self._greetings.pop(conversation.id, None))
        log.info("directline conversation %s started", conversation.id)
        return True

    async def greeted(self, conversation_id: str) -> None:
        """Wait until this process's conversationUpdate for the conversation is with the bot (if one is)."""
        task = self._greetings.get(conversation_id)
        if task is not None:
            # The bot should see the start before the user's first words; shield: the greeting outlives us.
            await asyncio.shield(task)

    async def _deliver_quietly(self, activity: JsonObject) -> None:
        # Nobody waits on the greeting; the bot client has logged why it failed.
        with contextlib.suppress(DirectLineError):
            await self.deliver(activity)

    async def append(self, conversation_id: str, activity: JsonObject) -> DirectLineActivityPublic:
        """Store `activity` (assigning its id) and wake the conversation's streams."""
        stored = await append_activity(
            self.session_maker, conversation_id=conversation_id, activity=activity, now=self.clock()
        )
        if stored is None:
            raise ConversationNotFoundError("no conversation has this id")
        self.hub.notify(conversation_id, stored.seq)
        log.info("directline activity %s (%s) stored", stored.activity_id, activity.get("type"))
        return stored

    async def deliver(self, activity: JsonObject) -> None:
        """Forward `activity` to the bot."""
        if self._bot is None:
            raise RuntimeError("the Direct Line gateway is not running (its cleanup_ctx has not started)")
        await self._bot.deliver(activity)
