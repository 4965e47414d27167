"""What the desk tells a customer after the case is filed: the kinds of notice, which of them an opted-out
customer still gets, and the words of each (subject, text, SMS), in the customer's time zone and locale.

Pure: the store queues a notice with the facts it names (store/notices.py); the mail worker renders it with
the account's contacts at send time (bot/mail.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from intake.catalog import N_, gettext
from intake.domain import Severity
from intake.limits import shortened
from intake.numbers_times import due
from intake.wording import severity_label
from intake.wording_maintenance import notice_paragraphs

SMS_MAX_CHARS = 320  # two SMS segments


class NoticeKind(StrEnum):
    """What a notice is about (stored in the outbox payload and the case events)."""

    CONFIRMATION = "confirmation"  # the case is filed: number, severity, targets
    FIRST_RESPONSE = "first_response"  # an engineer's first words and plan
    UPDATE = "update"  # news an agent posts
    BREACH_APOLOGY = "breach_apology"  # a target was missed: sorry, and the new expectation
    RESOLUTION = "resolution"  # what was done
    FOLLOW_UP = "follow_up"  # two days after resolution: is everything working?
    INCIDENT_UPDATE = "incident_update"  # news on the outage the case is linked to
    MAINTENANCE = "maintenance"  # planned maintenance affecting the account
    SURVEY_LINK = "survey_link"  # the eXceed survey's web form


# Sent even to contacts who asked for essential messages only: what they asked for (the confirmation),
# what closes the matter (resolution), what the contract promises them (maintenance notice).
_ALWAYS_ESSENTIAL = frozenset({NoticeKind.CONFIRMATION, NoticeKind.RESOLUTION, NoticeKind.MAINTENANCE})
_NEVER_ESSENTIAL = frozenset({NoticeKind.SURVEY_LINK, NoticeKind.FOLLOW_UP})
# Notices whose sending counts as news for the case's update clock (a CUSTOMER_UPDATE event): what people
# write, not the desk's own apology for a missed target (which would otherwise keep that clock from breaching).
COUNTS_AS_UPDATE = frozenset({NoticeKind.FIRST_RESPONSE, NoticeKind.UPDATE, NoticeKind.INCIDENT_UPDATE})


def essential(kind: NoticeKind, severity: Severity | None) -> bool:
    """True when `kind` goes out even to contacts who unsubscribed: Sev1 news always does."""
    if kind in _ALWAYS_ESSENTIAL:
        return True
    return kind not in _NEVER_ESSENTIAL and severity is Severity.SEV1


@dataclass(frozen=True, kw_only=True)
class NoticeFacts:
    """What a notice says; `text` is a person's own words (an update, a plan, a resolution)."""

    kind: NoticeKind
    company: str
    now: datetime
    tz: ZoneInfo
    locale: str | None = None
    case_number: str | None = None
    severity: Severity | None = None
    summary: str = ""
    response_due: datetime | None = None
    fix_due: datetime | None = None
    text: str = ""
    link: str = ""  # the survey form, or the follow-up's "reopen or close" page
    unsubscribe: str = ""  # the opt-out page (non-essential notices only)
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    """A rendered notice: the email's subject and plain text, and the SMS."""

    subject: str
    text: str
    sms: str


_SUBJECTS = {
    NoticeKind.CONFIRMATION: N_("Case {case} received: Severity {n} ({label})"),
    NoticeKind.FIRST_RESPONSE: N_("Case {case}: an engineer is working on it"),
    NoticeKind.UPDATE: N_("Case {case}: an update"),
    NoticeKind.BREACH_APOLOGY: N_("Case {case}: we are behind, and sorry"),
    NoticeKind.RESOLUTION: N_("Case {case} is resolved"),
    NoticeKind.FOLLOW_UP: N_("Case {case}: is everything working?"),
    NoticeKind.INCIDENT_UPDATE: N_("Case {case}: news on the outage"),
    NoticeKind.MAINTENANCE: N_("Planned maintenance: {title}"),
    NoticeKind.SURVEY_LINK: N_("Case {case}: how did we do?"),
}

