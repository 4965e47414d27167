"""HTTP plumbing of the gateway's handlers: the service's body and bearer readers, in the Direct Line protocol's
error codes. Refusals are DirectLineError classes (ServiceErrors), answered by the service's error middleware."""

from __future__ import annotations

from aiohttp import web

from bot import errors
from bot.bearer import bearer_token
from bot.directline.errors import (
    BadArgumentError,
    BodyTooLargeError,
    MalformedJsonError,
    TokenMissingError,
    UnsupportedMediaTypeError,
)
from bot.directline.models import JsonObject
from bot.jsonbody import REFUSE, JsonBodyError, read_json


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
