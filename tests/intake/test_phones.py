"""Phone numbers: one rule (valid, not merely possible) and one stored form (E.164)."""

from __future__ import annotations

import pytest

from intake.phones import InvalidPhoneError, to_e164


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+1 617 253 1000", "+16172531000"),
        ("(617) 253-1000", "+16172531000"),
        ("617.253.1000", "+16172531000"),
        ("+44 20 7946 0958", "+442079460958"),
        ("(800) 555-0199", "+18005550199"),
    ],
)
def test_phones_are_normalised_to_e164(raw: str, e164: str) -> None:
    assert to_e164(raw) == e164


def test_a_national_number_is_read_in_the_region_given() -> None:
    assert to_e164("020 7946 0958", "GB") == "+442079460958"


# "+1 555 123 4567" has a possible length but no such area code: the settings used to take it.
@pytest.mark.parametrize("raw", ["555-1234", "12345", "call me", "", "+1 555 123 4567", "Anonymous"])
def test_bad_phones_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhoneError):
        to_e164(raw)
