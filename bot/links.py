"""Signed links in what the desk sends (unsubscribe, "is everything working?"): an opaque token naming what
it is for, the thing it acts on and when it expires, under an HMAC of LINK_SECRET. Nothing readable about the
customer is in the URL; a forged, altered, expired or misdirected token is refused."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import datetime

from intake.domain import require_aware

_SIGNATURE_BYTES = 20
MAX_TOKEN_CHARS = 200  # a token longer than any we make is refused before any work


class BadLinkError(Exception):
    """The token is not one of ours, is for something else, or has expired."""


def make_token(*, secret: str, purpose: str, subject: str, expires: datetime) -> str:
    """A token for `purpose` (e.g. "unsubscribe") acting on `subject` (an id) until `expires`."""
    body = json.dumps([purpose, subject, int(require_aware(expires, "expires").timestamp())], separators=(",", ":"))
    raw = body.encode()
    return _b64(raw) + "." + _b64(_mac(secret, raw))


def read_token(token: str, *, secret: str, purpose: str, now: datetime) -> str:
    """The subject `token` acts on; raise BadLinkError unless it is ours, for `purpose`, and current."""
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise BadLinkError("not a link token")
    body_part, mac_part = token.split(".")
    try:
        raw, mac = _unb64(body_part), _unb64(mac_part)
    except (binascii.Error, ValueError) as exc:
        raise BadLinkError("not a link token") from exc
    if not hmac.compare_digest(mac, _mac(secret, raw)):
        raise BadLinkError("the link's signature does not match")
    try:
        token_purpose, subject, expires = json.loads(raw)
    except (ValueError, TypeError) as exc:
        raise BadLinkError("not a link token") from exc
    if token_purpose != purpose or not isinstance(subject, str) or not isinstance(expires, int):
        raise BadLinkError("the link is for something else")
    if require_aware(now, "now").timestamp() >= expires:
        raise BadLinkError("the link has expired")
    return subject


def _mac(secret: str, raw: bytes) -> bytes:
    return hmac.new(secret.encode(), raw, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
