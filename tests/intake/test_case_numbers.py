"""Case numbers: one format and one reading, so every number issued can be typed and keyed back in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from intake import case_numbers, understanding, wording_status
from intake.case_numbers import (
    KEYPAD_MAX_DIGITS,
    MAX_SEQUENCE,
    CaseNumberError,
    case_number_in,
    format_case_number,
    parse_case_number,
)

T0 = datetime(2026, 11, 24, 15, tzinfo=UTC)


@pytest.mark.parametrize("seq", [1, 42, 9999, 10000, 123456, MAX_SEQUENCE])
def test_every_number_issued_is_read_back_typed_and_keyed(seq: int) -> None:
    number = format_case_number(T0, seq)
    digits = number.replace("-", "")
    assert parse_case_number(number) == number
    assert case_number_in(f"any news on case {number}?") == number
    assert understanding.case_number_in(f"status of {number} please") == number
    assert len(digits) <= KEYPAD_MAX_DIGITS
    assert parse_case_number(digits) == number and understanding.case_number_in(digits) == number


def test_the_ten_thousandth_case_of_a_month_widens() -> None:
    assert format_case_number(T0, 9999) == "2611-9999"
    assert format_case_number(T0, 10000) == "2611-10000"
    assert understanding.case_number_in("261110000") == "2611-10000"


@pytest.mark.parametrize("seq", [0, -1, MAX_SEQUENCE + 1])
def test_no_number_is_issued_that_could_not_be_read_back(seq: int) -> None:
    with pytest.raises(CaseNumberError):
        format_case_number(T0, seq)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("2611-0042", "2611-0042"),
        ("2611 0042", "2611-0042"),
        ("26110042", "2611-0042"),
        ("case 2611-00042", "2611-0042"),
        ("K12345678", None),  # a K# is not a case number
        ("261100421234567", None),  # too long to be one
        ("2611-004", None),
        ("call 2611-0042.", "2611-0042"),
    ],
)
def test_case_numbers_are_found_in_text(text: str, found: str | None) -> None:
    assert case_number_in(text) == found


def test_the_phone_asks_for_as_many_digits_as_the_widest_number() -> None:
    asked = wording_status.status_ask_number(phone=True)
    assert asked.max_digits == KEYPAD_MAX_DIGITS == len(format_case_number(T0, MAX_SEQUENCE).replace("-", ""))
    assert "eight" not in asked.speak  # numbers past 9999 have more
    assert case_numbers.EXAMPLE in wording_status.status_ask_number(phone=False).text
