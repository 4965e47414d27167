"""The survey's pure rules: when it is due, the customer's daytime (across DST), answers, NPS class, follow-up."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.domain import CaseStatus, NaiveDatetimeError
from intake.survey import (
    ClosedCase,
    Eligibility,
    InvalidAnswerError,
    NpsClass,
    SurveyPolicy,
    call_slot,
    clean_comment,
    eligibility,
    first_try_at,
    needs_follow_up,
    nps_class,
    parse_csat,
    parse_nps,
    retry_at,
    says_would_not_recommend,
)

POLICY = SurveyPolicy()  # a day after closure, for ten days, weekdays 10:00-17:00 local, two calls
NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
CLOSED = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # a Monday


def _closed(**kw: object) -> ClosedCase:
    values: dict[str, object] = {"status": CaseStatus.CLOSED, "closed_at": CLOSED, "closed_by": "alice"}
    values.update(kw)
    return ClosedCase(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("case", "at", "opted_out", "expected"),
    [
        (_closed(), CLOSED + timedelta(hours=23, minutes=59), False, Eligibility.NOT_YET),
        (_closed(), CLOSED + timedelta(days=1), False, Eligibility.DUE),
        (_closed(), CLOSED + timedelta(days=10) - timedelta(seconds=1), False, Eligibility.DUE),
        (_closed(), CLOSED + timedelta(days=10), False, Eligibility.EXPIRED),
        (_closed(reopened=True), CLOSED + timedelta(days=2), False, Eligibility.REOPENED),
        (_closed(status=CaseStatus.IN_PROGRESS), CLOSED + timedelta(days=2), False, Eligibility.NOT_CLOSED),
        (
            _closed(status=CaseStatus.RESOLVED, closed_at=None),
            CLOSED + timedelta(days=2),
            False,
            Eligibility.NOT_CLOSED,
        ),
        (_closed(closed_by="auto_close"), CLOSED + timedelta(days=2), False, Eligibility.CLOSED_ON_SILENCE),
        (_closed(), CLOSED + timedelta(days=2), True, Eligibility.OPTED_OUT),
    ],
)
def test_a_survey_is_due_from_the_delay_until_the_window_ends_for_a_case_closed_once(
    case: ClosedCase, at: datetime, opted_out: bool, expected: Eligibility
) -> None:
    assert eligibility(POLICY, case, at, opted_out=opted_out) is expected


def test_the_window_and_delay_are_configurable_and_checked() -> None:
    short = SurveyPolicy(delay=timedelta(hours=2), window=timedelta(days=3))
    assert eligibility(short, _closed(), CLOSED + timedelta(hours=2)) is Eligibility.DUE
    assert eligibility(short, _closed(), CLOSED + timedelta(days=3)) is Eligibility.EXPIRED
    with pytest.raises(ValueError, match="window"):
        SurveyPolicy(delay=timedelta(days=10), window=timedelta(days=10))
    with pytest.raises(NaiveDatetimeError):
        eligibility(POLICY, _closed(), datetime(2026, 11, 4, 12, 0))


@pytest.mark.parametrize(
    ("closed_at", "zone", "expected"),
    [
        # Closed Monday 10:00 New York: due Tuesday 10:00, inside the window.
        (datetime(2026, 11, 2, 10, 0, tzinfo=NY), NY, datetime(2026, 11, 3, 10, 0, tzinfo=NY)),
        # Closed Monday 18:30 New York: due Tuesday 18:30, after hours: Wednesday 10:00.
        (datetime(2026, 11, 2, 18, 30, tzinfo=NY), NY, datetime(2026, 11, 4, 10, 0, tzinfo=NY)),
        # Closed Thursday 16:00 New York: due Friday 16:00, still inside Friday's slot.
        (datetime(2026, 11, 5, 16, 0, tzinfo=NY), NY, datetime(2026, 11, 6, 16, 0, tzinfo=NY)),
        # Closed Friday 12:00: due Saturday, so Monday 10:00.
        (datetime(2026, 11, 6, 12, 0, tzinfo=NY), NY, datetime(2026, 11, 9, 10, 0, tzinfo=NY)),
        # The customer's zone decides: 15:00 UTC Monday is midnight in Tokyo; due Tuesday midnight, so 10:00.
        (datetime(2026, 11, 2, 15, 0, tzinfo=UTC), TOKYO, datetime(2026, 11, 4, 10, 0, tzinfo=TOKYO)),
        # US fall-back (Sunday 1 November 2026): closed Friday 30 October 10:30 EDT; due Saturday: Monday 10:00 EST.
        (datetime(2026, 10, 30, 10, 30, tzinfo=NY), NY, datetime(2026, 11, 2, 10, 0, tzinfo=NY)),
        # US spring-forward (Sunday 8 March 2026): closed Friday 6 March 12:00 EST: Monday 9 March 10:00 EDT.
        (datetime(2026, 3, 6, 12, 0, tzinfo=NY), NY, datetime(2026, 3, 9, 10, 0, tzinfo=NY)),
    ],
)
def test_the_first_call_rings_in_the_customer_s_local_daytime(
    closed_at: datetime, zone: ZoneInfo, expected: datetime
) -> None:
    slot = first_try_at(POLICY, closed_at, zone)
    assert slot == expected
    assert slot is not None and slot.astimezone(zone).time() >= time(10, 0)


def test_the_local_slot_across_dst_is_the_same_wall_time_a_different_utc_instant() -> None:
    before = first_try_at(POLICY, datetime(2026, 10, 29, 9, 0, tzinfo=NY), NY)  # due Friday 30 October, EDT
    after = first_try_at(POLICY, datetime(2026, 11, 1, 9, 0, tzinfo=NY), NY)  # due Monday 2 November, EST
    assert before == datetime(2026, 10, 30, 14, 0, tzinfo=UTC)  # 10:00 EDT
    assert after == datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # 10:00 EST


def test_no_slot_inside_the_window_means_no_call() -> None:
    narrow = SurveyPolicy(delay=timedelta(hours=1), window=timedelta(hours=3))
    # Closed Friday 17:30 New York: the next daytime is Monday, long after the window.
    assert first_try_at(narrow, datetime(2026, 11, 6, 17, 30, tzinfo=NY), NY) is None
    assert (
        call_slot(narrow, datetime(2026, 11, 6, 18, 0, tzinfo=NY), datetime(2026, 11, 6, 17, 30, tzinfo=NY), NY) is None
    )


def test_an_unanswered_call_is_tried_again_later_in_daytime_then_no_more() -> None:
    ended = datetime(2026, 11, 3, 15, 0, tzinfo=NY)  # Tuesday 15:00, call not answered
    again = retry_at(POLICY, 1, ended, CLOSED, NY)
    assert again == datetime(2026, 11, 4, 10, 0, tzinfo=NY)  # 19:00 is after hours: the next morning
    assert retry_at(POLICY, 2, ended, CLOSED, NY) is None  # two tries: the link instead
    assert retry_at(SurveyPolicy(call_tries=3), 2, ended, CLOSED, NY) is not None


@pytest.mark.parametrize(("digits", "score"), [("0", 0), ("7", 7), ("10", 10), (" 9 ", 9)])
def test_a_keyed_recommendation_score_is_0_to_10(digits: str, score: int) -> None:
    assert parse_nps(digits) == score


@pytest.mark.parametrize("digits", ["", "11", "07", "99", "-1", "1*", "abc", "100"])
def test_anything_else_is_not_a_score(digits: str) -> None:
    with pytest.raises(InvalidAnswerError, match="0 to 10"):
        parse_nps(digits)


def test_satisfaction_is_1_to_5() -> None:
    assert [parse_csat(d) for d in "12345"] == [1, 2, 3, 4, 5]
    for bad in ("0", "6", "", "55"):
        with pytest.raises(InvalidAnswerError, match="1 to 5"):
            parse_csat(bad)


def test_a_comment_is_trimmed_and_bounded() -> None:
    assert clean_comment("  fine  ") == "fine"
    with pytest.raises(InvalidAnswerError, match="2000"):
        clean_comment("x" * 2001)


@pytest.mark.parametrize(
    ("score", "klass"),
    [
        (0, NpsClass.DETRACTOR),
        (6, NpsClass.DETRACTOR),
        (7, NpsClass.PASSIVE),
        (8, NpsClass.PASSIVE),
        (9, NpsClass.PROMOTER),
        (10, NpsClass.PROMOTER),
    ],
)
def test_nps_classes(score: int, klass: NpsClass) -> None:
    assert nps_class(score) is klass


def test_a_detractor_or_a_comment_that_would_not_recommend_needs_the_manager() -> None:
    assert needs_follow_up(nps=6)
    assert not needs_follow_up(nps=7)
    assert needs_follow_up(nps=9, comment="Fixed, but I wouldn't recommend you to anyone.")
    assert needs_follow_up(nps=None, comment="I would not recommend this support.")
    assert needs_follow_up(nps=10, comment="Honestly? Never going to recommend them")
    assert not needs_follow_up(nps=9, comment="I would recommend you to anyone")
    assert not needs_follow_up(nps=None)
    for said in ("won\u2019t recommend", "don't recommend", "can not recommend", "would NOT really recommend"):
        assert says_would_not_recommend(said), said