RECEIVED = N_("We have received your support request and filed it as case {case}.")
WHAT_WE_HEARD = N_("What you told us: {summary}")
SEVERITY_IS = N_("Severity: {n} ({label}).")
RESPOND_BY = N_("An engineer will respond {due}.")
FIX_BY = N_("Our target to resolve it is {due}.")
QUOTE_NUMBER = N_("Please quote case {case} whenever you contact us about it.")
ENGINEER_PLAN = N_("An engineer is working on case {case}. Their first findings and plan:")
NEWS = N_("There is news on case {case}:")
SORRY = N_("We have not met our target on case {case}, and we are sorry. Senior staff are now involved.")
NEXT_RESPONSE = N_("An engineer will contact you as soon as possible, and we will keep you posted until it is fixed.")
NEXT_FIX = N_("The engineer and senior staff are reviewing the case and will send you a plan with a new expected time.")
NEXT_EXPECT = N_("What happens next:")
RESOLVED = N_("Case {case} is resolved. What was done:")
STILL_BROKEN = N_("If it is not working after all, reply to this message or call us, and we will reopen it.")
FOLLOW_UP_ASK = N_("We resolved case {case} two days ago. Is everything working?")
FOLLOW_UP_LINK = N_("Tell us with one click (the case reopens if it is not working): {link}")
FOLLOW_UP_SILENCE = N_("If all is well you need not do anything: the case will close.")
INCIDENT_NEWS = N_("Your case {case} is linked to an outage we are working on. The latest:")
SURVEY_ASK = N_(
    "Case {case} is closed. Would you tell us how we did? Two questions, one minute, and a comment if you like: {link}"
)
MAINTENANCE_LEAD = N_("Planned maintenance that affects your service:")
SIGN_OFF = N_("{company}")
OPT_OUT = N_("To receive only essential messages about your cases, use this link: {link}")


def render(facts: NoticeFacts) -> Notice:
    """Return the subject, email text and SMS of a notice, in the facts' locale and time zone."""
    loc = facts.locale
    values = {
        "case": facts.case_number or "",
        "n": int(facts.severity) if facts.severity is not None else "",
        "label": severity_label(facts.severity, loc) if facts.severity is not None else "",
        "title": facts.extra.get("title", ""),
    }
    subject = gettext(_SUBJECTS[facts.kind], loc).format(**values)
    paragraphs = _body(facts, values)
    footer = [gettext(SIGN_OFF, loc).format(company=facts.company)]
    if facts.unsubscribe:
        footer.append(gettext(OPT_OUT, loc).format(link=facts.unsubscribe))
    text = "\n\n".join([*paragraphs, "\n".join(footer)]) + "\n"
    return Notice(subject=subject, text=text, sms=_sms(facts, subject, paragraphs))


def _body(facts: NoticeFacts, values: Mapping[str, object]) -> list[str]:
    loc = facts.locale
    kind = facts.kind

    def say(message: str, **more: object) -> str:
        return gettext(message, loc).format(**values, **more)

    words = facts.text.strip()
    if kind is NoticeKind.CONFIRMATION:
        lines = [say(RESPOND_BY, due=due(facts.response_due, facts.now, facts.tz, loc))] if facts.response_due else []
        if facts.fix_due is not None:
            lines.append(say(FIX_BY, due=due(facts.fix_due, facts.now, facts.tz, loc)))
        heard = [say(WHAT_WE_HEARD, summary=facts.summary)] if facts.summary else []
        return [say(RECEIVED), "\n".join([*heard, say(SEVERITY_IS)]), " ".join(lines), say(QUOTE_NUMBER)]
    if kind is NoticeKind.FIRST_RESPONSE:
        return [say(ENGINEER_PLAN), words]
    if kind is NoticeKind.UPDATE:
        return [say(NEWS), words]
    if kind is NoticeKind.BREACH_APOLOGY:
        # extra["clock"]: the target missed (response or fix); a person's own words say more.
        step = say(NEXT_FIX) if facts.extra.get("clock") == "fix" else say(NEXT_RESPONSE)
        return [say(SORRY), step, *([say(NEXT_EXPECT), words] if words else [])]
    if kind is NoticeKind.RESOLUTION:
        return [say(RESOLVED), words, say(STILL_BROKEN)]
    if kind is NoticeKind.FOLLOW_UP:
        return [say(FOLLOW_UP_ASK), say(FOLLOW_UP_LINK, link=facts.link), say(FOLLOW_UP_SILENCE)]
    if kind is NoticeKind.INCIDENT_UPDATE:
        return [say(INCIDENT_NEWS), words]
    if kind is NoticeKind.SURVEY_LINK:
        return [say(SURVEY_ASK, link=facts.link)]
    if facts.extra.get("stage"):  # a window's notice (store/maintenance.py): its step and times in the customer's zone
        return notice_paragraphs(facts.extra, facts.now, facts.tz, loc)
    return [say(MAINTENANCE_LEAD), words]


def _sms(facts: NoticeFacts, subject: str, paragraphs: list[str]) -> str:
    """The SMS: the subject, then as much of the text as fits; a link is never cut."""
    tail = f" {facts.link}" if facts.link else ""
    head = f"{facts.company}: {subject}."
    body = " ".join(" ".join(p.split()) for p in paragraphs[1:] if p and (not facts.link or facts.link not in p))
    room = SMS_MAX_CHARS - len(head) - len(tail) - 1
    body = shortened(body, room)
    return " ".join(part for part in (head, body) if part) + tail
