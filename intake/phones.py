"""Phone numbers: one rule for what a valid number is, and its one stored form (E.164)."""

from __future__ import annotations

import phonenumbers

from intake.domain import IntakeError

DEFAULT_REGION = "US"


class InvalidPhoneError(IntakeError, ValueError):
    """Text that is not a valid phone number (unreadable, or a number no carrier could assign)."""


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str:
    """Return `raw` (E.164, or a national number of `region`) as E.164; raise InvalidPhoneError.

    Valid, not merely possible: `+1 555 123 4567` has the right length but no such area code exists, so a
    setting, an imported caller ID and an incoming caller all refuse it alike.
    """
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneError(f"cannot read phone number {raw!r}: {error}") from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneError(f"not a valid phone number: {raw!r}")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
