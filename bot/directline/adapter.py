"""The website channel as a botbuilder BotAdapter: the gateway runs the bot in this process.

No HTTP hop back to the service's own /api/messages and no loopback connector for replies: an activity
a Direct Line client posts becomes a turn here, and what the bot sends is written straight into the
conversation's activity log, where the client's stream picks it up. So a conversation of this channel
can only be reached through the gateway's tokens, and the bot's replies can only go to the gateway.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.core import conversation_reference_extension as references
from botbuilder.schema import Activity, ConversationReference, ResourceResponse

from bot.activity_json import activity_from_json, to_json
from bot.directline.errors import ActivityNotFoundError, BadArgumentError
from bot.directline.models import JsonObject, bot_activity
from bot.directline.service import DirectLineService
from bot.turn_state import COMMITS_WITH_REPLIES, STATE_COMMIT, StateCommit
from store.directline import delete_activity, replace_activity

log = logging.getLogger(__name__)

BotLogic = Callable[[TurnContext], Awaitable[None]]
TurnErrorHandler = Callable[[TurnContext, Exception], Awaitable[None]]

# How many activities this turn has sent so far: the n of each reply's "reply:<id>:<n>" key.
_SENT = "DirectLineAdapter.sent"
# The user activity the turn answers, stored pending (DirectLineService.receive) ...
_ANSWERING = "DirectLineAdapter.answering"
# ... and whether the turn's replies were written with its mark as processed.
_PROCESSED = "DirectLineAdapter.processed"


def reply_key(activity_id: str, index: int) -> str:
    """The key of the bot's `index`-th reply to `activity_id`: a replayed turn writes the same rows."""
    return f"reply:{activity_id}:{index}"


class DirectLineAdapter(BotAdapter):  # type: ignore[misc]
    """Runs the bot for the gateway's activities and stores what it sends in the gateway's log."""

    def __init__(self, service: DirectLineService, logic: BotLogic, on_turn_error: TurnErrorHandler) -> None:
        super().__init__(on_turn_error)
        self._service = service
        self._logic = logic

    async def process(self, body: JsonObject, *, pending: bool = False) -> bool:
        """Run one turn for an activity the gateway has vouched for (service.Deliver): the bot's state is
        committed with its replies, and with them a `pending` user activity is marked processed."""
        context = TurnContext(self, activity_from_json(body))
        context.turn_state[COMMITS_WITH_REPLIES] = True
        if pending:
            context.turn_state[_ANSWERING] = context.activity.id
        await self.run_pipeline(context, self._logic)
        return bool(context.turn_state.get(_PROCESSED))

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        """Store each activity in the conversation's log (keyed, when it answers an activity, by its place)."""
        answering = context.activity.id if context.activity is not None else None
        # A turn's replies go to its one conversation: stored in one write.
        batches: dict[str, list[tuple[JsonObject, str | None]]] = {}
        for activity in activities:
            conversation_id, body = await self._stamped(activity)
            index = context.turn_state.get(_SENT, 0)
            context.turn_state[_SENT] = index + 1
            key = reply_key(answering, index) if answering else None
            batches.setdefault(conversation_id, []).append((body, key))
        # The bot's state, when it hands it over (bot/turn_state.py StateCommit), goes in its replies' write.
        commit: StateCommit | None = context.turn_state.pop(STATE_COMMIT, None)
        responses: list[ResourceResponse] = []
        for conversation_id, items in batches.items():
            if commit is None:
                stored = await self._service.append_all(conversation_id, items)
            else:
                processed = context.turn_state.get(_ANSWERING)
                stored = await self._service.append_all(conversation_id, items, also=commit.run, processed=processed)
                context.turn_state[_PROCESSED] = processed is not None
                commit = None
            responses.extend(ResourceResponse(id=one.activity_id) for one in stored)
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> ResourceResponse:
        """Replace a stored activity; streams get it again under the same id."""
        conversation_id, body = await self._stamped(activity)
        stored = await replace_activity(
            self._service.db, conversation_id=conversation_id, activity_id=activity.id, activity=body
        )
        if stored is None:
            raise ActivityNotFoundError("no activity of this conversation has this id")
        self._service.hub.forget(conversation_id)  # its old position may be remembered with its old words
        self._service.hub.notify(conversation_id, stored.seq)
        return ResourceResponse(id=stored.activity_id)

    async def _stamped(self, activity: Activity) -> tuple[str, JsonObject]:
        """The activity's conversation and its JSON as the bot's, for the gateway's log."""
        conversation_id = activity.conversation.id if activity.conversation else None
        if not conversation_id:
            raise BadArgumentError("the bot sent an activity without a conversation")
        body = bot_activity(
            to_json(activity),
            conversation_id=conversation_id,
            user_id=await self._service.user_of(conversation_id),
            bot=self._service.bot_account,
            reply_to_id=None,
            now=self._service.clock(),
        )
        return conversation_id, body

    async def delete_activity(self, context: TurnContext, reference: ConversationReference) -> None:
        """Remove a stored activity (clients that already got it keep it)."""
        deleted = await delete_activity(
            self._service.db,
            conversation_id=reference.conversation.id,
            activity_id=reference.activity_id,
        )
        if not deleted:
            raise ActivityNotFoundError("no activity of this conversation has this id")
        self._service.hub.forget(reference.conversation.id)

    async def continue_conversation(
        self,
        reference: ConversationReference,
        callback: BotLogic,
        bot_id: str | None = None,
        claims_identity: Any = None,
        audience: str | None = None,
    ) -> None:
        """Run `callback` outside a client's turn (an agent's message, a resumed dialogue)."""
        context = TurnContext(self, references.get_continuation_activity(reference))
        await self.run_pipeline(context, callback)
