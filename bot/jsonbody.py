"""The one reader of JSON request bodies: bounded nesting and numbers, strict UTF-8, a 400 for anything else.

The standard library's decoder recurses once per nesting level (a body of "[[[[..." raises RecursionError)
and turns every integer literal into an int (over 4,300 digits it raises ValueError; below that the
conversion is quadratic). Here both are bounded before they cost anything, and every way a body can fail
is one error class that the error middleware answers with 400.
"""

from __future__ import annotations

import json
import math
from typing import Any

from bot.errors import ServiceError

# Activities nest a few levels (attachments -> content -> body -> items -> ...); Adaptive Cards a few more.
MAX_DEPTH = 64
# Far beyond any id, count or amount a client sends; an int this long costs nothing to convert.
MAX_INT_DIGITS = 100


class JsonBodyError(ServiceError, ValueError):
    """A request body that is not JSON this service reads (answered 400 `invalid_json`)."""

    code = "invalid_json"


def loads_bounded(raw: bytes | str) -> Any:
    """Decode a JSON body: strict UTF-8, nesting at most MAX_DEPTH, integers of at most MAX_INT_DIGITS digits.

    NaN and Infinity are refused too: they are not JSON, and PostgreSQL's json type would refuse them later.
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
