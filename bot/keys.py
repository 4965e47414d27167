"""Typed keys for the objects the app shares (one module, so every handler agrees on them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from botbuilder.core import Bot, ConversationState
from botbuilder.integration.aiohttp import CloudAdapter
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.settings import Settings
from intake.policy import Policy

Clock = Callable[[], datetime]
AgentsOnline = Callable[[], Awaitable[int]]

SETTINGS = web.AppKey("settings", Settings)
POLICY = web.AppKey("policy", Policy)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
ENGINE = web.AppKey("engine", AsyncEngine)
SESSION_MAKER = web.AppKey("session_maker", async_sessionmaker[AsyncSession])
ADAPTER = web.AppKey("adapter", CloudAdapter)
BOT = web.AppKey("bot", Bot)
CONVERSATION_STATE = web.AppKey("conversation_state", ConversationState)
