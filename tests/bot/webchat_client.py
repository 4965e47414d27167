"""A Web Chat conversation with a started service, over its Direct Line gateway, as the page holds one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession

from bot.directline import DIRECTLINE_SERVICE
from bot.directline.service import DirectLineService
from bot.turn_state import DIALOGUE, load_record
from store.db import create_engine, session_factory
from store.jobs import Jobs
from store.transcripts import get_transcript
from tests.bot.conftest import FakeClock, start_service


@dataclass
class Chat:
    """A Web Chat conversation with the running service, over Direct Line."""

    http: ClientSession
    url: str
    auth: dict[str, str]
    conversation: str
    gateway: DirectLineService
    db_url: str
    sent: int = 0

    async def say(self, text: str) -> int:
        """Post a message as Web Chat does (the gateway answers once the turn is over); return the status."""
        self.sent += 1
        activity = {"type": "message", "text": text, "channelData": {"clientActivityID": f"web-{self.sent}"}}
        async with self.http.post(self.url, json=activity, headers=self.auth) as response:
            return response.status

    async def shown(self) -> list[dict[str, Any]]:
        async with self.http.get(self.url, headers=self.auth) as response:
            return list((await response.json())["activities"])

    async def dialogue(self) -> Any:
        """The dialogue's state as stored in the conversation's row."""
        engine = create_engine(self.db_url)
        try:
            record = await load_record(
                Jobs.over(session_factory(engine)), f"directline/conversations/{self.conversation}"
            )
        finally:
            await engine.dispose()
        return record.get(DIALOGUE)

    async def transcript(self) -> list[str]:
        engine = create_engine(self.db_url)
        try:
            async with session_factory(engine)() as session:
                return [line.text for line in await get_transcript(session, conversation_id=self.conversation)]
        finally:
            await engine.dispose()


@asynccontextmanager
async def web_chat(db_url: str, clock: FakeClock | None = None) -> AsyncIterator[Chat]:
    """Start the service on `db_url` and a conversation with it (token, start, greeting)."""
    clock = clock or FakeClock()
    runner, base = await start_service(db_url, clock)
    try:
        gateway = runner.app[DIRECTLINE_SERVICE]
        async with ClientSession() as http:
            async with http.post(f"{base}/api/webchat/token") as response:
                issued = await response.json()
            auth = {"Authorization": f"Bearer {issued['token']}"}
            conversation = issued["conversationId"]
            async with http.post(f"{base}/v3/directline/conversations", headers=auth) as response:
                assert response.status == 201
            await gateway.greeted(conversation)
            url = f"{base}/v3/directline/conversations/{conversation}/activities"
            yield Chat(http, url, auth, conversation, gateway, db_url)
    finally:
        await runner.cleanup()
