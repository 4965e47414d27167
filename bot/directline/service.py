"""The gateway's core: credentials, conversations, storing and fanning out activities, handing them to the bot."""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from bot.directline.config import DirectLineConfig
from bot.directline.errors import (
    BadArgumentError,
    ConversationNotFoundError,
    TokenScopeError,
)
from bot.directline.models import Account, JsonObject, conversation_update, with_client
from bot.directline.stream import StreamHub
from bot.directline.tokens import Scope, TokenClaims, issue_token, signing_key, verify_token
from bot.kept import Kept
from intake.clock import Clock
from store.db import SessionMaker
from store.directline import (
    append_activities,
    create_conversation,
    get_conversation,
    mark_processed,
    mark_started,
    pending_activities,
)
from store.jobs import Jobs
from store.models import DirectLineActivityPublic, DirectLineConversationPublic
from store.notify import Bus

log = logging.getLogger(__name__)


class Deliver(Protocol):
    """Runs the bot's turn for an activity the gateway vouches for (bot/directline/adapter.py, in this process).

    `pending`: the activity is a user's, stored pending until its turn is over (receive). Returns True when
    the turn's write of its replies also marked it processed.
    """

    def __call__(self, activity: JsonObject, /, *, pending: bool = False) -> Awaitable[bool]: ...


