"""What the eXceed survey says: the outbound call's questions and the web form's words.

Each sentence is a message id (its English text, marked with `N_`) looked up in the customer's locale through
intake/catalog.py, as in intake/wording_status.py. The call is said in `en-US` like the rest of the phone
line; the form in the browser's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.catalog import N_, gettext
from intake.numbers_times import case_words

# -- the call ------------------------------------------------------------------------------------------

# Translators: {company} is the support desk's name; {case} the case number, read digit by digit.
CALL_HELLO = N_("Hello, this is {company} calling about your support case {case}, which we closed recently.")
CALL_ASK_NPS = N_(
    "On a scale of 0 to 10, how likely are you to recommend us to a colleague? Key in your score, then press pound."
)
CALL_BAD_NPS = N_("Sorry, that was not a score from 0 to 10.")
CALL_ASK_CSAT = N_(
    "And how satisfied are you with how we handled this case? "
    "Press 1 for very dissatisfied, up to 5 for very satisfied."
)
CALL_BAD_CSAT = N_("Sorry, that was not a key from 1 to 5.")
CALL_ASK_COMMENT = N_(
    "If you would like to tell us more, leave a short message after the tone, then press pound. Or just hang up."
)
CALL_THANKS = N_("Thank you for your answers. Goodbye.")
CALL_NOT_NOW = N_("Sorry to have troubled you. Goodbye.")
CALL_NO_ANSWER = N_("We did not hear a score. We will send you a link instead. Goodbye.")

# -- the form ------------------------------------------------------------------------------------------

FORM_TITLE = N_("How did we do?")
# Translators: {company} is the support desk's name; {case} the case number (YYMM-NNNN).
FORM_INTRO = N_("{company} closed your support case {case}. Two quick questions, and a comment if you like.")
FORM_NPS = N_("How likely are you to recommend us to a colleague?")
FORM_NPS_LOW = N_("0: not at all likely")
FORM_NPS_HIGH = N_("10: extremely likely")
FORM_CSAT = N_("How satisfied are you with how we handled this case?")
FORM_CSAT_LOW = N_("1: very dissatisfied")
FORM_CSAT_HIGH = N_("5: very satisfied")
FORM_COMMENT = N_("Anything you would like to tell us? (optional)")
FORM_SEND = N_("Send")
FORM_THANKS = N_("Thank you: your answers are saved.")
FORM_USED = N_("This survey has been answered already. Thank you.")
FORM_EXPIRED = N_("This survey link has expired.")
FORM_INVALID = N_("This survey link is not valid.")
FORM_CLOSED = N_("This survey is no longer open.")
FORM_BAD_NPS = N_("Please choose how likely you are to recommend us, from 0 to 10.")
FORM_BAD_CSAT = N_("Please choose how satisfied you are, from 1 to 5.")
FORM_BAD_COMMENT = N_("Please keep the comment under {n} characters.")


@dataclass(frozen=True)
class FormWords:
    """Every sentence of the web form, in one locale."""

    title: str
    intro: str
    nps: str
    nps_low: str
    nps_high: str
    csat: str
    csat_low: str
    csat_high: str
    comment: str
    send: str


def call_hello(company: str, case: str, locale: str | None = None) -> str:
    """The greeting of the survey call, with the case number said digit by digit."""
    return gettext(CALL_HELLO, locale).format(company=company, case=case_words(case, True))


def call_ask_nps(locale: str | None = None, *, again: bool = False) -> str:
    """The 0-10 question (after a wrong key, said again with an apology)."""
    ask = gettext(CALL_ASK_NPS, locale)
    return f"{gettext(CALL_BAD_NPS, locale)} {ask}" if again else ask


def call_ask_csat(locale: str | None = None, *, again: bool = False) -> str:
    """The 1-5 question (after a wrong key, said again with an apology)."""
    ask = gettext(CALL_ASK_CSAT, locale)
    return f"{gettext(CALL_BAD_CSAT, locale)} {ask}" if again else ask


def call_ask_comment(locale: str | None = None) -> str:
    """The invitation to leave a spoken comment."""
    return gettext(CALL_ASK_COMMENT, locale)


def call_thanks(locale: str | None = None) -> str:
    """The end of an answered call."""
    return gettext(CALL_THANKS, locale)


def call_not_now(locale: str | None = None) -> str:
    """The end of a call whose survey may no longer be asked (reopened, answered, opted out)."""
    return gettext(CALL_NOT_NOW, locale)


def call_no_answer(locale: str | None = None) -> str:
    """The end of a call where no score was keyed in."""
    return gettext(CALL_NO_ANSWER, locale)


def form_words(company: str, case: str, locale: str | None = None) -> FormWords:
    """The form's title, questions, scale ends and button."""
    return FormWords(
        title=form_title(locale),
        intro=gettext(FORM_INTRO, locale).format(company=company, case=case),
        nps=gettext(FORM_NPS, locale),
        nps_low=gettext(FORM_NPS_LOW, locale),
        nps_high=gettext(FORM_NPS_HIGH, locale),
        csat=gettext(FORM_CSAT, locale),
        csat_low=gettext(FORM_CSAT_LOW, locale),
        csat_high=gettext(FORM_CSAT_HIGH, locale),
        comment=gettext(FORM_COMMENT, locale),
        send=gettext(FORM_SEND, locale),
    )


def form_title(locale: str | None = None) -> str:
    """The title of every page of the form (the browser's tab), and the form's heading."""
    return gettext(FORM_TITLE, locale)


def form_thanks(locale: str | None = None) -> str:
    """The page after the answers are stored."""
    return gettext(FORM_THANKS, locale)


def form_used(locale: str | None = None) -> str:
    """A link whose survey was answered already."""
    return gettext(FORM_USED, locale)


def form_expired(locale: str | None = None) -> str:
    """A link past its time."""
    return gettext(FORM_EXPIRED, locale)


def form_invalid(locale: str | None = None) -> str:
    """A link that is not one of ours (forged, cut short)."""
    return gettext(FORM_INVALID, locale)


def form_closed(locale: str | None = None) -> str:
    """A survey that may no longer be answered (the case was reopened, the customer opted out)."""
    return gettext(FORM_CLOSED, locale)


def form_bad_nps(locale: str | None = None) -> str:
    """The form came back without a 0-10 score."""
    return gettext(FORM_BAD_NPS, locale)


def form_bad_csat(locale: str | None = None) -> str:
    """The form came back without a 1-5 satisfaction."""
    return gettext(FORM_BAD_CSAT, locale)


def form_bad_comment(limit: int, locale: str | None = None) -> str:
    """The comment is longer than the form takes."""
    return gettext(FORM_BAD_COMMENT, locale).format(n=limit)
