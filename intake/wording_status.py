"""What the bot says when a customer asks about a case: the K# and number asked for, the status, or why not."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta

from intake import case_numbers
from intake.domain import CaseStatus, CaseSummary
from intake.numbers_times import case_words, due, moment, phone_text
from intake.policy import Policy
from intake.prompts import Expect, Prompt, say
from intake.wording import SEVERITY_LABELS, ask_account

_STATUS_WORDS = {
    CaseStatus.NEW: "new, waiting for an engineer",
    CaseStatus.INCOMPLETE: "incomplete: we are missing some details",
    CaseStatus.IN_PROGRESS: "in progress with an engineer",
    CaseStatus.ESCALATED: "escalated to senior staff",
    CaseStatus.RESOLVED: "resolved",
    CaseStatus.CLOSED: "closed",
}


def status_ask_account(policy: Policy, phone: bool) -> Prompt:
    """The K# the case must belong to (a caller whose number matched an account is not asked)."""
    prompt = ask_account(policy, phone)
    return replace(prompt, text=f"Sure, I can check on a case. {prompt.text}", speak=f"Sure. {prompt.speak}")


def status_ask_number(phone: bool) -> Prompt:
    """The case number (YYMM-NNNN); on the phone all its digits, then pound (it widens past 9999)."""
    if phone:
        text = "Please key in all the digits of your case number, then press pound."
        return Prompt(text, text, Expect.DIGITS, max_digits=case_numbers.KEYPAD_MAX_DIGITS)
    text = f"What's the case number? It looks like {case_numbers.EXAMPLE}."
    return Prompt(text, "What's the case number?", Expect.TEXT)


def looking_up(number: str, phone: bool) -> Prompt:
    """Interim message while the case is looked up."""
    return say(f"Let me look up case {number}.", f"Let me look up case {case_words(number, phone)}.")


def status_found(case: CaseSummary, now: datetime, policy: Policy, phone: bool) -> Prompt:
    """Status, severity, last update and (while open) the due times of a case."""
    tz = policy.chat.tz
    n, label, status = int(case.severity), SEVERITY_LABELS[case.severity], _STATUS_WORDS[case.status]
    head = f"Case {case.number} ({case.summary}) is Severity {n} ({label}). Status: {status}."
    update = f" Last update {moment(case.last_update, now, tz)}: {case.last_update_text}"
    targets = ""
    if case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        targets = f" Response target: {due(case.response_due, now, tz)}."
        if case.fix_due is not None:
            targets += f" Fix target: {due(case.fix_due, now, tz)}."
    speak_head = f"Case {case_words(case.number, phone)} is severity {n}, {label}. Status: {status}."
    return say(f"{head}{update.rstrip('.')}.{targets}", f"{speak_head}{update.rstrip('.')}.{targets}")


def status_not_found(number: str, k_number: str, phone: bool) -> Prompt:
    """Missing and someone else's case read the same, so no case numbers leak across accounts."""
    text = (
        f"I couldn't find case {number} under account {k_number}. "
        "Please check the number; it's in the confirmation we sent when the case was filed."
    )
    speak = f"I couldn't find case {case_words(number, phone)} under account {case_words(k_number, phone)}."
    return say(text, speak)


def status_not_found_for_caller(number: str, k_number: str, phone: bool) -> Prompt:
    """As status_not_found, for a lookup by caller ID: a case under another account needs that K#."""
    found = status_not_found(number, k_number, phone)
    text = (
        f"I couldn't find case {number} under account {k_number}, the account of the number you're calling from. "
        "If it's under another account, ask again with that account's K# and the case number."
    )
    return say(text, f"{found.speak} If it's under another account, ask again and say that account's K# too.")


def status_throttled(retry_after: timedelta, policy: Policy, phone: bool) -> Prompt:
    """Case lookups are paused after too many that did not match: say for how long, and who else can help."""
    minutes = max(1, math.ceil(retry_after.total_seconds() / 60))
    wait = f"about {minutes} minute{'s' if minutes != 1 else ''}"
    if minutes > 90:
        hours = math.ceil(minutes / 60)
        wait = f"about {hours} hours"
    head = "Too many case lookups didn't match a case and account lately, so I've paused them for a while."
    if phone:
        return say(f"{head} Please try again in {wait}.", f"{head} Please try again in {wait}.")
    line = phone_text(policy.support_phone)
    return say(f"{head} Please try again in {wait}, or call {line}.", f"{head} Please try again in {wait}.")