# Direct Line reserves the "dl_" prefix for user ids a token vouches for.
_USER_ID = re.compile(r"dl_[A-Za-z0-9_-]{1,64}")


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

    def __init__(
        self,
        *,
        config: DirectLineConfig,
        session_maker: SessionMaker,
        clock: Clock,
        bus: Bus | None = None,
        jobs: Jobs | None = None,
    ) -> None:
        self.config = config
        self.session_maker = session_maker
        # Where the gateway's own reads and writes run (store/jobs.py): the app's jobs, or the session's engine.
        self.db = jobs if jobs is not None else Jobs.over(session_maker)
        self.clock = clock
        self.hub = StreamHub(self.db, bus)
        self.bot_account = Account(id=config.bot_id, role="bot", name=config.bot_name)
        self._key = signing_key(config.secret)
        self._bot: Deliver | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._greetings: dict[str, asyncio.Task[None]] = {}
        # The turn of each user activity being processed here: a resend of it waits for that turn.
        self._turns: dict[str, asyncio.Task[None]] = {}
        # Started conversations, as read (oldest first, bounded): see conversation().
        self._started: Kept[str, DirectLineConversationPublic] = Kept(_KNOWN_CONVERSATIONS)

    # --- lifecycle -----------------------------------------------------------------------------------

    def attach_bot(self, bot: Deliver | None) -> None:
        """Set (or clear, at shutdown) what runs the bot's turn for an activity."""
        self._bot = bot

    def spawn(self, coro: Coroutine[Any, Any, None], *, what: str) -> asyncio.Task[None]:
        """Run `coro` (a greeting, a turn) in the background, tracked so shutdown can wait for it."""
        task = asyncio.create_task(coro, name=f"directline {what}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def finish_background(self) -> None:
        """Wait for the greetings and turns in progress (never cancelled: a customer's turn completes)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

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
        if not hmac.compare_digest(claims.conversation_id.encode(), conversation_id.encode()):
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
            self.db,
            conversation_id=secrets.token_urlsafe(18),
            user_id=user_id or f"dl_{secrets.token_urlsafe(12)}",
            now=self.clock(),
        )
        log.info("directline conversation %s created", conversation.id)
        return conversation

    async def user_of(self, conversation_id: str) -> str:
        """The conversation's user id; raise ConversationNotFoundError."""
        return (await self.conversation(conversation_id)).user_id

    async def conversation(self, conversation_id: str) -> DirectLineConversationPublic:
        """Return the conversation; raise ConversationNotFoundError.

        A started conversation is kept once read: all the gateway reads of it (its id, its user, that it has
        started) then never change, and every message and reply of a chat asks.
        """
        found = self._started.get(conversation_id)
        if found is not None:
            return found
        found = await get_conversation(self.db, conversation_id=conversation_id)
        if found is None:
            raise ConversationNotFoundError("no conversation has this id")
        if found.started_at is not None:
            self._started.keep(conversation_id, found)
        return found

    async def start(self, conversation: DirectLineConversationPublic, *, locale: str | None) -> bool:
        """Mark the conversation started; the first time, return True and greet via a conversationUpdate."""
        if not await mark_started(self.db, conversation_id=conversation.id, now=self.clock()):
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
        # Nobody waits on the greeting; a failure is logged and the customer's first words start the dialogue.
        try:
            await self.deliver(activity)
        except Exception as exc:  # the greeting must not take the gateway down with it
            log.warning("directline greeting failed: %s", type(exc).__name__)

    async def append(
        self, conversation_id: str, activity: JsonObject, *, client_key: str | None = None, pending: bool = False
    ) -> DirectLineActivityPublic:
        """Store `activity` (assigning its id; once per `client_key`) and wake the conversation's streams."""
        (stored,) = await self.append_all(conversation_id, [(activity, client_key)], pending=pending)
        return stored

    async def append_all(
        self,
        conversation_id: str,
        items: Sequence[tuple[JsonObject, str | None]],
        *,
        pending: bool = False,
        also: Callable[[Connection], None] | None = None,
        processed: str | None = None,
    ) -> list[DirectLineActivityPublic]:
        """Store activities (each with its client key, or None) in order in one write; wake the streams once.

        `also` and `processed`: written in the same transaction (store.directline.append_activities).
        """
        stored = await append_activities(
            self.db,
            conversation_id=conversation_id,
            items=items,
            now=self.clock(),
            pending=pending,
            also=also,
            processed=processed,
        )
        if stored is None:
            raise ConversationNotFoundError("no conversation has this id")
        if stored:
            self.hub.notify(conversation_id, max(one.seq for one in stored), stored)
        return stored

    async def receive(
        self, conversation_id: str, activity: JsonObject, *, client: str | None = None
    ) -> DirectLineActivityPublic:
        """Store a user's activity and have the bot take it, exactly once however often it is sent.

        A client that resends an activity (same clientActivityID) after a lost answer gets the stored one
        back; the bot takes it once. An activity stays pending until the bot's turn is over, so one left
        pending by a process that died is taken again by the recovery sweep (the bot answers a turn it had
        already committed from its memory of that turn, so nothing is done twice). `client` is the
        client's address, for the bot's per-address limits; it is not stored.
        """
        stored = await self.append(conversation_id, activity, client_key=client_key(activity), pending=True)
        if stored.pending:
            await self._take(stored, client)
        return stored

    async def _take(self, stored: DirectLineActivityPublic, client: str | None = None) -> None:
        task = self._turns.get(stored.activity_id)
        if task is None:
            task = self.spawn(self._turn(stored, client), what=f"turn {stored.activity_id}")
            self._turns[stored.activity_id] = task
            task.add_done_callback(lambda _: self._turns.pop(stored.activity_id, None))
        # Shielded: a client that hangs up does not cancel the customer's turn.
        await asyncio.shield(task)

    async def _turn(self, stored: DirectLineActivityPublic, client: str | None) -> None:
        # A turn with replies marks the activity processed in their write (bot/directline/adapter.py).
        if not await self.deliver(with_client(stored.body, client), pending=True):
            await mark_processed(self.db, activity_id=stored.activity_id)

    async def recover(self) -> int:
        """Have the bot take user activities left pending by a process that died; return how many."""
        cutoff = self.clock() - self.config.bot_timeout
        taken = 0
        for _conversation_id, stored in await pending_activities(self.db, created_before=cutoff):
            if stored.activity_id in self._turns:
                continue
            try:
                await self._take(stored)
                taken += 1
            except Exception as exc:  # one bad conversation must not stop the others' recovery
                log.warning("directline recovery of %s failed: %s", stored.activity_id, type(exc).__name__)
        if taken:
            log.info("directline recovered %d pending activities", taken)
        return taken

    async def deliver(self, activity: JsonObject, *, pending: bool = False) -> bool:
        """Have the bot take `activity` (a turn in this process); see Deliver."""
        if self._bot is None:
            raise RuntimeError("the Direct Line gateway is not running (its cleanup_ctx has not started)")
        return await self._bot(activity, pending=pending)


_MAX_CLIENT_ACTIVITY_ID = 100
# Started conversations kept in memory (a few hundred bytes each).
_KNOWN_CONVERSATIONS = 10_000


def client_key(activity: JsonObject) -> str | None:
    """The key of a user's activity: the client's own id for it (Web Chat's channelData.clientActivityID)."""
    data = activity.get("channelData")
    value = data.get("clientActivityID") if isinstance(data, dict) else None
    if isinstance(value, str) and 0 < len(value) <= _MAX_CLIENT_ACTIVITY_ID:
        return f"client:{value}"
    return None
