"""One error-to-response convention: refusals are ServiceError classes, answered as JSON by one middleware.

Every refusal is `{"error": {"code": ..., "message": ...}}` with its HTTP status. A handler raises a
ServiceError subclass (aiohttp's own HTTP errors, raised by the framework, get the same shape); no handler
builds an error response itself. A database outage becomes 503 with Retry-After; anything unexpected
becomes a plain 500 with one log line naming the exception type, never a traceback page and never the
exception's text (it may quote a customer's words).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Mapping
from types import TracebackType
from typing import ClassVar

import asyncpg
from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import exc as sa_exc

from store.errors import causes

log = logging.getLogger(__name__)

# How long a client should wait before retrying while the database is down (seconds).
RETRY_AFTER_SECONDS = 5
# Paths are logged (never query strings, which carry tokens and account numbers), and only this much.
_MAX_LOGGED_PATH = 200
_DATABASE_MODULES = ("sqlalchemy", "asyncpg", "aiosqlite")
_CREDENTIAL_HEADERS = frozenset({"authorization", "x-twilio-signature", "x-csrf-token"})
_SURROGATE = re.compile("[\ud800-\udfff]")


class ServiceError(Exception):
    """A request the service refuses: its HTTP status, its error code and a reason for the client."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self._headers = dict(headers or {})

    def headers(self) -> Mapping[str, str]:
        """Extra response headers (Retry-After, WWW-Authenticate, ETag...)."""
        return self._headers

    def response(self) -> web.Response:
        """Return the JSON reply of this refusal."""
        return json_error(self.status, self.code, self.message, headers=self.headers())


class BadRequestError(ServiceError):
    """The request cannot be read (a body that is not what its Content-Type says, say)."""


class BadHeaderError(BadRequestError):
    """A header value the service cannot read (bytes that are not UTF-8, a credential that is not ASCII)."""

    code = "bad_header"


class NotFoundError(ServiceError):
    """Nothing has the id or number the request names."""

    status = 404
    code = "not_found"


class ForbiddenError(ServiceError):
    """The caller is known but may not do this (a role, another agent's claim)."""

    status = 403
    code = "forbidden"


class ConflictError(ServiceError):
    """The thing changed under the request, or is not in a state that allows it."""

    status = 409
    code = "conflict"


class BodyTooLargeError(ServiceError):
    """The body is longer than the endpoint takes."""

    status = 413
    code = "too_large"


class UnsupportedMediaTypeError(ServiceError):
    """The body is not sent in a Content-Type the endpoint reads."""

    status = 415
    code = "unsupported_media_type"


class InvalidFieldsError(ServiceError):
    """The body is readable but a field is missing or wrong; the message names it."""

    status = 422
    code = "invalid_fields"


class PreconditionRequiredError(ServiceError):
    """A conditional request (If-Match) is required and none came."""

    status = 428
    code = "precondition_required"


class AssetMissingError(ServiceError):
    """A file the service serves is not installed on the server (e.g. an npm package): what to run."""

    status = 503
    code = "asset_missing"


class DatabaseUnavailableError(ServiceError):
    """The database cannot be reached right now; the client may retry later."""

    status = 503
    code = "database_unavailable"

    def headers(self) -> Mapping[str, str]:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}


def json_error(status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None) -> web.Response:
    """`{"error": {"code": ..., "message": ...}}` with the given HTTP status."""
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


class DatabaseNotWritableError(DatabaseUnavailableError):
    """The database answers but cannot store anything (a full disk, a read-only file); retry later."""

    code = "database_not_writable"


def database_unavailable_response(error: BaseException | None = None) -> web.Response:
    """The 503 JSON reply (with Retry-After) of a request that needed the database while it was down, or
    could not write to it (`error` tells which)."""
    if error is not None and is_database_not_writable(error):
        return DatabaseNotWritableError(
            "the database cannot store anything now (its disk is full or it is read-only); try again later"
        ).response()
    return DatabaseUnavailableError("the database is not reachable; try again shortly").response()


# SQLite's primary result codes for a full disk and a read-only database (extended codes keep them in the
# low byte).
_SQLITE_NOT_WRITABLE = frozenset({sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY})


