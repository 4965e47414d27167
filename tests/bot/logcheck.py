"""Log checks shared by the error, fuzz and privacy tests: the service's log policy, and tracebacks in caplog."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.logs import CAPPED_LOGGERS, SERVER_LOGGER, configure_logging


@contextmanager
def service_logging(level: int = logging.DEBUG) -> Iterator[io.StringIO]:
    """The service's own logging set-up (as `intake serve` configures it) into a buffer; undone afterwards."""
    root = logging.getLogger()
    saved_root = root.level
    saved = {name: logging.getLogger(name).level for name in (*CAPPED_LOGGERS, "alembic")}
    server = logging.getLogger(SERVER_LOGGER)
    saved_filters = list(server.filters)
    buffer = io.StringIO()
    handler = configure_logging(level, stream=buffer)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_root)
        for name, value in saved.items():
            logging.getLogger(name).setLevel(value)
        server.filters[:] = saved_filters


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The captured records that carry a traceback, as `logger: message` (empty when all is well)."""
    return [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.exc_info or r.exc_text or r.stack_info or "Traceback (most recent call last)" in r.getMessage()
    ]
