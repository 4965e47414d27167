"""Direct Line tokens: HS256-signed JSON claims bound to one conversation, with an expiry and a scope."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.directline.errors import TokenExpiredError, TokenInvalidError

# The JWT shape (header.payload.signature) is what Web Chat expects: it decodes the payload to read `user`.
_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode("ascii")
_ISSUER = "support-intake/directline"
# Far above a real token; refusing longer input before any decoding bounds the work an attacker can cause.
MAX_TOKEN_LENGTH = 2048


class Scope(StrEnum):
    """What a token may be used for."""

    # Post and read activities, open streams, refresh.
    CONVERSATION = "conversation"
    # Only open the WebSocket stream: the one token that travels in a URL (?t=), so it is read-only.
    STREAM = "stream"


@dataclass(frozen=True, kw_only=True)
class TokenClaims:
    """The verified content of a token."""

    conversation_id: str
    user_id: str
    scope: Scope
    issued_at: datetime
    expires_at: datetime


def signing_key(secret: str) -> bytes:
    """Derive the token-signing key from the gateway secret (kept apart from its use as a bearer secret)."""
    return hmac.new(secret.encode("utf-8"), b"support-intake directline token v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, signing_input: str) -> str:
    return _b64(hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest())


def issue_token(*, key: bytes, conversation_id: str, user_id: str, scope: Scope, now: datetime, ttl: timedelta) -> str:
    """Return a signed token for `conversation_id` valid from `now` for `ttl`."""
    issued = int(now.astimezone(UTC).timestamp())
    payload: dict[str, Any] = {
        "iss": _ISSUER,
        "conv": conversation_id,
        "user": user_id,
        "scope": scope.value,
        "iat": issued,
        "exp": issued + max(1, int(ttl.total_seconds())),
        # Two tokens issued in the same second (a quick refresh) still differ.
        "jti": secrets.token_urlsafe(9),
    }
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    signing_input = f"{_HEADER}.{body}"
    return f"{signing_input}.{_sign(key, signing_input)}"


def verify_token(token: str, *, key: bytes, now: datetime) -> TokenClaims:
    """Return the claims of `token`; raise TokenInvalidError or TokenExpiredError."""
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise TokenInvalidError("the token is malformed")
    parts = token.split(".")
    # The header is fixed: accepting another `alg` is how JWT verifiers get fooled.
    if len(parts) != 3 or not hmac.compare_digest(parts[0], _HEADER):
        raise TokenInvalidError("the token is malformed")
    expected = _sign(key, f"{parts[0]}.{parts[1]}")
    if not hmac.compare_digest(expected, parts[2]):
        raise TokenInvalidError("the token signature does not verify")
    try:
        payload = json.loads(_unb64(parts[1]))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise TokenInvalidError("the token payload is malformed") from exc
    claims = _claims(payload)
    if now >= claims.expires_at:
        raise TokenExpiredError("the token has expired")
    return claims


def _claims(payload: object) -> TokenClaims:
    if not isinstance(payload, dict) or payload.get("iss") != _ISSUER:
        raise TokenInvalidError("the token payload is malformed")
    conversation_id, user_id = payload.get("conv"), payload.get("user")
    issued, expires, scope = payload.get("iat"), payload.get("exp"), payload.get("scope")
    if not (isinstance(conversation_id, str) and isinstance(user_id, str)):
        raise TokenInvalidError("the token payload is malformed")
    if not (isinstance(issued, int) and isinstance(expires, int)) or scope not in {s.value for s in Scope}:
        raise TokenInvalidError("the token payload is malformed")
    return TokenClaims(
        conversation_id=conversation_id,
        user_id=user_id,
        scope=Scope(scope),
        issued_at=datetime.fromtimestamp(issued, UTC),
        expires_at=datetime.fromtimestamp(expires, UTC),
    )
