"""The phone line's rows: the TwiML answered per webhook, the calls and the on-call dial attempts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.base import UTCDateTime


class CallPhase(StrEnum):
    """Where a call stands; the transitions decide which side effects run (each exactly once)."""

    INTAKE = "intake"  # the dialogue is running
    DIALING = "dialing"  # ringing the on-call engineers
    CONNECTED = "connected"  # an engineer answered
    VOICEMAIL = "voicemail"  # nobody answered: the case is escalated, the caller may leave a message
    FINISHED = "finished"  # the dialogue ended the call itself
    ABANDONED = "abandoned"  # the caller hung up before the dialogue ended


class VoiceTurn(SQLModel, table=True):
    """The TwiML answered to one webhook of a call; `twiml` is NULL while the turn is being computed."""

    __tablename__ = "voice_turns"
    __table_args__ = (UniqueConstraint("call_sid", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    call_sid: str = Field(max_length=64)
    # "0" for the answer, "N" for the N-th <Gather> result, "dial-N", "voicemail": one per webhook kind.
    step: str = Field(max_length=32)
    twiml: str | None = Field(default=None, sa_type=Text, nullable=True)
    # Keypad digit -> answer text for the prompt this TwiML gathers (yes/no, choices); {} otherwise.
    keypad: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # When the turn was claimed: a claim still without TwiML long after this belongs to a dead process.
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class CallRecord(SQLModel, table=True):
    """One phone call to the support line."""

    __tablename__ = "voice_calls"

    call_sid: str = Field(max_length=64, primary_key=True)
    case_number: str | None = Field(default=None, max_length=16, index=True)
    from_e164: str | None = Field(default=None, max_length=20)
    status: str = Field(default=CallPhase.INTAKE.value, max_length=16)
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class DialAttempt(SQLModel, table=True):
    """One try at ringing an on-call engineer for a caller."""

    __tablename__ = "voice_dial_attempts"
    __table_args__ = (UniqueConstraint("call_sid", "attempt"),)

    id: int | None = Field(default=None, primary_key=True)
    call_sid: str = Field(max_length=64, index=True)
    case_number: str = Field(max_length=16, index=True)
    attempt: int
    number: str = Field(max_length=20)
    status: str = Field(max_length=16)  # Twilio's DialCallStatus: completed, no-answer, busy, failed, ...
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
