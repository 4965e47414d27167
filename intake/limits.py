"""How much of the customer's text the dialogue reads and keeps: the bound on the work one message causes."""

from __future__ import annotations

from dataclasses import dataclass

from intake.domain import IntakeError

__all__ = ["TextLimits", "TextLimitsError", "read_part", "shortened"]


class TextLimitsError(IntakeError, ValueError):
    """A text limit is out of range; the message says the accepted one."""


@dataclass(frozen=True)
class TextLimits:
    """Characters of one message the dialogue reads, of a description triage reads, and kept on a case.

    Reading (commands, the K#, triage) costs time in proportion to the text and runs on the turn's
    event loop, so it is bounded; what a customer wrote beyond it is still kept for the case, up to
    `kept` characters a conversation (the default takes a whole message at the 256 KiB body limit).
    """

    message: int = 2_000
    description: int = 4_000
    kept: int = 262_144

    def __post_init__(self) -> None:
        if not 100 <= self.message <= 262_144:
            raise TextLimitsError("the characters read of one message must be between 100 and 262144")
        if not 100 <= self.description <= 262_144:
            raise TextLimitsError("the characters read of a description must be between 100 and 262144")
        if not max(self.message, self.description) <= self.kept <= 4_194_304:
            raise TextLimitsError("the characters kept on a case must be at least those read, and at most 4194304")


def read_part(text: str, limit: int) -> tuple[str, str]:
    """`text` split into what is read (at most `limit` characters) and the rest, never inside a word.

    A word or number cut in two would read as another one: "K1234567" cut after "K1234" is a K#.
    """
    if len(text) <= limit:
        return text, ""
    end = limit
    while end > 0 and text[end - 1].isalnum() and text[end].isalnum():
        end -= 1
    return text[:end], text[end:]


def shortened(text: str, limit: int) -> str:
    """`text` if it has at most `limit` characters, else its start and an ellipsis, `limit` characters at most."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "\u2026"
