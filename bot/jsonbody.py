"""The one reader of JSON request bodies: bounded size, nesting and numbers, strict UTF-8, a 4xx otherwise.

`read_json` is what handlers call: an application/json body (415 otherwise) of at most `limit` bytes
(413), decoded by `loads_bounded` (400). The standard library's decoder recurses once per nesting level
(a body of "[[[[..." raises RecursionError) and turns every integer literal into an int (over 4,300 digits
it raises ValueError; below that the conversion is quadratic). Here both are bounded before they cost
anything, and every way a body can fail is one error class that the error middleware answers.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from aiohttp import web

from bot.errors import BodyTooLargeError, ServiceError, UnsupportedMediaTypeError

# Activities nest a few levels (attachments -> content -> body -> items -> ...); Adaptive Cards a few more.
MAX_DEPTH = 64
# Far beyond any id, count or amount a client sends; an int this long costs nothing to convert.
MAX_INT_DIGITS = 100


_CHUNK = 64 * 1024
# Seconds a client may take to send a request's body (CLIENT_TIMEOUT_SECONDS, set by create_app).
BODY_TIMEOUT = web.AppKey("body_timeout", float)
DEFAULT_BODY_TIMEOUT = 30.0


class BodyTimeoutError(ServiceError):
    """The client did not finish sending the body in time: a stalled or deliberately slow client."""

    status = 408
    code = "body_timeout"


@asynccontextmanager
async def body_deadline(request: web.Request) -> AsyncIterator[None]:
    """Bound the reading of `request`'s body: BodyTimeoutError (408) once the client's time is up, so a
    client that never finishes its body holds a handler and a connection no longer than that."""
    seconds = request.config_dict.get(BODY_TIMEOUT, DEFAULT_BODY_TIMEOUT)
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError as exc:
        raise BodyTimeoutError(f"the body did not arrive within {seconds:g} s") from exc


class JsonBodyError(ServiceError, ValueError):
    """A request body that is not JSON this service reads (answered 400 `invalid_json`)."""

    code = "invalid_json"


class _Refuse:
    """The marker of `read_json`'s default: an absent or blank body is refused like any body that is not JSON."""


REFUSE: Final = _Refuse()


async def read_body(request: web.Request, *, limit: int) -> bytes:
    """Read the body, refusing more than `limit` bytes (413) whatever Content-Length claims."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLargeError(f"the body exceeds {limit} bytes")
    if request.content.is_eof():  # all of it came with the headers (most bodies): nothing to wait for
        whole = request.content.read_nowait()
        if len(whole) > limit:
            raise BodyTooLargeError(f"the body exceeds {limit} bytes")
        return whole
    data = bytearray()
    async with body_deadline(request):
        async for chunk in request.content.iter_chunked(_CHUNK):
            data += chunk
            if len(data) > limit:
                raise BodyTooLargeError(f"the body exceeds {limit} bytes")
    return bytes(data)


async def read_json(
    request: web.Request, *, limit: int | None = None, if_empty: Any = REFUSE, storable: bool = False
) -> Any:
    """Return the decoded application/json body of at most `limit` bytes (the app's client_max_size by default).

    `if_empty` is what a request without a body, or with a blank one, reads as (an endpoint whose body is
    optional); by default such a body is refused as not JSON. With `storable`, see loads_bounded.
    """
    empty_allowed = not isinstance(if_empty, _Refuse)
    if empty_allowed and not request.body_exists:
        return if_empty
    if request.content_type != "application/json":
        raise UnsupportedMediaTypeError("send the body as application/json")
    raw = await read_body(request, limit=request.client_max_size if limit is None else limit)
    if empty_allowed and not raw.strip():
        return if_empty
    return loads_bounded(raw, storable=storable)


def loads_bounded(raw: bytes | str, *, storable: bool = False) -> Any:
    """Decode a JSON body: strict UTF-8, nesting at most MAX_DEPTH, integers of at most MAX_INT_DIGITS digits.

    NaN and Infinity are refused too: they are not JSON, and PostgreSQL's json type would refuse them later.
    With `storable`, NUL and lone surrogates in its strings become U+FFFD (scrub_strings), so that a
    database takes them.
    """
    if isinstance(raw, bytes | bytearray | memoryview):
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonBodyError("the body is not valid UTF-8") from exc
    else:
        text = raw
    try:
        value = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant)
    except JsonBodyError:
        raise
    except RecursionError as exc:
        # The C decoder stops cleanly at the interpreter's recursion limit; that is far deeper than allowed.
        raise JsonBodyError(f"the body nests deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:
        raise JsonBodyError(f"the body is not valid JSON: {_reason(exc)}") from exc
    if _depth_over(value, MAX_DEPTH):
        raise JsonBodyError(f"the body nests deeper than {MAX_DEPTH} levels")
    # The decoder refuses raw control characters in strings, and UTF-8 holds no surrogates: in a body
    # without a \u escape (most bodies) there is nothing to scrub, and no walk of it to pay for.
    if storable and ("\\u" in text or _UNSTORABLE.search(text)):
        return scrub_strings(value)
    return value


# What no database takes in text: NUL (PostgreSQL) and lone UTF-16 surrogates (neither, as UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def scrub_strings(value: Any) -> Any:
    """Return `value` (parsed JSON) with NUL and lone surrogates in its strings replaced by U+FFFD."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value) if _UNSTORABLE.search(value) else value
    if isinstance(value, dict):
        return {scrub_strings(key): scrub_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub_strings(item) for item in value]
    return value


def _parse_int(literal: str) -> int:
    if len(literal) - literal.startswith("-") > MAX_INT_DIGITS:
        raise JsonBodyError(f"the body has an integer of more than {MAX_INT_DIGITS} digits")
    return int(literal)


def _parse_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise JsonBodyError("the body has a number too large to represent")
    return value


def _refuse_constant(name: str) -> Any:
    raise JsonBodyError(f"the body has {name}, which is not JSON")


def _reason(exc: ValueError) -> str:
    # JSONDecodeError says where (line, column) without quoting the body; other ValueErrors get no detail.
    return exc.msg if isinstance(exc, json.JSONDecodeError) else "malformed"


def _depth_over(value: Any, limit: int) -> bool:
    """Whether containers in `value` nest more than `limit` deep (iterative: no recursion on hostile input)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
