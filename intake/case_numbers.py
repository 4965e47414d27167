"""Case numbers "YYMM-NNNN": how they are made, found in what a customer types, and keyed in on the phone.

The sequence restarts every UTC month and widens past 9999 (`2611-10000`), so every reader accepts the
widest number the writer can issue: one definition here, used by the store, the dialogue and the keypad.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from intake.domain import require_aware

MONTH_DIGITS = 4
MIN_SEQUENCE_DIGITS = 4
MAX_SEQUENCE_DIGITS = 6
MAX_SEQUENCE = 10**MAX_SEQUENCE_DIGITS - 1
# The most digits a caller keys in for a case number (they finish shorter ones with pound).
KEYPAD_MAX_DIGITS = MONTH_DIGITS + MAX_SEQUENCE_DIGITS
EXAMPLE = "2611-0042"

# Possessive `\s*+`: a long run of spaces is not split every way between the two of them.
_PARTS = rf"(\d{{{MONTH_DIGITS}}})\s*+-?\s*+(\d{{{MIN_SEQUENCE_DIGITS},{MAX_SEQUENCE_DIGITS}}})"
_WHOLE = re.compile(_PARTS)
_INSIDE = re.compile(rf"(?<![\dA-Za-z]){_PARTS}(?!\d)")


class CaseNumberError(ValueError):
    """A sequence number that no case number can carry."""


def month_of(created_at: datetime) -> str:
    """The "YYMM" a case created at `created_at` is numbered in (the UTC month)."""
    return f"{require_aware(created_at, 'created_at').astimezone(UTC):%y%m}"


def format_case_number(created_at: datetime, seq: int) -> str:
    """The case number "YYMM-NNNN" of the `seq`-th case of the UTC month (widens past 9999)."""
    if not 1 <= seq <= MAX_SEQUENCE:
        # A number the dialogue could not read back would make the case impossible to look up.
        raise CaseNumberError(f"case sequence {seq} is outside 1..{MAX_SEQUENCE}")
    return f"{month_of(created_at)}-{seq:0{MIN_SEQUENCE_DIGITS}d}"


def parse_case_number(raw: str) -> str | None:
    """The canonical number of a whole entry ("2611 0042", "26110042", "2611-10000"), or None."""
    match = _WHOLE.fullmatch(raw.strip().strip("#*").strip())
    return _canonical(match) if match else None


def case_number_in(text: str) -> str | None:
    """The first case number written or keyed anywhere in `text`, canonical, or None."""
    match = _INSIDE.search(text)
    return _canonical(match) if match else None


def _canonical(match: re.Match[str]) -> str:
    # Extra leading zeros ("2611-00042") name the same case as the number issued ("2611-0042").
    return f"{match.group(1)}-{int(match.group(2)):0{MIN_SEQUENCE_DIGITS}d}"
