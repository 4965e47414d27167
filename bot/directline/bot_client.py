"""Delivery of channel activities to the bot's /api/messages endpoint."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import aiohttp

from bot.directline.errors import BotTimeoutError, BotUnavailableError
from bot.directline.models import JsonObject

log = logging.getLogger(__name__)


class BotClient:
    """Posts activities to the bot the way the Bot Framework channel service does, minus the bearer token."""

    def __init__(self, session: aiohttp.ClientSession, *, endpoint: str, timeout: timedelta) -> None:
        self._session = session
        self._endpoint = endpoint
        self._timeout = aiohttp.ClientTimeout(total=timeout.total_seconds())

    async def deliver(self, activity: JsonObject) -> None:
        """Post `activity` to the bot; raise BotUnavailableError or BotTimeoutError if it does not take it."""
        # No Authorization header, ever: a botbuilder bot without an app id still validates any header it
        # gets as a Bot Framework JWT, and the gateway's own bearer token is the user's, not the bot's.
        try:
            async with self._session.post(
                self._endpoint, json=activity, timeout=self._timeout, allow_redirects=False
            ) as response:
                await response.read()
                status = response.status
        except TimeoutError as exc:
            log.warning("bot timed out on activity %s (%s)", activity.get("id"), activity.get("type"))
            raise BotTimeoutError("the bot did not answer in time") from exc
        except (aiohttp.ClientError, OSError, asyncio.IncompleteReadError) as exc:
            log.warning("bot unreachable for activity %s: %s", activity.get("id"), type(exc).__name__)
            raise BotUnavailableError("the bot could not be reached") from exc
        if not 200 <= status < 300:
            log.warning("bot answered %d to activity %s (%s)", status, activity.get("id"), activity.get("type"))
            raise BotUnavailableError(f"the bot answered {status}")
