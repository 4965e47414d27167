"""Token signing and verification: every way a token can be wrong is refused."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.directline.errors import TokenExpiredError, TokenInvalidError
from bot.directline.tokens import MAX_TOKEN_LENGTH, Scope, issue_token, signing_key, verify_token

KEY = signing_key("k" * 40)
NOW = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)


def _token(**overrides: object) -> str:
    values: dict[str, object] = {
        "key": KEY,
        "conversation_id": "conv-A",
        "user_id": "dl_alice",
        "scope": Scope.CONVERSATION,
        "now": NOW,
        "ttl": TTL,
    }
    values.update(overrides)
    return issue_token(**values)  # type: ignore[arg-type]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_round_trip_returns_the_claims() -> None:
    claims = verify_token(_token(), key=KEY, now=NOW)
    assert claims.conversation_id == "conv-A"
    assert claims.user_id == "dl_alice"
    assert claims.scope is Scope.CONVERSATION
    assert claims.expires_at == NOW + TTL


def test_payload_is_readable_as_a_jwt_with_the_user() -> None:
    # Web Chat decodes the token (jwt-decode) to find the user id.
    header, payload, _ = _token().split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    assert json.loads(base64.urlsafe_b64decode(payload + "=="))["user"] == "dl_alice"


def test_two_tokens_issued_together_differ() -> None:
    assert _token() != _token()


def test_valid_until_the_last_second_then_expired() -> None:
    token = _token()
    verify_token(token, key=KEY, now=NOW + TTL - timedelta(seconds=1))
    with pytest.raises(TokenExpiredError):
        verify_token(token, key=KEY, now=NOW + TTL)


def test_another_key_does_not_verify() -> None:
    with pytest.raises(TokenInvalidError):
        verify_token(_token(), key=signing_key("z" * 40), now=NOW)


def test_signing_key_is_not_the_secret() -> None:
    assert signing_key("k" * 40) != b"k" * 40


def test_tampered_payload_is_refused() -> None:
    header, payload, signature = _token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["conv"] = "conv-B"
    forged = _b64(json.dumps(claims).encode())
    with pytest.raises(TokenInvalidError):
        verify_token(f"{header}.{forged}.{signature}", key=KEY, now=NOW)


def test_tampered_signature_is_refused() -> None:
    header, payload, signature = _token().split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    with pytest.raises(TokenInvalidError):
        verify_token(f"{header}.{payload}.{flipped}", key=KEY, now=NOW)


def test_alg_none_is_refused() -> None:
    _, payload, _ = _token().split(".")
    header = _b64(b'{"alg":"none","typ":"JWT"}')
    with pytest.raises(TokenInvalidError):
        verify_token(f"{header}.{payload}.", key=KEY, now=NOW)


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c", "a.b.c.d", "é.é.é", "x" * (MAX_TOKEN_LENGTH + 1)],
    ids=["empty", "word", "two-parts", "three-junk", "four-parts", "non-ascii", "too-long"],
)
def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(TokenInvalidError):
        verify_token(token, key=KEY, now=NOW)


def test_signed_but_incomplete_payload_is_refused() -> None:
    # Only the key holder could make this, but a verifier must not trust shape just because of a signature.
    from bot.directline import tokens

    header = _token().split(".")[0]
    payload = _b64(json.dumps({"iss": "support-intake/directline", "conv": "c"}).encode())
    signature = tokens._sign(KEY, f"{header}.{payload}")
    with pytest.raises(TokenInvalidError):
        verify_token(f"{header}.{payload}.{signature}", key=KEY, now=NOW)
