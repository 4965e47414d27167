"""The words of notices: every kind renders, in the reader's zone; opted-out contacts still get the essentials."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.domain import Severity
from intake.notices import SMS_MAX_CHARS, NoticeFacts, NoticeKind, essential, render

NY = ZoneInfo("America/New_York")
CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=NY)


def _facts(kind: NoticeKind, **more: object) -> NoticeFacts:
    values: dict[str, object] = {
        "kind": kind,
        "company": "Vue Cloud Support",
        "now": NOW,
        "tz": CHICAGO,
        "case_number": "2611-0042",
        "severity": Severity.SEV2,
        "summary": "Dictation down at the north clinic",
        "response_due": NOW + timedelta(hours=1),
        "fix_due": NOW + timedelta(hours=24),
        **more,
    }
    return NoticeFacts(**values)  # type: ignore[arg-type]


def test_the_confirmation_names_the_case_severity_and_targets_in_the_readers_zone() -> None:
    notice = render(_facts(NoticeKind.CONFIRMATION))
    assert notice.subject == "Case 2611-0042 received: Severity 2 (severely degraded)"
    assert "filed it as case 2611-0042" in notice.text
    assert "What you told us: Dictation down at the north clinic" in notice.text
    # 11:00 AM Eastern is 10:00 AM Central: the reader's zone, not the desk's.
    assert "An engineer will respond by 10:00 AM Central today." in notice.text
    assert "Our target to resolve it is by 9:00 AM Central tomorrow." in notice.text
    assert notice.text.endswith("Vue Cloud Support\n")


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_kind_renders_with_the_case_and_the_persons_words(kind: NoticeKind) -> None:
    notice = render(_facts(kind, text="We restarted the dictation service.", link="https://x.example/l/abc",
                           extra={"title": "Archive upgrade"}))  # fmt: skip
    assert notice.subject
    if kind is NoticeKind.MAINTENANCE:
        assert "Archive upgrade" in notice.subject
    else:
        assert "2611-0042" in notice.subject
    if kind in (NoticeKind.FOLLOW_UP, NoticeKind.SURVEY_LINK):
        assert "https://x.example/l/abc" in notice.text and notice.sms.endswith("https://x.example/l/abc")
    elif kind is not NoticeKind.CONFIRMATION:
        assert "We restarted the dictation service." in notice.text
    assert len(notice.sms) <= SMS_MAX_CHARS


def test_a_long_update_is_cut_in_the_sms_but_whole_in_the_email() -> None:
    words = "word " * 200
    notice = render(_facts(NoticeKind.UPDATE, text=words))
    assert words.strip() in notice.text
    assert len(notice.sms) <= SMS_MAX_CHARS and notice.sms.endswith("…")


def test_the_opt_out_link_is_in_the_footer_when_given() -> None:
    notice = render(_facts(NoticeKind.UPDATE, text="News.", unsubscribe="https://x.example/u/tok"))
    assert notice.text.rstrip().endswith("use this link: https://x.example/u/tok")
    assert "https://x.example/u/tok" not in render(_facts(NoticeKind.UPDATE, text="News.")).text


def test_what_an_opted_out_contact_still_receives() -> None:
    assert essential(NoticeKind.CONFIRMATION, Severity.SEV4)
    assert essential(NoticeKind.RESOLUTION, Severity.SEV3)
    assert essential(NoticeKind.MAINTENANCE, None)
    assert essential(NoticeKind.UPDATE, Severity.SEV1)  # Sev1 news always goes out
    assert essential(NoticeKind.INCIDENT_UPDATE, Severity.SEV1)
    assert not essential(NoticeKind.UPDATE, Severity.SEV2)
    assert not essential(NoticeKind.BREACH_APOLOGY, Severity.SEV3)
    assert not essential(NoticeKind.SURVEY_LINK, Severity.SEV1)
    assert not essential(NoticeKind.FOLLOW_UP, Severity.SEV1)


def test_the_apology_says_what_happens_next_for_the_target_missed() -> None:
    response = render(_facts(NoticeKind.BREACH_APOLOGY, extra={"clock": "response"})).text
    fix = render(_facts(NoticeKind.BREACH_APOLOGY, extra={"clock": "fix"})).text
    assert "we are sorry" in response and "contact you as soon as possible" in response
    assert "a plan with a new expected time" in fix
