"""HTTP plumbing of the gateway's handlers: the service's body and bearer readers, in the Direct Line protocol's
error codes. Refusals are DirectLineError classes (ServiceErrors), answered by ServiceError.response()."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot import errors
from bot.bearer import bearer_token
from bot.directline.errors import (
    BadArgumentError,
    BodyTooLargeError,
    DirectLineError,
    MalformedJsonError,
    TokenMissingError,
    UnsupportedMediaTypeError,
)
from bot.directline.models import JsonObject
from bot.jsonbody import REFUSE, JsonBodyError, read_json

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_errors(handler: Handler) -> Handler:
    """Wrap `handler` so each refusal is logged (path and code) and answered as the error middleware would:
    the gateway keeps its JSON refusals when mounted on an app without that middleware (as its tests do)."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except DirectLineError as error:
            # The path is safe to log; bodies and query strings (tokens) are not.
            log.info("directline %s %s -> %d %s", request.method, request.path, error.status, error.code)
            return error.response()

    return wrapped


async def read_json_object(request: web.Request, *, limit: int, optional: bool = False) -> JsonObject:
    """Read an application/json body holding one object; with `optional`, no body at all reads as {}."""
    try:
        value = await read_json(request, limit=limit, if_empty={} if optional else REFUSE)
    except errors.UnsupportedMediaTypeError as exc:
        raise UnsupportedMediaTypeError("send the body as application/json") from exc
    except errors.BodyTooLargeError as exc:
        raise BodyTooLargeError(exc.message) from exc
    except JsonBodyError as exc:
        raise MalformedJsonError("the body is not valid JSON") from exc
    if not isinstance(value, dict):
        raise BadArgumentError("the body must be a JSON object")
    return value


def bearer(request: web.Request) -> str:
    """Return the bearer credential of the request; raise TokenMissingError if there is none."""
    credential = bearer_token(request)
    if credential is None:
        raise TokenMissingError("send a token as 'Authorization: Bearer <token>'")
    return credential
