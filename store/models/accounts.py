"""Customer accounts: the K# and the caller-ID numbers that identify them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from intake.availability import Commitment
from store.models.base import instant_field, text_field


class NotifyBy(StrEnum):
    """How an account's contacts hear about their cases."""

    EMAIL = "email"
    SMS = "sms"  # texts to the account's phone numbers


class AccountBase(SQLModel):
    """Fields of a customer account, identified by its K#."""

    k_number: str = Field(max_length=32, unique=True, index=True)
    name: str = ""
    notes: str = text_field()
    # Contact addresses for notices about the account's cases (confirmation, updates, resolution, ...).
    emails: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # IANA zone the contacts read times in; empty: the desk's (CHAT_TIMEZONE).
    timezone: str = Field(default="", max_length=64)
    notify_by: str = Field(default=NotifyBy.EMAIL.value, max_length=8)
    # The contacts asked for essential notices only (Sev1 news, confirmation, resolution, maintenance).
    unsubscribed_at: datetime | None = instant_field(nullable=True)
    # The availability commitment its downtime is measured against (a Commitment value).
    commitment: str = Field(default=Commitment.SINGLE.value, max_length=16)


class Account(AccountBase, table=True):
    """A customer account."""

    __tablename__ = "accounts"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = instant_field()
    updated_at: datetime = instant_field()


class AccountPhone(SQLModel, table=True):
    """A caller-ID number (E.164) of an account; one number may serve several accounts."""

    __tablename__ = "account_phones"
    __table_args__ = (UniqueConstraint("account_id", "e164"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="accounts.id", ondelete="CASCADE", index=True)
    e164: str = Field(max_length=20, index=True)


class AccountPublic(AccountBase):
    """Read model of an account with its caller-ID numbers."""

    id: int
    phones: list[str]
    created_at: datetime
    updated_at: datetime
