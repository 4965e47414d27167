"""Phone-line queries: stored TwiML per webhook (resend idempotency), calls and on-call dial attempts."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import cache, partial
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.domain import require_aware
from store.db import dialect_name, insert_for, upsert
from store.jobs import Jobs, fetch
from store.models import CallPhase, CallRecord, DialAttempt, VoiceTurn

# --- turns -----------------------------------------------------------------------------------------
#
# Every webhook claims its (call, step) and stores its TwiML: a dialogue turn does nothing else with these
# rows, so there each is a lone statement (store/jobs.py write_one: no BEGIN and COMMIT on PostgreSQL).

_TURNS: Table = VoiceTurn.__table__  # type: ignore[attr-defined]
# (In an UPDATE's WHERE a parameter may not share a column's name.)
_COMPLETE = (
    sa_update(_TURNS)
    .where(_TURNS.c.call_sid == bindparam("the_call"), _TURNS.c.step == bindparam("the_step"))
    .values(twiml=bindparam("twiml"), keypad=bindparam("keypad"))
)


@cache
def _claim(dialect: str) -> postgresql.Insert | sqlite.Insert:
    return (
        insert_for(dialect, VoiceTurn)
        .values(
            call_sid=bindparam("call_sid"), step=bindparam("step"), twiml=None, keypad=None, created_at=bindparam("now")
        )
        .on_conflict_do_nothing(index_elements=["call_sid", "step"])
    )


def _claim_params(call_sid: str, step: str, now: datetime) -> dict[str, Any]:
    return {"call_sid": call_sid, "step": step, "now": require_aware(now)}


async def claim_turn(session: AsyncSession, *, call_sid: str, step: str, now: datetime) -> bool:
    """Reserve (call_sid, step) for this process; False when another request already holds it."""
    conn = await session.connection()
    result = await conn.execute(_claim(dialect_name(session)), _claim_params(call_sid, step, now))
    return result.rowcount == 1


async def claim_turn_alone(jobs: Jobs, *, call_sid: str, step: str, now: datetime) -> bool:
    """claim_turn as a write of its own."""
    return await jobs.write_one(_claim(jobs.dialect), _claim_params(call_sid, step, now)) == 1


async def take_over_turn(
    session: AsyncSession, *, call_sid: str, step: str, claimed_before: datetime, now: datetime
) -> bool:
    """Take an unfinished claim made before `claimed_before` (its process died); False if it is not one."""
    result: Any = await session.exec(
        sa_update(VoiceTurn)
        .where(col(VoiceTurn.call_sid) == call_sid, col(VoiceTurn.step) == step)
        .where(col(VoiceTurn.twiml).is_(None), col(VoiceTurn.created_at) < require_aware(claimed_before))
        .values(created_at=require_aware(now))
    )
    return bool(result.rowcount == 1)


async def get_turn(session: AsyncSession, *, call_sid: str, step: str) -> VoiceTurn | None:
    """Return the stored turn (its TwiML may still be NULL: being computed)."""
    result = await session.exec(select(VoiceTurn).where(VoiceTurn.call_sid == call_sid, VoiceTurn.step == step))
    return result.first()


def _complete_params(call_sid: str, step: str, twiml: str, keypad: dict[str, str]) -> dict[str, Any]:
    return {"the_call": call_sid, "the_step": step, "twiml": twiml, "keypad": keypad}


async def complete_turn(session: AsyncSession, *, call_sid: str, step: str, twiml: str, keypad: dict[str, str]) -> None:
    """Store the TwiML of a claimed turn."""
    conn = await session.connection()
    await conn.execute(_COMPLETE, _complete_params(call_sid, step, twiml, keypad))


async def complete_turn_alone(jobs: Jobs, *, call_sid: str, step: str, twiml: str, keypad: dict[str, str]) -> None:
    """complete_turn as a write of its own."""
    await jobs.write_one(_COMPLETE, _complete_params(call_sid, step, twiml, keypad))


async def release_turn(session: AsyncSession, *, call_sid: str, step: str) -> None:
    """Drop an unfinished claim, so that Twilio's retry of the webhook can run the turn."""
    turn = await get_turn(session, call_sid=call_sid, step=step)
    if turn is not None and turn.twiml is None:
        await session.delete(turn)


_KEYPAD = sa_select(_TURNS.c.keypad).where(
    _TURNS.c.call_sid == bindparam("call_sid"), _TURNS.c.step == bindparam("step")
)


async def previous_keypad(jobs: Jobs, *, call_sid: str, step: int) -> dict[str, str]:
    """Return the keypad map of the prompt that led to gather `step` (the TwiML of step - 1)."""
    rows = await jobs.read(partial(fetch, statement=_KEYPAD, params={"call_sid": call_sid, "step": str(step - 1)}))
    return dict(rows[0][0] or {}) if rows else {}


# --- calls -----------------------------------------------------------------------------------------


async def start_call(session: AsyncSession, *, call_sid: str, from_e164: str | None, now: datetime) -> None:
    """Record a call when it is answered (a resent answer webhook changes nothing)."""
    await session.exec(
        upsert(session, CallRecord)
        .values(
            call_sid=call_sid,
            from_e164=from_e164,
            status=CallPhase.INTAKE.value,
            started_at=require_aware(now),
        )
        .on_conflict_do_nothing(index_elements=["call_sid"])
    )


async def get_call(session: AsyncSession, *, call_sid: str) -> CallRecord | None:
    """Return the call record, or None for a call this service never answered."""
    return await session.get(CallRecord, call_sid)


async def move_call(
    session: AsyncSession,
    *,
    call_sid: str,
    from_phases: Collection[CallPhase],
    to_phase: CallPhase,
    case_number: str | None = None,
    ended_at: datetime | None = None,
) -> bool:
    """Compare-and-set the call's phase; True only for the one request that made the move."""
    values: dict[str, Any] = {"status": to_phase.value}
    if case_number is not None:
        values["case_number"] = case_number
    if ended_at is not None:
        values["ended_at"] = require_aware(ended_at)
    result: Any = await session.exec(
        sa_update(CallRecord)
        .where(
            col(CallRecord.call_sid) == call_sid,
            col(CallRecord.status).in_([phase.value for phase in from_phases]),
        )
        .values(**values)
    )
    return bool(result.rowcount == 1)


async def end_call(session: AsyncSession, *, call_sid: str, at: datetime) -> None:
    """Stamp the end of the call (first status callback wins)."""
    await session.exec(
        sa_update(CallRecord)
        .where(col(CallRecord.call_sid) == call_sid, col(CallRecord.ended_at).is_(None))
        .values(ended_at=require_aware(at))
    )


# --- dial attempts ---------------------------------------------------------------------------------


async def record_dial_attempt(
    session: AsyncSession,
    *,
    call_sid: str,
    case_number: str,
    attempt: int,
    number: str,
    status: str,
    at: datetime,
) -> None:
    """Record the outcome of ringing one engineer (a resent dial-status keeps the first outcome)."""
    await session.exec(
        upsert(session, DialAttempt)
        .values(
            call_sid=call_sid,
            case_number=case_number,
            attempt=attempt,
            number=number,
            status=status,
            at=require_aware(at),
        )
        .on_conflict_do_nothing(index_elements=["call_sid", "attempt"])
    )


async def list_dial_attempts(session: AsyncSession, *, call_sid: str) -> list[DialAttempt]:
    """Return the call's dial attempts in the order they were made."""
    result = await session.exec(
        select(DialAttempt).where(DialAttempt.call_sid == call_sid).order_by(col(DialAttempt.attempt))
    )
    return list(result.all())
