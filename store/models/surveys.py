"""The eXceed survey: one survey per closed case with its tries and answers, the support manager's follow-up
tasks, and the customers who said STOP."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from store.models.base import instant_field, text_field


class SurveyStatus(StrEnum):
    """Where a survey stands."""

    SCHEDULED = "scheduled"  # waiting for its call slot (due_at)
    CALLING = "calling"  # a call was placed (or is being placed, under a lease until due_at)
    LINK_SENT = "link_sent"  # the calls went unanswered: the customer has the web form's link
    ANSWERED = "answered"
    SKIPPED = "skipped"  # reopened, opted out, no way to reach the customer, or the window passed


class SurveyChannel(StrEnum):
    """How the customer answered."""

    PHONE = "phone"
    WEB = "web"


class SurveyBase(SQLModel):
    """Fields of a survey shared by the table and its read model; the case's severity, agent and account are
    copied at closure so results can be read per each without the case's later life."""

    case_id: int = Field(foreign_key="cases.id", ondelete="CASCADE", unique=True)
    case_number: str = Field(max_length=16)
    k_number: str = Field(max_length=32, index=True)
    severity: int
    agent: str = Field(default="", max_length=100, index=True)  # who resolved (or closed) the case
    status: str = Field(default=SurveyStatus.SCHEDULED.value, max_length=16)
    closed_at: datetime = instant_field()
    tries: int = 0  # calls placed
    phone: str = Field(default="", max_length=20)  # the number called (E.164)
    call_sid: str | None = Field(default=None, max_length=64, index=True)
    channel: str | None = Field(default=None, max_length=8)
    nps: int | None = None
    csat: int | None = None
    comment: str = text_field()
    recording_url: str | None = Field(default=None, max_length=500)
    recording_sid: str | None = Field(default=None, max_length=64)
    answered_at: datetime | None = instant_field(nullable=True)
    link_expires_at: datetime | None = instant_field(nullable=True)
    skip_reason: str | None = Field(default=None, max_length=32)
    created_at: datetime = instant_field()
    updated_at: datetime = instant_field()


class Survey(SurveyBase, table=True):
    """A case's survey; `due_at` is when the scheduler must next act on it (None: nothing left to do)."""

    __tablename__ = "surveys"

    id: int | None = Field(default=None, primary_key=True)
    due_at: datetime | None = instant_field(nullable=True, index=True)
    # SHA-256 of the web form's single-use secret (the link itself is never stored); cleared once used.
    token_hash: str | None = Field(default=None, max_length=64, unique=True)


class SurveyPublic(SurveyBase):
    """Read model of a survey (without its token)."""

    id: int
    due_at: datetime | None = None


class FollowUpStatus(StrEnum):
    """A follow-up task's state."""

    OPEN = "open"
    DONE = "done"


class SurveyFollowUpBase(SQLModel):
    """Fields of a follow-up task shared by the table and its read model."""

    survey_id: int = Field(foreign_key="surveys.id", ondelete="CASCADE", unique=True)
    case_number: str = Field(max_length=16)
    k_number: str = Field(max_length=32)
    reason: str = Field(max_length=32)  # "detractor" or "would_not_recommend"
    status: str = Field(default=FollowUpStatus.OPEN.value, max_length=8, index=True)
    created_at: datetime = instant_field()
    done_at: datetime | None = instant_field(nullable=True)
    done_by: str | None = Field(default=None, max_length=100)
    note: str = text_field()


class SurveyFollowUp(SurveyFollowUpBase, table=True):
    """A task for the support manager: contact an unhappy customer before anyone else does (one per survey)."""

    __tablename__ = "survey_follow_ups"

    id: int | None = Field(default=None, primary_key=True)


class SurveyFollowUpPublic(SurveyFollowUpBase):
    """Read model of a follow-up task."""

    id: int


class SurveyOptOut(SQLModel, table=True):
    """A customer who asked for no surveys: a whole account (`account:K123`) or a phone (`phone:+1...`)."""

    __tablename__ = "survey_opt_outs"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    created_at: datetime = instant_field()
