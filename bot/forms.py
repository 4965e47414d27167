"""Reading form bodies: a body that is not what its Content-Type says is the client's mistake (400)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from bot.errors import BadRequestError, InvalidFieldsError, UnsupportedMediaTypeError
from bot.jsonbody import body_deadline, read_json

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


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
        async with body_deadline(request):
            posted = await request.post()
    except (ValueError, LookupError) as exc:  # UnicodeDecodeError is a ValueError
        raise FormBodyError(f"the body is not a readable {request.content_type} form") from exc
    return MultiDictProxy(MultiDict((k, v) for k, v in posted.items() if isinstance(v, str)))


@dataclass(frozen=True)
class Fields:
    """Named text fields read from a form post (a page) or a JSON object (a script)."""

    as_json: bool
    values: dict[str, str]


async def read_fields(request: web.Request, names: tuple[str, ...]) -> Fields:
    """Read the text fields `names` (absent ones read as "") from a form or an application/json object;
    415 for any other body, 422 for JSON that is not an object of strings."""
    if request.content_type == "application/json":
        body = await read_json(request)
        if not isinstance(body, dict) or any(not isinstance(body.get(n, ""), str) for n in names):
            raise InvalidFieldsError(f"send a JSON object with string fields {', '.join(names)}")
        return Fields(True, {n: body.get(n, "") for n in names})
    if request.content_type in FORM_TYPES:
        form = await read_form(request)
        return Fields(False, {n: form.get(n, "") for n in names})
    raise UnsupportedMediaTypeError("send a form or application/json")