def is_database_not_writable(error: BaseException) -> bool:
    """Whether `error` (or what caused it) says the database could not write: disk full or read-only."""
    for link in causes(error):
        if isinstance(link, sqlite3.Error) and (getattr(link, "sqlite_errorcode", 0) & 0xFF) in _SQLITE_NOT_WRITABLE:
            return True
        if isinstance(link, asyncpg.DiskFullError | asyncpg.ReadOnlySQLTransactionError):
            return True
    return False


def request_label(request: web.BaseRequest) -> str:
    """`METHOD /path` for a log line: the raw path without its query, cut short."""
    path = request.raw_path.partition("?")[0]
    if len(path) > _MAX_LOGGED_PATH:
        path = path[:_MAX_LOGGED_PATH] + "..."
    return f"{request.method} {path}"


def is_database_unavailable(error: BaseException) -> bool:
    """Whether `error` (or what caused it) means the database could not be reached or could not do the work.

    DBAPI's OperationalError is that class by definition (lost connection, unreachable server, locked or
    missing SQLite file); a connection refused or timed out inside the database stack counts too, since
    asyncpg lets the socket's own error through.
    """
    for link in causes(error):
        if isinstance(link, sa_exc.DBAPIError) and link.connection_invalidated:
            return True
        if isinstance(
            link,
            sa_exc.OperationalError
            | sa_exc.InterfaceError
            | sa_exc.DisconnectionError
            | sa_exc.TimeoutError
            | sqlite3.OperationalError
            | asyncpg.PostgresConnectionError
            | asyncpg.CannotConnectNowError
            | asyncpg.InterfaceError,
        ):
            return True
        if isinstance(link, OSError | TimeoutError) and _raised_in_database_stack(link.__traceback__):
            return True
    return False


def _raised_in_database_stack(tb: TracebackType | None) -> bool:
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.startswith(_DATABASE_MODULES):
            return True
        tb = tb.tb_next
    return False


def check_headers(request: web.BaseRequest) -> None:
    """Refuse header values with bytes that are not UTF-8, and credentials that are not ASCII.

    aiohttp hands undecodable header bytes on as lone surrogates, which fail any later encode or compare
    (a bearer token checked with hmac.compare_digest, say); no client we serve sends either.
    """
    for name, value in request.headers.items():
        if value.isascii():
            continue
        if name.lower() in _CREDENTIAL_HEADERS:
            raise BadHeaderError(f"the {name} header must be ASCII")
        if _SURROGATE.search(value):
            raise BadHeaderError(f"the {name} header is not UTF-8")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer every refusal and failure as JSON with a reason, logging at most one line."""
    try:
        check_headers(request)
        return await handler(request)
    except ServiceError as error:
        # The path and the code only: bodies and query strings (tokens, account numbers) are never logged.
        level = logging.WARNING if error.status >= 500 else logging.INFO
        log.log(level, "%s -> %d %s", request_label(request), error.status, error.code)
        return error.response()
    except web.HTTPRequestEntityTooLarge as exc:
        return BodyTooLargeError(exc.text or "request body too large").response()
    except web.HTTPException as exc:
        if exc.status >= 400 and exc.content_type != "application/json":
            return json_error(exc.status, exc.reason.lower().replace(" ", "_"), exc.reason, headers=_kept(exc))
        raise
    except Exception as exc:
        if is_database_unavailable(exc):
            log.warning("%s -> 503: database unavailable (%s)", request_label(request), type(exc).__name__)
            return database_unavailable_response(exc)
        # The type only: an exception's text (and a traceback's locals) may quote what a customer wrote.
        log.error("%s -> 500: unexpected %s", request_label(request), type(exc).__name__)
        return json_error(500, "internal_error", "something went wrong on our side")


def _kept(exc: web.HTTPException) -> dict[str, str]:
    # Allow (405) and Retry-After (429, 503) tell the client what to do next; keep them on the JSON reply.
    return {name: exc.headers[name] for name in ("Allow", "Retry-After", "WWW-Authenticate") if name in exc.headers}
