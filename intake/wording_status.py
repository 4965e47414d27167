"""What the bot says when a customer asks about a case: the K# and number asked for, the status, or why not.

Each sentence is a message id (its English text, marked with `N_`) looked up in the conversation's locale
through intake/catalog.py, as in intake/wording.py.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta

from intake import case_numbers
from intake.catalog import N_, gettext, ngettext
from intake.domain import CaseStatus, CaseSummary
from intake.limits import shortened
from intake.numbers_times import case_words, due, moment, phone_text
from intake.policy import Policy
from intake.prompts import Expect, Prompt, say, yes_no_prompt
from intake.wording import ask_account, severity_label

_STATUS_WORDS = {
    CaseStatus.NEW: N_("new, waiting for an engineer"),
    CaseStatus.INCOMPLETE: N_("incomplete: we are missing some details"),
    CaseStatus.IN_PROGRESS: N_("in progress with an engineer"),
    CaseStatus.PENDING_CUSTOMER: N_("waiting for your reply"),  # the engineer asked you something
    CaseStatus.ESCALATED: N_("escalated to senior staff"),
    CaseStatus.RESOLVED: N_("resolved"),
    CaseStatus.CLOSED: N_("closed"),
}

CHECK_ON_A_CASE = N_("Sure, I can check on a case.")
SURE = N_("Sure.")
KEY_IN_CASE = N_("Please key in all the digits of your case number, then press pound.")
ASK_CASE = N_("What's the case number? It looks like {example}.")
ASK_CASE_SPEAK = N_("What's the case number?")
LOOKING_UP = N_("Let me look up case {case}.")
# Translators: {summary} is the case's summary in the customer's words, {status} one of the status phrases.
FOUND = N_("Case {case} ({summary}) is Severity {n} ({label}). Status: {status}.")
FOUND_SPEAK = N_("Case {case} is severity {n}, {label}. Status: {status}.")
# Translators: {when} is a moment ("Monday at 8:00 AM Eastern"); {update} the engineer's words, as written.
LAST_UPDATE = N_("Last update {when}: {update}.")
RESPONSE_TARGET = N_("Response target: {when}.")
FIX_TARGET = N_("Fix target: {when}.")
NOT_FOUND = N_(
    "I couldn't find case {case} under account {account}. "
    "Please check the number; it's in the confirmation we sent when the case was filed."
)
NOT_FOUND_SPEAK = N_("I couldn't find case {case} under account {account}.")
NOT_FOUND_FOR_CALLER = N_(
    "I couldn't find case {case} under account {account}, the account of the number you're calling from. "
    "If it's under another account, ask again with that account's K# and the case number."
)
ANOTHER_ACCOUNT_SPEAK = N_("If it's under another account, ask again and say that account's K# too.")
THROTTLED = N_("Too many case lookups didn't match a case and account lately, so I've paused them for a while.")
NO_NUMBER = N_("Without its number I can't look a case up; it's in the confirmation we sent when the case was filed.")
# Translators: {problem} is the start of what the customer wrote beside asking about a case, as written.
HELD_PROBLEM = N_("You also wrote: \u201c{problem}\u201d. Shall I record that as a new problem?")
HELD_PROBLEM_SPEAK = N_("You also mentioned a problem. Shall I record it as a new case?")
HELD_QUOTE = 120  # characters of it quoted back
TRY_AGAIN = N_("Please try again in {wait}.")
TRY_AGAIN_OR_CALL = N_("Please try again in {wait}, or call {phone}.")


def status_ask_account(policy: Policy, phone: bool, locale: str | None = None) -> Prompt:
    """The K# the case must belong to (a caller whose number matched an account is not asked)."""
    prompt = ask_account(policy, phone, locale=locale)
    text = f"{gettext(CHECK_ON_A_CASE, locale)} {prompt.text}"
    return replace(prompt, text=text, speak=f"{gettext(SURE, locale)} {prompt.speak}")


def status_ask_number(phone: bool, locale: str | None = None) -> Prompt:
    """The case number (YYMM-NNNN); on the phone all its digits, then pound (it widens past 9999)."""
    if phone:
        text = gettext(KEY_IN_CASE, locale)
        return Prompt(text, text, Expect.DIGITS, max_digits=case_numbers.KEYPAD_MAX_DIGITS)
    text = gettext(ASK_CASE, locale).format(example=case_numbers.EXAMPLE)
    return Prompt(text, gettext(ASK_CASE_SPEAK, locale), Expect.TEXT)


