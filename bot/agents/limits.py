"""How many wrong passwords sign-in takes: per name and address, per address, and per name from anywhere.

A name is locked only for the address its failures came from, so nobody can lock an agent out by
guessing from elsewhere. Guessing from many addresses meets a slower limit per name: with it an agent
is locked out for everyone only by someone guessing from several addresses at once, and even then
online guessing stays at a few dozen tries an hour. Each attempt is reserved before its password is
hashed (store.throttle), so concurrent guesses cannot slip past the count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.engine import Connection
from sqlmodel.ext.asyncio.session import AsyncSession

from store import throttle
from store.db import SessionMaker
from store.throttle import Limit, ThrottledError, ThrottleKey

# A name from one address: five tries in 15 minutes (429 with Retry-After until the window ends).
PAIR_LIMIT = Limit("sign-in", 5, timedelta(minutes=15))
# One address, any names: a whole office may sign in from behind one NAT address.
ADDRESS_LIMIT = Limit("sign-in-address", 20, timedelta(minutes=15))
# One name, any addresses: the slower backoff against guessing spread over many addresses.
NAME_LIMIT = Limit("sign-in-name", 50, timedelta(hours=1))


@dataclass(frozen=True)
class SignInKeys:
    """The counters one sign-in attempt is held to."""

    pair: ThrottleKey
    address: ThrottleKey
    name: ThrottleKey

    @property
    def all(self) -> tuple[ThrottleKey, ...]:
        return (self.pair, self.address, self.name)


def sign_in_keys(name: str, address: str | None) -> SignInKeys:
    """The counters of `name` (as typed: case and spaces do not matter) signing in from `address`."""
    canonical = name.strip().lower()[:100]
    where = address or "unknown"
    return SignInKeys(
        pair=PAIR_LIMIT.key(canonical, where), address=ADDRESS_LIMIT.key(where), name=NAME_LIMIT.key(canonical)
    )


async def reserve_attempt(sessions: SessionMaker, keys: SignInKeys, now: datetime) -> int | None:
    """Count an attempt before its password is checked; the seconds to wait when none is left, else None."""
    try:
        async with sessions() as session, session.begin():
            conn = await session.connection()
            await conn.run_sync(partial(throttle.reserve, keys=keys.all, at=now))
    except ThrottledError as exc:
        return max(1, math.ceil(exc.retry_after.total_seconds()))
    return None


async def attempt_succeeded(session: AsyncSession, keys: SignInKeys, now: datetime) -> None:
    """In the sign-in's transaction: forget the name's failures from this address, and give back the
    attempt reserved on the wider counters (their other failures stay counted)."""
    conn = await session.connection()
    await conn.run_sync(partial(_succeeded, keys=keys, at=now))


def _succeeded(conn: Connection, *, keys: SignInKeys, at: datetime) -> None:
    throttle.clear(conn, keys=[keys.pair])
    throttle.release(conn, keys=[keys.address, keys.name], at=at)


async def prune(sessions: SessionMaker, now: datetime) -> None:
    """Delete counters whose windows have passed (a transaction of its own; see store.throttle.prune)."""
    async with sessions() as session, session.begin():
        conn = await session.connection()
        await conn.run_sync(partial(throttle.prune, at=now))
