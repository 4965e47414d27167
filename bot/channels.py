"""Which adapter reaches a conversation outside a customer's turn: the one of the conversation's channel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ConversationReference

Logic = Callable[[TurnContext], Awaitable[None]]


class Channels:
    """The service's own channels' adapters (website, phone) by channel id; Bot Framework for the rest."""

    def __init__(self, cloud: CloudAdapter, *, app_id: str) -> None:
        self._cloud = cloud
        self._app_id = app_id
        self._own: dict[str, BotAdapter] = {}

    def register(self, channel_id: str, adapter: BotAdapter) -> None:
        """Route `channel_id`'s conversations to `adapter` (in process, never over HTTP)."""
        self._own[channel_id] = adapter

    async def continue_conversation(self, reference: ConversationReference, logic: Logic) -> None:
        """Run `logic` in the conversation `reference` names; what it sends reaches that conversation."""
        own = self._own.get(reference.channel_id or "")
        if own is not None:
            await own.continue_conversation(reference, logic)
            return
        # CloudAdapter.continue_conversation (botbuilder 4.17.1) builds the claims from bot_app_id: "" in
        # local mode, the app id otherwise; replies go to the reference's serviceUrl, if on the allowlist.
        await self._cloud.continue_conversation(reference, logic, self._app_id)
