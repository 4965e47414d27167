"""What the bot says about the conversation itself: help, a person asked for, start over, cancel, goodbye,
silence on the phone, files received. The words of taking a case are intake/wording.py's.

Each sentence is a message id (its English text, marked with `N_`) looked up in the conversation's locale
through intake/catalog.py, as in intake/wording.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from intake.catalog import N_, gettext
from intake.numbers_times import case_words, phone_text, spell
from intake.policy import Policy
from intake.prompts import Prompt, say
from intake.wording import chat_opens, join_sentences

HELP_CHAT = N_(
    "I can file a support case (tell me your K# and the problem), check the status of a case, "
    "or connect you with a live agent."
)
HELP_PHONE = N_(
    "I can file a support case (tell me your K# and the problem), check the status of a case, "
    "or reach an engineer for a Severity 1 outage."
)
# Translators: the words in quotes are what the dialogue understands (intake/understanding.py, English for now).
HELP_COMMANDS = N_('You can also say "start over" or "cancel".')
# Translators: {hours} are the chat's hours ("Monday-Friday 8:00 AM-5:00 PM Eastern").
AGENTS_AVAILABLE = N_("Live chat agents are available {hours}.")
SEV1_CALL = N_("For a Severity 1 outage call {phone}, 24 hours a day.")
HELP_SPEAK = N_(
    "I can file a support case, check a case status, or help you reach a person. "
    "You can also say start over, or cancel."
)
AGENTS_BUSY = N_("All our live agents are busy right now.")
CHAT_CLOSED_OPENS = N_("Live chat is closed right now; it opens {when}.")
IF_DOWN_CALL = N_("If your service is down (Severity 1), please call {phone}, 24 hours a day.")
IF_DOWN_CALL_SPEAK = N_("If your service is down, please call {phone}.")
WE_GO_ON = N_("Otherwise I can take your request now and an engineer will follow up.")
PHONE_PERSON = N_(
    "The engineers on this line handle Severity 1 outages. If your service is down, tell me and "
    "I'll connect you right away; otherwise I'll file your request and an engineer will follow up."
)
START_OVER = N_("Okay, let's start over.")
CANCELLED = N_("No problem, I've cancelled that and nothing was recorded.")
CANCELLED_SPEAK = N_("No problem, I've cancelled that.")
CASE_STAYS_OPEN = N_("Case {case} stays open.")
BYE = N_("Goodbye!")
BYE_SPEAK = N_("Goodbye.")
GOODBYE = N_("Thank you for contacting us. Goodbye!")
GOODBYE_SPEAK = N_("Thank you for calling. Goodbye.")
DIDNT_HEAR = N_("Sorry, I didn't hear anything.")
NO_INPUT_GOODBYE = N_(
    "I still can't hear you, so I'll end this call. You can reach us on the web at {url}, "
    "with live chat {hours}, or call back any time. Goodbye."
)
NO_INPUT_GOODBYE_SPEAK = N_(
    "I still can't hear you, so I'll end this call. You can reach us on our website, with live chat "
    "{hours}, or call back any time. Goodbye."
)
# Translators: {files} are the names of the files sent, listed with the next message.
ATTACHED_TO_CASE = N_("Thanks, I've attached {files} to case {case}.")
ATTACHED = N_("Thanks, I've attached {files} to your case.")
LIST_AND = N_("{items} and {last}")


def help_text(policy: Policy, phone: bool, locale: str | None = None) -> Prompt:
    """What the bot can do, the chat hours and the phone line."""
    line = phone_text(policy.support_phone)
    text = join_sentences(
        gettext(HELP_PHONE if phone else HELP_CHAT, locale),
        gettext(HELP_COMMANDS, locale),
        gettext(AGENTS_AVAILABLE, locale).format(hours=policy.chat.describe()),
        gettext(SEV1_CALL, locale).format(phone=line),
    )
    return say(text, gettext(HELP_SPEAK, locale))


def agent_unavailable(policy: Policy, now: datetime, chat_open: bool, locale: str | None = None) -> Prompt:
    """Chat, no agent possible: closed or busy, when it opens, Sev1 to the phone; we go on."""
    line = phone_text(policy.support_phone)
    if chat_open:
        why = gettext(AGENTS_BUSY, locale)
    else:
        why = gettext(CHAT_CLOSED_OPENS, locale).format(when=chat_opens(policy, now, locale))
    text = join_sentences(why, gettext(IF_DOWN_CALL, locale).format(phone=line), gettext(WE_GO_ON, locale))
    return say(text, join_sentences(why, gettext(IF_DOWN_CALL_SPEAK, locale).format(phone=spell(line))))


def phone_person(locale: str | None = None) -> Prompt:
    """Phone: the line's engineers are for Sev1 outages; we go on."""
    return say(gettext(PHONE_PERSON, locale))


def start_over(locale: str | None = None) -> Prompt:
    """Acknowledge a reset."""
    return say(gettext(START_OVER, locale))


def cancelled(last_case: str | None, phone: bool, locale: str | None = None) -> Prompt:
    """End on request; nothing of this intake is recorded."""
    stays = gettext(CASE_STAYS_OPEN, locale)
    kept = stays.format(case=last_case) if last_case else ""
    kept_speak = stays.format(case=case_words(last_case, phone)) if last_case else ""
    return say(
        join_sentences(gettext(CANCELLED, locale), kept, gettext(BYE, locale)),
        join_sentences(gettext(CANCELLED_SPEAK, locale), kept_speak, gettext(BYE_SPEAK, locale)),
    )


def goodbye(locale: str | None = None) -> Prompt:
    """The customer is done."""
    return say(gettext(GOODBYE, locale), gettext(GOODBYE_SPEAK, locale))


def didnt_hear(locale: str | None = None) -> Prompt:
    """Phone silence, first time."""
    return say(gettext(DIDNT_HEAR, locale))


def no_input_goodbye(policy: Policy, locale: str | None = None) -> Prompt:
    """Phone silence twice: where else to reach us, then goodbye."""
    text = gettext(NO_INPUT_GOODBYE, locale).format(url=policy.web_url, hours=policy.chat.describe())
    hours = policy.chat.describe().replace("-", " to ")  # "Monday to Friday 8:00 AM to 5:00 PM" reads aloud
    return say(text, gettext(NO_INPUT_GOODBYE_SPEAK, locale).format(hours=hours))


def attached(names: Sequence[str], case_number: str | None, locale: str | None = None) -> Prompt:
    """Acknowledge files the customer sent."""
    files = names[0] if len(names) == 1 else ""
    if len(names) > 1:
        files = gettext(LIST_AND, locale).format(items=", ".join(names[:-1]), last=names[-1])
    if case_number:
        return say(gettext(ATTACHED_TO_CASE, locale).format(files=files, case=case_number))
    return say(gettext(ATTACHED, locale).format(files=files))
