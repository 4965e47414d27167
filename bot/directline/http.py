"""HTTP plumbing shared by the gateway's handlers: capped JSON bodies, bearer credentials, JSON errors."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.directline.errors import (
    BodyTooLargeError,
    DirectLineError,
    TokenMissingError,
    UnsupportedMediaTypeError,
)
from bot.directline.models import JsonObject, parse_json_object

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_CHUNK = 64 * 1024


def error_response(error: DirectLineError) -> web.Response:
    """Return the JSON reply of a refused request."""
    return web.json_response({"error": {"code": error.code, "message": error.message}}, status=error.status)


def json_errors(handler: Handler) -> Handler:
    """Wrap `handler` so gateway errors become their JSON replies instead of tracebacks."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except DirectLineError as error:
            # The path is safe to log; bodies and query strings (tokens) are not.
            log.info("directline %s %s -> %d %s", request.method, request.path, error.status, error.code)
            return error_response(error)

    return wrapped


async def read_body(request: web.Request, *, limit: int) -> bytes:
    """Read the body, refusing more than `limit` bytes whatever Content-Length claims."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLargeError(f"the body exceeds {limit} bytes")
    data = bytearray()
    async for chunk in request.content.iter_chunked(_CHUNK):
        data += chunk
        if len(data) > limit:
            raise BodyTooLargeError(f"the body exceeds {limit} bytes")
    return bytes(data)


async def read_json_object(request: web.Request, *, limit: int, optional: bool = False) -> JsonObject:
    """Read an application/json body holding one object; with `optional`, no body at all reads as {}."""
    if optional and not request.body_exists:
        return {}
    if request.content_type != "application/json":
        raise UnsupportedMediaTypeError("send the body as application/json")
    raw = await read_body(request, limit=limit)
    if optional and not raw.strip():
        return {}
    return parse_json_object(raw)


def bearer(request: web.Request) -> str:
    """Return the bearer credential of the request; raise TokenMissingError if there is none."""
    scheme, _, credential = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise TokenMissingError("send a token as 'Authorization: Bearer <token>'")
    return credential.strip()
