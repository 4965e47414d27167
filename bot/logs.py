"""The service's logging set-up: one line per event, no control characters, no SQL parameters.

What a client sends can reach a log line (an activity type, a path, an exception message); a newline in
it would start a forged line. The formatter escapes control characters in every message, and indents
traceback lines so that none of them can pass for a record of its own. Database drivers and SQLAlchemy
log statements with their parameters (a customer's words, K#s, phone numbers) below WARNING, so their
loggers are capped there whatever the service's level. aiohttp's server logs a malformed request (a
request line over its limit, a bad header) with a traceback quoting the raw line, query string included;
that becomes one line naming the error.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import TextIO

from aiohttp.http_exceptions import HttpProcessingError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Loggers that write statement parameters or request lines below WARNING; kept at WARNING and above.
CAPPED_LOGGERS = (
    "aiosqlite",  # DEBUG: every call with its arguments
    "asyncpg",
    "sqlalchemy.engine",  # INFO: every statement and its parameters
    "sqlalchemy.pool",
    "twilio.http_client",  # INFO: request URLs with phone numbers in the query
    "aiohttp.access",  # INFO: request lines with query strings (tokens, account numbers)
)
SERVER_LOGGER = "aiohttp.server"

# C0 and C1 controls, DEL, the Unicode line and paragraph separators some viewers break lines on, and lone
# surrogates (undecodable bytes of a request, which would make writing the line itself fail).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_controls(text: str) -> str:
    """Return `text` with every control character written as an escape (\\n, \\r, \\t, \\x1b, \\u2028...)."""
    return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _indented(text: str) -> str:
    # A traceback keeps its lines (for reading), each indented and stripped of other control characters.
    return "\n".join("    " + escape_controls(line) for line in text.splitlines())


def withheld_traceback(error: BaseException) -> str:
    """Format `error` and its causes as a traceback whose exception messages are left out.

    Frames say where a failure happened; messages say with what, and drivers put values there (asyncpg's
    "Key (k_number)=(K123456) already exists", "invalid input for query argument $2: '...'").
    """
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 16:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    blocks = []
    for link in reversed(chain):
        lines = ["Traceback (most recent call last):\n", *traceback.format_tb(link.__traceback__)]
        kind = type(link)
        name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
        lines.append(f"{name} (message not logged)\n")
        blocks.append("".join(lines))
    return "which led to\n".join(blocks).rstrip("\n")


class EscapingFormatter(logging.Formatter):
    """A Formatter whose message is one line with control characters escaped.

    Tracebacks keep their frames, indented so that no line of theirs passes for a record, and lose their
    exception messages (see withheld_traceback).
    """

    def format(self, record: logging.LogRecord) -> str:
        # Not Formatter.format: it reuses record.exc_text, which another handler's formatter may have
        # filled with the full traceback, messages and all.
        record.message = escape_controls(record.getMessage())
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        lines = [self.formatMessage(record)]
        if record.exc_info and record.exc_info[1] is not None:
            lines.append(self.formatException(record.exc_info))
        elif record.exc_text:
            lines.append(_indented(record.exc_text))
        if record.stack_info:
            lines.append(self.formatStack(record.stack_info))
        return "\n".join(lines)

    def formatException(self, ei: logging._SysExcInfoType) -> str:
        error = ei[1]
        return _indented(withheld_traceback(error) if error is not None else super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indented(super().formatStack(stack_info))


class ServerErrorFilter(logging.Filter):
    """Turn aiohttp's server tracebacks into one line naming the exception type.

    A malformed request is the client's doing and is logged at INFO; anything else stays at its level.
    Neither keeps the exception's text: LineTooLong quotes the raw request line, query string and all.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info or record.exc_info[1] is None:
            return True
        error = record.exc_info[1]
        if isinstance(error, HttpProcessingError):
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
            detail = f"refused a malformed request: {type(error).__name__} ({error.code})"
        else:
            detail = type(error).__name__
        record.msg = f"{record.getMessage()}: {detail}"
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        return True


def apply_log_policy() -> None:
    """Cap the loggers that would write parameters and install the server filter (idempotent)."""
    for name in CAPPED_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
    server = logging.getLogger(SERVER_LOGGER)
    if not any(isinstance(f, ServerErrorFilter) for f in server.filters):
        server.addFilter(ServerErrorFilter())


def configure_logging(level: str | int, *, stream: TextIO | None = None) -> logging.Handler:
    """Log to `stream` (stderr) at `level` through the escaping formatter, with the policy above applied."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(EscapingFormatter(LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    apply_log_policy()
    # Alembic narrates every plugin it loads at INFO; its warnings and errors still show.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    return handler
