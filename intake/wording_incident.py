"""What the bot says when a report is linked to an incident: the outage is known, since when, the case's number.

Each sentence is a message id (its English text, marked with `N_`) looked up in the conversation's locale
through intake/catalog.py, as in intake/wording.py. The component's name is configuration (its label).
"""

from __future__ import annotations

from datetime import datetime

from intake.catalog import N_, gettext
from intake.numbers_times import case_words, moment
from intake.policy import Policy
from intake.prompts import Prompt, say

# Translators: {component} is the part of the service that is down ("viewer"), as configured; {when} a
# moment ("today at 9:42 AM Eastern"); {case} the customer's case number.
LINKED = N_(
    "We know about an outage of the {component} since {when}; your case {case} is linked to it "
    "and you will get every update."
)
LINKED_SPEAK = N_(
    "We already know about an outage of the {component}, since {when}. Your case, {case}, is linked to it, "
    "and you will get every update."
)


def incident_linked(
    component: str, since: datetime, number: str, now: datetime, policy: Policy, phone: bool, locale: str | None = None
) -> Prompt:
    """A later reporter is told at once: the outage is known, since when, and their case is linked to it."""
    when = moment(since, now, policy.chat.tz, locale)
    text = gettext(LINKED, locale).format(component=component, when=when, case=number)
    speak = gettext(LINKED_SPEAK, locale).format(component=component, when=when, case=case_words(number, phone))
    return say(text, speak)
