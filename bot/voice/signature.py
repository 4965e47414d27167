"""Twilio webhook verification: X-Twilio-Signature over the public URL Twilio called and the form."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from multidict import MultiDict, MultiDictProxy
from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"

Params = Mapping[str, str] | MultiDict[str] | MultiDictProxy[str]


class Verdict(Enum):
    """Outcome of checking one webhook."""

    VALID = "valid"
    NOT_CONFIGURED = "not_configured"  # no auth token: refuse rather than run unchecked
    MISSING = "missing"
    INVALID = "invalid"


def public_url(public_base_url: str, raw_path_and_query: str) -> str:
    """Return the URL Twilio signed: the public base plus the path and query exactly as requested."""
    # Behind a proxy the request URL is internal (http://127.0.0.1:3978/...); Twilio signed the public one.
    return public_base_url.rstrip("/") + raw_path_and_query


def verify(*, auth_token: str | None, url: str, params: Params, signature: str | None) -> Verdict:
    """Check a webhook's signature with twilio's own RequestValidator (constant-time compare)."""
    if not auth_token:
        return Verdict.NOT_CONFIGURED
    if not signature:
        return Verdict.MISSING
    if RequestValidator(auth_token).validate(url, params, signature):
        return Verdict.VALID
    return Verdict.INVALID


def sign(*, auth_token: str, url: str, params: Params) -> str:
    """Compute the signature Twilio would send for `url` and `params` (simulator, tests, bench)."""
    return str(RequestValidator(auth_token).compute_signature(url, params))
