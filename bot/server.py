"""`intake serve`: migrate, then run the app until Ctrl-C or SIGTERM (in-flight turns finish first)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from aiohttp import web

from bot.app import create_app
from bot.keys import Clock
from bot.settings import ConfigError, Settings

log = logging.getLogger(__name__)

# aiohttp waits this long for in-flight requests after SIGINT/SIGTERM before closing connections.
SHUTDOWN_GRACE_SECONDS = 30.0


def pretend_clock(start: datetime) -> Clock:
    """A clock that reads `start` now and runs in real time from there (development try-outs)."""
    offset = start.astimezone(UTC) - datetime.now(UTC)
    return lambda: datetime.now(UTC) + offset


def serve(settings: Settings, *, migrate: bool = True, clock: Clock | None = None) -> int:
    url = settings.effective_database_url()
    if migrate:
        from store.migrate import upgrade

        upgrade(url)
    app = create_app(settings, database_url=url, **({"clock": clock} if clock else {}))
    if clock is not None:
        log.warning("development clock: the service believes it is %s", clock().isoformat())
    log.info("serving on http://%s:%s (public URL %s)", settings.host, settings.port, settings.base_url)
    try:
        web.run_app(
            app,
            host=settings.host,
            port=settings.port,
            shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
            print=None,
            access_log=None,  # access logs would carry phone numbers and ids in query strings
        )
    except OSError as exc:
        raise ConfigError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}") from exc
    return 0
