"""Logging failures without what callers said or their numbers."""

from __future__ import annotations

import traceback


def describe_error(error: BaseException) -> str:
    """Return the exception's type and stack frames, without its message (which may quote caller data)."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    return f"{type(error).__name__}\n{frames}".rstrip()
