"""`intake serve`: migrate, then run the app until Ctrl-C or SIGTERM (in-flight turns finish first)."""

from __future__ import annotations

import gc
import logging
from datetime import UTC, datetime

from aiohttp import web

from bot.app import create_app
from bot.logs import apply_log_policy
from bot.settings import ConfigError, Settings
from intake.clock import Clock
from intake.triage_model import default_model
from store.clock import utc_now

log = logging.getLogger(__name__)

# aiohttp waits this long for in-flight requests after SIGINT/SIGTERM before closing connections.
SHUTDOWN_GRACE_SECONDS = 30.0
# The longest request line (method, path and query) and header line aiohttp reads; longer ones get 400
# before any routing, logged as one line without the line itself (bot/logs.py). This is aiohttp's own
# default, stated here so that it stays the bound whatever a later aiohttp chooses.
MAX_REQUEST_LINE_BYTES = 8190
LINGER_SECONDS = 10.0  # aiohttp's own default


def pretend_clock(start: datetime) -> Clock:
    """A clock that reads `start` now and runs in real time from there (development try-outs)."""
    offset = start.astimezone(UTC) - utc_now()
    return lambda: utc_now() + offset


def settle_before_serving() -> None:
    """What a serving process does once, before its port opens, so that customers' turns do not pay for it.

    The triage model is read now (about half a second), not on the first customer's turn. Then everything
    built so far (the libraries' modules and the app: about 170,000 objects) is moved out of the garbage
    collector's reach: it lives as long as the process, yet each full collection walked all of it (about
    90 ms), which cost a chat turn some 15% of its CPU under load (docs/BENCHMARKS.md).
    """
    default_model()
    gc.freeze()


def serve(settings: Settings, *, migrate: bool = True, clock: Clock | None = None) -> int:
    # Whoever configured logging, statement parameters and raw request lines stay out of it.
    apply_log_policy()
    url = settings.effective_database_url()
    if migrate:
        from store.migrate import upgrade

        upgrade(url)
    app = create_app(settings, database_url=url, **({"clock": clock} if clock else {}))
    settle_before_serving()
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
            max_line_size=MAX_REQUEST_LINE_BYTES,
            max_field_size=MAX_REQUEST_LINE_BYTES,
            # Slow clients: a connection without a whole request (idle, or trickling headers) is closed,
            # and the rest of a body a handler did not read is waited for at most this briefly.
            keepalive_timeout=settings.idle_connection_seconds,
            lingering_time=min(LINGER_SECONDS, settings.client_timeout_seconds),
        )
    except OSError as exc:
        raise ConfigError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}") from exc
    return 0
