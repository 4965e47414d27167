"""Reading form bodies: a body that is not what its Content-Type says is the client's mistake (400)."""

from __future__ import annotations

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from bot.errors import BadRequestError


class FormBodyError(BadRequestError):
    """A form body that cannot be read: bytes that are not UTF-8, an unknown charset, broken multipart."""

    code = "bad_form"


async def read_form(request: web.Request) -> MultiDictProxy[str]:
    """Return the text fields of a form body (uploaded files are dropped); raise FormBodyError if unreadable.

    aiohttp's own reader raises UnicodeDecodeError on raw non-UTF-8 bytes, LookupError on an unknown
    charset and ValueError on a multipart body without its boundary; a body over the app's limit stays
    aiohttp's 413.
    """
    try:
        posted = await request.post()
    except (ValueError, LookupError) as exc:  # UnicodeDecodeError is a ValueError
        raise FormBodyError(f"the body is not a readable {request.content_type} form") from exc
    return MultiDictProxy(MultiDict((k, v) for k, v in posted.items() if isinstance(v, str)))
