"""Typed keys for the objects the app shares (one module, so every handler agrees on them)."""

from __future__ import annotations

from aiohttp import web
from botbuilder.core import Bot
from botbuilder.integration.aiohttp import CloudAdapter
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels import Channels
from bot.incidents import IncidentConfig
from bot.settings import Settings
from intake.clock import Clock
from intake.policy import Policy
from store.db import SessionMaker
from store.jobs import Jobs

SETTINGS = web.AppKey("settings", Settings)
POLICY = web.AppKey("policy", Policy)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
ENGINE = web.AppKey("engine", AsyncEngine)
SESSION_MAKER: web.AppKey[SessionMaker] = web.AppKey("session_maker")
ADAPTER = web.AppKey("adapter", CloudAdapter)
BOT = web.AppKey("bot", Bot)
CHANNELS = web.AppKey("channels", Channels)
JOBS = web.AppKey("jobs", Jobs)
INCIDENTS = web.AppKey("incidents", IncidentConfig)