def looking_up(number: str, phone: bool, locale: str | None = None) -> Prompt:
    """Interim message while the case is looked up."""
    looking = gettext(LOOKING_UP, locale)
    return say(looking.format(case=number), looking.format(case=case_words(number, phone)))


def status_found(case: CaseSummary, now: datetime, policy: Policy, phone: bool, locale: str | None = None) -> Prompt:
    """Status, severity, last update and (while open) the due times of a case."""
    tz = policy.chat.tz
    n, label = int(case.severity), severity_label(case.severity, locale)
    status = gettext(_STATUS_WORDS[case.status], locale)
    head = gettext(FOUND, locale).format(case=case.number, summary=case.summary, n=n, label=label, status=status)
    when = moment(case.last_update, now, tz, locale)
    update = gettext(LAST_UPDATE, locale).format(when=when, update=case.last_update_text.rstrip("."))
    targets = ""
    if case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        targets = " " + gettext(RESPONSE_TARGET, locale).format(when=due(case.response_due, now, tz, locale))
        if case.fix_due is not None:
            targets += " " + gettext(FIX_TARGET, locale).format(when=due(case.fix_due, now, tz, locale))
    number = case_words(case.number, phone)
    speak_head = gettext(FOUND_SPEAK, locale).format(case=number, n=n, label=label, status=status)
    return say(f"{head} {update}{targets}", f"{speak_head} {update}{targets}")


def status_not_found(number: str, k_number: str, phone: bool, locale: str | None = None) -> Prompt:
    """Missing and someone else's case read the same, so no case numbers leak across accounts."""
    text = gettext(NOT_FOUND, locale).format(case=number, account=k_number)
    speak = gettext(NOT_FOUND_SPEAK, locale).format(case=case_words(number, phone), account=case_words(k_number, phone))
    return say(text, speak)


def status_no_number(locale: str | None = None) -> Prompt:
    """The customer does not know the case number: no lookup, and where the number is found."""
    return say(gettext(NO_NUMBER, locale))


def status_not_found_for_caller(number: str, k_number: str, phone: bool, locale: str | None = None) -> Prompt:
    """As status_not_found, for a lookup by caller ID: a case under another account needs that K#."""
    found = status_not_found(number, k_number, phone, locale)
    text = gettext(NOT_FOUND_FOR_CALLER, locale).format(case=number, account=k_number)
    return say(text, f"{found.speak} {gettext(ANOTHER_ACCOUNT_SPEAK, locale)}")


def _wait(retry_after: timedelta, locale: str | None) -> str:
    """`about 5 minutes`, or `about 3 hours` past an hour and a half."""
    minutes = max(1, math.ceil(retry_after.total_seconds() / 60))
    if minutes > 90:
        hours = math.ceil(minutes / 60)
        return ngettext("about {n} hour", "about {n} hours", hours, locale).format(n=hours)
    return ngettext("about {n} minute", "about {n} minutes", minutes, locale).format(n=minutes)


def status_throttled(retry_after: timedelta, policy: Policy, phone: bool, locale: str | None = None) -> Prompt:
    """Case lookups are paused after too many that did not match: say for how long, and who else can help."""
    head, wait = gettext(THROTTLED, locale), _wait(retry_after, locale)
    if phone:
        said = f"{head} {gettext(TRY_AGAIN, locale).format(wait=wait)}"
        return say(said, said)
    line = phone_text(policy.support_phone)
    text = f"{head} {gettext(TRY_AGAIN_OR_CALL, locale).format(wait=wait, phone=line)}"
    return say(text, f"{head} {gettext(TRY_AGAIN, locale).format(wait=wait)}")


def held_problem(problem: str, phone: bool, locale: str | None = None) -> Prompt:
    """After a status told: the problem written beside the question, to record as a new one or not."""
    problem = problem.rstrip(" .")  # the sentence's full stop comes after the quote
    text = gettext(HELD_PROBLEM, locale).format(problem=shortened(problem, HELD_QUOTE))
    return yes_no_prompt(text, gettext(HELD_PROBLEM_SPEAK, locale), phone, locale)
