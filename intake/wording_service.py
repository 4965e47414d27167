"""What the service says around the dialogue: live-agent notices, the phone line's own words, apologies.

Each sentence is a message id (its English text, marked with `N_`) looked up in the customer's locale
through intake/catalog.py; placeholders are `{name}`s, filled after the lookup so a translation may move them.
"""

from __future__ import annotations

from intake.catalog import N_, gettext
from intake.numbers_times import spell

# -- live agents (chat) ---------------------------------------------------------------------------

AGENT_JOINED = N_("{agent} from the support team has joined the chat.")
HANDED_BACK = N_("You're back with the assistant.")
AGENT_CLOSED = N_("{agent} has closed the chat. Thank you for contacting {company}.")
QUEUE_POSITION = N_("You're number {position} in the queue for a live agent.")
NO_AGENT_IN_TIME = N_("Sorry, no live agent could take your chat in time.")
NO_CASE_YET = N_("I haven't recorded a case for you yet: let's do that now, so an engineer can follow up.")
PASSED_AS_WEB_REQUEST = N_(
    "I've passed case {case} to our engineers as a web support request; an engineer will respond {when}."
)

# -- something failed on our side -----------------------------------------------------------------

TURN_FAILED_CHAT = N_("Sorry, something went wrong on our side. Please try again, or say 'start over'.")
TURN_FAILED_PHONE = N_("Sorry, something went wrong on our side. Please say that again.")
PHONE_RETRY = N_("Sorry, we had a problem on our side. Please say that again.")
ONE_MOMENT = N_("One moment, please.")
PHONE_OUTAGE_GOODBYE = N_("Sorry, we cannot take your call right now. Please call again in a few minutes. Goodbye.")

# -- the phone line: voicemail and goodbye --------------------------------------------------------

VOICEMAIL_INVITE = N_(
    "Our on-call engineers could not be reached right now. Case {case} has been escalated "
    "and the on-call team has been paged; an engineer will call you back. "
    "Please leave a message describing the problem after the tone, then hang up or press pound."
)
VOICEMAIL_NONE = N_("We did not get a message. An engineer will call you back about case {case}. Goodbye.")
VOICEMAIL_SAVED = N_("Thank you. Your message is attached to case {case}, and an engineer will call you back. Goodbye.")
CALL_ENDED = N_("Thank you for calling support. Goodbye.")

# -- the on-call engineer's whisper (said in the desk's language) ---------------------------------

WHISPER_CASE = N_("Support line, severity 1 case {case}.")
WHISPER_ACCOUNT = N_("Account {account}.")
WHISPER_PROBLEM = N_("Problem: {summary}.")
WHISPER_ACCEPT = N_("Press 1 to take the call.")
WHISPER_DECLINED = N_("No key was pressed. The next engineer is being called. Goodbye.")


def agent_joined(agent: str, locale: str | None = None) -> str:
    """The notice that a live agent took the chat."""
    # Agent names are stored as typed ("alice"): the notice is a sentence, so it starts with a capital.
    return gettext(AGENT_JOINED, locale).format(agent=f"{agent[:1].upper()}{agent[1:]}")


def handed_back(locale: str | None = None) -> str:
    """The agent gave the conversation back to the bot."""
    return gettext(HANDED_BACK, locale)


def agent_closed(agent: str, company: str, locale: str | None = None) -> str:
    """The agent ended the live chat."""
    return gettext(AGENT_CLOSED, locale).format(agent=agent, company=company)


def queue_position(position: int, locale: str | None = None) -> str:
    """Where the customer waits for a live agent."""
    return gettext(QUEUE_POSITION, locale).format(position=position)


def no_agent_no_case(locale: str | None = None) -> str:
    """Nobody took the chat, and no case was recorded yet: the dialogue takes one now."""
    return f"{gettext(NO_AGENT_IN_TIME, locale)} {gettext(NO_CASE_YET, locale)}"


def no_agent_web_request(case_number: str, when: str, locale: str | None = None) -> str:
    """Nobody took the chat: the case became a web support request, answered `when` (its response due)."""
    passed = gettext(PASSED_AS_WEB_REQUEST, locale).format(case=case_number, when=when)
    return f"{gettext(NO_AGENT_IN_TIME, locale)} {passed}"


def turn_failed(phone: bool, locale: str | None = None) -> str:
    """A turn failed on our side: ask the customer to try again."""
    return gettext(TURN_FAILED_PHONE if phone else TURN_FAILED_CHAT, locale)


def phone_retry(locale: str | None = None) -> str:
    """The caller's words did not reach the bot (a delivery died or the database paused): say them again."""
    return gettext(PHONE_RETRY, locale)


def one_moment(locale: str | None = None) -> str:
    """While the line waits for the database to come back."""
    return gettext(ONE_MOMENT, locale)


def phone_outage_goodbye(locale: str | None = None) -> str:
    """The line cannot take the call at all."""
    return gettext(PHONE_OUTAGE_GOODBYE, locale)


def voicemail_invite(case_number: str, locale: str | None = None) -> str:
    """Nobody on call answered: the case is escalated; leave a message."""
    return gettext(VOICEMAIL_INVITE, locale).format(case=spell(case_number))


def voicemail_none(case_number: str, locale: str | None = None) -> str:
    """The caller left no message."""
    return gettext(VOICEMAIL_NONE, locale).format(case=spell(case_number))


def voicemail_saved(case_number: str, locale: str | None = None) -> str:
    """The message is on the case."""
    return gettext(VOICEMAIL_SAVED, locale).format(case=spell(case_number))


def call_ended(locale: str | None = None) -> str:
    """The engineer's leg ended: goodbye to the caller."""
    return gettext(CALL_ENDED, locale)


def whisper(case_number: str, k_number: str, summary: str, locale: str | None = None) -> str:
    """What the on-call engineer hears before the caller is put through (`summary` already trimmed)."""
    parts = [gettext(WHISPER_CASE, locale).format(case=spell(case_number))]
    if k_number:
        parts.append(gettext(WHISPER_ACCOUNT, locale).format(account=spell(k_number)))
    if summary:
        parts.append(gettext(WHISPER_PROBLEM, locale).format(summary=summary))
    parts.append(gettext(WHISPER_ACCEPT, locale))
    return " ".join(parts)


def whisper_declined(locale: str | None = None) -> str:
    """The engineer pressed nothing (a voicemail, say): the caller is not put through to them."""
    return gettext(WHISPER_DECLINED, locale)
