"""Agents' secrets: argon2id password hashes, random tokens and their digests, and checking a name and password."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.agents.errors import InvalidPasswordError
from store.agents import Credentials, InvalidAgentError, canonical_agent_name, get_credentials
from store.db import SessionMaker, read_session

MIN_PASSWORD_LENGTH = 12
# Argon2 takes any length, but hashing megabytes on request is a free denial of service.
MAX_PASSWORD_LENGTH = 1024
MAX_SECRET_LENGTH = 200

# Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile: 64 MiB, 3 passes).
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Return whether `password` matches the argon2 hash (False for a malformed hash)."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(password_hash)


def new_secret() -> str:
    """Return 32 random bytes, URL-safe: API tokens, session secrets and CSRF tokens."""
    return secrets.token_urlsafe(32)


def new_one_time_password() -> str:
    """Return a random one-time password (16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


def secret_digest(secret: str) -> str:
    """Return the sha256 hex digest under which a token or session secret is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


@functools.cache
def _decoy_hash(hasher: PasswordHasher) -> str:
    # Verified against when the name is unknown, so a wrong name costs as much time as a wrong password.
    return hasher.hash(secrets.token_urlsafe(16))


def password_problem(password: str) -> InvalidPasswordError | None:
    """Return why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return InvalidPasswordError(
            f"choose a password of at least {MIN_PASSWORD_LENGTH} characters",
            sentence=f"Please choose a password of at least {MIN_PASSWORD_LENGTH} characters.",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return InvalidPasswordError(
            f"choose a password of at most {MAX_PASSWORD_LENGTH} characters",
            sentence=f"Please choose a password of at most {MAX_PASSWORD_LENGTH} characters.",
        )
    return None


async def check_credentials(sessions: SessionMaker, name: str, password: str) -> Credentials | None:
    """Return the agent's credentials if `password` is theirs, else None; as slow for an unknown name."""
    credentials = None
    try:
        canonical_agent_name(name)
    except InvalidAgentError:
        pass
    else:
        async with read_session(sessions) as session:
            credentials = await get_credentials(session, name=name)
    candidate = credentials.password_hash if credentials is not None else _decoy_hash(_HASHER)
    # Argon2 is deliberately slow: keep it off the event loop.
    matches = len(password) <= MAX_PASSWORD_LENGTH and await asyncio.to_thread(verify_password, candidate, password)
    return credentials if matches else None
