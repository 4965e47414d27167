"""The eXceed survey as pure rules: when a closed case's survey is due, when the customer may be called (their
local daytime), what the keypad and the form may answer, the NPS class, and which answers need the manager.

No clock is read here: every function takes the instant. A survey is due from `delay` after the case closed
until `window` after it; never for a case that was reopened, nor for one closed by the desk because the
customer fell silent (closing on silence is not the customer's verdict on the work; Chatwoot #4003).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from intake.domain import CaseStatus, IntakeError, require_aware
from intake.schedule import WeeklySchedule

NPS_RANGE = range(0, 11)
CSAT_RANGE = range(1, 6)
MAX_COMMENT_CHARS = 2000
# The closers that are not a person concluding the work: a case closed by them gets no survey.
SILENCE_CLOSERS = frozenset({"auto_close", "auto-close", "autoclose", "system:silence"})


class InvalidAnswerError(IntakeError, ValueError):
    """A survey answer outside its scale, or a comment too long."""


class NpsClass(StrEnum):
    """The Net Promoter class of a 0-10 score."""

    DETRACTOR = "detractor"  # 0-6
    PASSIVE = "passive"  # 7-8
    PROMOTER = "promoter"  # 9-10


class Eligibility(StrEnum):
    """Whether a survey may go out now, or why not."""

    DUE = "due"
    NOT_YET = "not_yet"  # closed less than `delay` ago
    EXPIRED = "expired"  # the window after closure has passed
    NOT_CLOSED = "not_closed"  # resolved but not closed yet, or reopened and open again
    REOPENED = "reopened"  # it was closed once and opened again: its first closure was not the end
    CLOSED_ON_SILENCE = "closed_on_silence"
    OPTED_OUT = "opted_out"


@dataclass(frozen=True)
class SurveyPolicy:
    """How long after closure, for how long, when in the customer's day, and how often to try by phone."""

    delay: timedelta = timedelta(days=1)
    window: timedelta = timedelta(days=10)
    days: frozenset[int] = field(default_factory=lambda: frozenset(range(5)))  # 0 = Monday
    opens: time = time(10, 0)
    closes: time = time(17, 0)
    call_tries: int = 2
    retry_gap: timedelta = timedelta(hours=4)
    link_ttl: timedelta = timedelta(days=14)

    def __post_init__(self) -> None:
        if self.delay < timedelta(0) or self.window <= self.delay:
            raise ValueError("the survey window must end after its delay")
        if self.call_tries < 1:
            raise ValueError("a survey needs at least one call try")
        WeeklySchedule(tz=ZoneInfo("UTC"), days=self.days, opens=self.opens, closes=self.closes)  # validates

    def daytime(self, zone: ZoneInfo) -> WeeklySchedule:
        """The customer's calling hours in their own zone."""
        return WeeklySchedule(tz=zone, days=self.days, opens=self.opens, closes=self.closes)


@dataclass(frozen=True)
class ClosedCase:
    """What the rules need to know about a case: its status now, when and by whom it was last closed, and
    whether it was ever opened again after a closure."""

    status: CaseStatus
    closed_at: datetime | None
    closed_by: str = ""
    reopened: bool = False


def eligibility(policy: SurveyPolicy, case: ClosedCase, now: datetime, *, opted_out: bool = False) -> Eligibility:
    """Whether the survey of `case` may be sent at `now` (checked when scheduled and again at send time)."""
    require_aware(now, "now")
    if opted_out:
        return Eligibility.OPTED_OUT
    if case.reopened:
        return Eligibility.REOPENED
    if case.status is not CaseStatus.CLOSED or case.closed_at is None:
        return Eligibility.NOT_CLOSED
    if case.closed_by.strip().lower() in SILENCE_CLOSERS:
        return Eligibility.CLOSED_ON_SILENCE
    closed = require_aware(case.closed_at, "closed_at")
    if now < closed + policy.delay:
        return Eligibility.NOT_YET
    if now >= closed + policy.window:
        return Eligibility.EXPIRED
    return Eligibility.DUE


def first_try_at(policy: SurveyPolicy, closed_at: datetime, zone: ZoneInfo) -> datetime | None:
    """The first instant the survey call may ring: `delay` after closure, in the customer's daytime; None
    when no daytime slot falls inside the window."""
    return call_slot(policy, require_aware(closed_at, "closed_at") + policy.delay, closed_at, zone)


def call_slot(policy: SurveyPolicy, earliest: datetime, closed_at: datetime, zone: ZoneInfo) -> datetime | None:
    """The first instant at or after `earliest` inside the customer's daytime and the window, or None."""
    daytime = policy.daytime(zone)
    at = require_aware(earliest, "earliest")
    slot = at if daytime.is_open(at) else daytime.next_open(at)
    return slot if slot < require_aware(closed_at, "closed_at") + policy.window else None


def retry_at(policy: SurveyPolicy, tries: int, after: datetime, closed_at: datetime, zone: ZoneInfo) -> datetime | None:
    """When to ring again after `tries` unanswered calls ending at `after`; None: fall back to the link."""
    if tries >= policy.call_tries:
        return None
    return call_slot(policy, require_aware(after, "after") + policy.retry_gap, closed_at, zone)


def parse_nps(digits: str) -> int:
    """The 0-10 score from keypad digits ("0".."9", "10"; a trailing # is Twilio's, already gone)."""
    return _score(digits, NPS_RANGE, "how likely to recommend")


def parse_csat(digits: str) -> int:
    """The 1-5 satisfaction from a keypad digit."""
    return _score(digits, CSAT_RANGE, "satisfaction")


def _score(raw: str, scale: range, what: str) -> int:
    text = raw.strip()
    # "07" is not a score a customer means: one or two digits, no leading zero but "0" itself.
    if not re.fullmatch(r"0|[1-9][0-9]?", text) or int(text) not in scale:
        raise InvalidAnswerError(f"{what} must be a whole number from {scale.start} to {scale.stop - 1}")
    return int(text)


def clean_comment(text: str) -> str:
    """A written comment, trimmed; refused when longer than MAX_COMMENT_CHARS."""
    comment = text.strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise InvalidAnswerError(f"the comment must be at most {MAX_COMMENT_CHARS} characters")
    return comment


def nps_class(score: int) -> NpsClass:
    """0-6 detractor, 7-8 passive, 9-10 promoter."""
    if score not in NPS_RANGE:
        raise InvalidAnswerError("a recommendation score is 0 to 10")
    if score <= 6:
        return NpsClass.DETRACTOR
    return NpsClass.PASSIVE if score <= 8 else NpsClass.PROMOTER


# "would not recommend", "wouldn't recommend", "won't recommend", "never recommend", "do not recommend", ...
_WOULD_NOT = re.compile(
    r"\b(?:(?:would|will|could|do|does|did|can)\s*(?:not|n['\u2019]?t)|wouldn['\u2019]?t|won['\u2019]?t|don['\u2019]?t|can['\u2019]?t"
    r"|never|not)\s+(?:\w+\s+){0,2}recommend",
    re.IGNORECASE,
)


def says_would_not_recommend(comment: str) -> bool:
    """True when a written comment says the customer would not recommend us."""
    return bool(_WOULD_NOT.search(comment))


def needs_follow_up(*, nps: int | None, comment: str = "") -> bool:
    """A detractor's score (0-6), or a comment saying they would not recommend us: the manager calls first."""
    detractor = nps is not None and nps_class(nps) is NpsClass.DETRACTOR
    return detractor or says_would_not_recommend(comment)
