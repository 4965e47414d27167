"""What the bot says while taking a case: greeting, K#, problem, severity and the outcome.

Each sentence is a message id (its English text, marked with `N_`) looked up in the conversation's locale
through intake/catalog.py; placeholders are `{name}`s, filled after the lookup so a translation may move them.
Hints stay English: they are for the phone's speech recogniser, which hears English.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from intake.catalog import N_, gettext, lookup, ngettext
from intake.dialogue_state import FollowUp
from intake.domain import Severity
from intake.numbers_times import case_words, count, due, moment, phone_text, spell
from intake.policy import AccountFormat, Policy
from intake.prompts import SORRY, Choice, Expect, Prompt, say, with_choices, yes_no_prompt

SEVERITY_LABELS = {
    Severity.SEV1: N_("service down"),
    Severity.SEV2: N_("severely degraded"),
    Severity.SEV3: N_("minor, not critical"),
    Severity.SEV4: N_("question or change request"),
}


def severity_label(severity: Severity, locale: str | None = None) -> str:
    """`service down`: a severity's short label, as the customer hears it."""
    return gettext(SEVERITY_LABELS[severity], locale)


def join_sentences(*sentences: str) -> str:
    """Sentences joined by one space, the empty ones left out."""
    return " ".join(s for s in sentences if s)


# ---------------------------------------------------------------- account and problem

THANK_YOU_FOR_CALLING = N_("Thank you for calling {company}.")
WELCOME = N_("Hi, welcome to {company}.")
WHAT_I_DO = N_("I can file a support case or check on an existing one.")
ACCOUNT_AND_PROBLEM = N_("Please tell me your account number (your K#, like {example}) and what's going on.")
ACCOUNT_AND_PROBLEM_SPEAK = N_("What's your K number, and what's going on?")
HELLO_KNOWN = N_("Hi {name}, thank you for contacting {company}.")
IS_YOUR_ACCOUNT = N_("Is your account number {account}?")
GOT_THE_PROBLEM = N_("Thanks, I've got the problem.")
KEY_IN_ACCOUNT = N_(
    "Please key in your account number: the digits after the {prefix}, then press pound. You can also say it."
)
ASK_ACCOUNT = N_("What's your account number? It's your K#, for example {example}.")
ASK_ACCOUNT_SPEAK = N_("What's your K number?")
DIGITS_RANGE = N_("{low} to {high} digits")
ACCOUNT_SHAPE = N_("a {prefix} followed by {digits}, like {example}")
ACCOUNT_IS_DIGITS = N_(
    "Your account number is {digits} after the {prefix}. Please key in those digits, then press pound. "
    "You can also say it."
)
ACCOUNT_IS_SHAPE = N_("Your account number is your K#: {shape}. What's your account number?")
THANKS_ACCOUNT = N_("Thanks, {account}.")
ASK_PROBLEM = N_("Please describe the problem in your own words: what is happening, and who is affected?")
ASK_PROBLEM_SPEAK = N_("In a few words, what's the problem, and who is affected?")
CUT_MESSAGE = N_("Your message is very long, so I read only the start of it (the first {count} characters).")
CUT_MESSAGE_SPEAK = N_("Your message was long, so I only used the first part of it.")
CUT_DESCRIPTION = N_("Your description is long, so I judged the problem by its first {count} characters.")
CUT_DESCRIPTION_SPEAK = N_("Your description was long, so I only used the first part of it.")
CUT_KEPT = N_("A case keeps at most {count} characters of description, so the rest was not saved with it.")
CUT_KEPT_SPEAK = N_("Some of it was too long to save with the case.")
ALL_KEPT = N_("Everything you wrote will be kept on your case.")
ALL_KEPT_SPEAK = N_("All of it will be kept on your case.")
MORE_DETAIL = N_('Could you tell me a little more? For example: "Nobody at our site can log in since 9 AM."')
MORE_DETAIL_SPEAK = N_("Could you tell me a little more about the problem?")


def greeting(policy: Policy, phone: bool, locale: str | None = None) -> Prompt:
    """First words to an unknown customer: ask for the K# (and, in chat, the problem too)."""
    company = policy.company_name
    if phone:
        hello = gettext(THANK_YOU_FOR_CALLING, locale).format(company=company)
        ask = ask_account(policy, phone=True, locale=locale)
        return replace(ask, text=f"{hello} {ask.text}", speak=f"{hello} {ask.speak}")
    hello = gettext(WELCOME, locale).format(company=company)
    ask = ask_account_and_problem(policy, locale)
    offer = gettext(WHAT_I_DO, locale)
    return replace(ask, text=f"{hello} {offer} {ask.text}", speak=f"{hello} {ask.speak}")


def ask_account_and_problem(policy: Policy, locale: str | None = None) -> Prompt:
    """Chat: both at once, so a customer can answer in one message."""
    text = gettext(ACCOUNT_AND_PROBLEM, locale).format(example=policy.account.example)
    return Prompt(text, gettext(ACCOUNT_AND_PROBLEM_SPEAK, locale), Expect.TEXT, hints=("K",))


def greeting_known(policy: Policy, name: str, k_number: str, phone: bool, locale: str | None = None) -> Prompt:
    """A caller whose number matched an account: greet by name and confirm the K#."""
    hello = gettext(HELLO_KNOWN, locale).format(name=name, company=policy.company_name)
    question = gettext(IS_YOUR_ACCOUNT, locale)
    text, speak = question.format(account=k_number), question.format(account=spell(k_number))
    return yes_no_prompt(f"{hello} {text}", f"{hello} {speak}", phone, locale)


def confirm_account(k_number: str, phone: bool, locale: str | None = None) -> Prompt:
    """Re-ask of the known caller's K# confirmation."""
    question = gettext(IS_YOUR_ACCOUNT, locale)
    return yes_no_prompt(question.format(account=k_number), question.format(account=spell(k_number)), phone, locale)


def ask_account(policy: Policy, phone: bool, have_problem: bool = False, locale: str | None = None) -> Prompt:
    """Ask for the K#: on the phone on the keypad (the K implied), in chat typed."""
    fmt, prefix = policy.account, policy.account.prefix.upper()
    lead = gettext(GOT_THE_PROBLEM, locale) if have_problem else ""
    if phone:
        text = join_sentences(lead, gettext(KEY_IN_ACCOUNT, locale).format(prefix=prefix))
        return Prompt(text, text, Expect.DIGITS, hints=(prefix,), max_digits=fmt.max_digits)
    text = join_sentences(lead, gettext(ASK_ACCOUNT, locale).format(example=fmt.example))
    return Prompt(text, gettext(ASK_ACCOUNT_SPEAK, locale), Expect.TEXT, hints=(prefix,))


def _account_digits(fmt: AccountFormat, locale: str | None) -> str:
    """`4 to 10 digits` (or `6 digits` when the policy fixes the length)."""
    if fmt.min_digits == fmt.max_digits:
        return ngettext("{count} digit", "{count} digits", fmt.min_digits, locale).format(count=fmt.min_digits)
    return gettext(DIGITS_RANGE, locale).format(low=fmt.min_digits, high=fmt.max_digits)


def account_shape(fmt: AccountFormat, locale: str | None = None) -> str:
    """What a K# looks like, from the policy: `a K followed by 4 to 10 digits, like K123456`."""
    digits = _account_digits(fmt, locale)
    return gettext(ACCOUNT_SHAPE, locale).format(prefix=fmt.prefix.upper(), digits=digits, example=fmt.example)


def account_again(policy: Policy, phone: bool, locale: str | None = None) -> Prompt:
    """The re-ask after an answer with no usable K#: say what one looks like instead of repeating."""
    fmt, prefix, sorry = policy.account, policy.account.prefix.upper(), gettext(SORRY, locale)
    if phone:
        told = gettext(ACCOUNT_IS_DIGITS, locale).format(digits=_account_digits(fmt, locale), prefix=prefix)
        text = f"{sorry} {told}"
        return Prompt(text, text, Expect.DIGITS, hints=(prefix,), max_digits=fmt.max_digits)
    text = f"{sorry} {gettext(ACCOUNT_IS_SHAPE, locale).format(shape=account_shape(fmt, locale))}"
    return Prompt(text, f"{sorry} {gettext(ASK_ACCOUNT_SPEAK, locale)}", Expect.TEXT, hints=(prefix,))


def thanks_account(k_number: str, phone: bool, locale: str | None = None) -> Prompt:
    """The K# heard back."""
    thanks = gettext(THANKS_ACCOUNT, locale)
    return say(thanks.format(account=k_number), thanks.format(account=case_words(k_number, phone)))


def ask_problem(phone: bool, locale: str | None = None) -> Prompt:
    """Ask for the problem in the customer's own words."""
    text = gettext(ASK_PROBLEM, locale)
    speak = gettext(ASK_PROBLEM_SPEAK, locale)
    hints = ("down", "slow", "error", "can't log in", "question", "case status", "agent")
    return Prompt(text, speak if phone else text, Expect.TEXT, hints=hints)


def _with_count(message: str, n: int, locale: str | None) -> str:
    said = lookup(message, locale)
    return said.text.format(count=count(n, said.locale))


def text_cut(
    *,
    message: int | None = None,
    description: int | None = None,
    kept: int | None = None,
    saved: bool = False,
    locale: str | None = None,
) -> Prompt:
    """Part of what the customer wrote was not read (`message`, `description`: the limits read) or not kept.

    `kept` is the case's limit when text over it was dropped; `saved` says the words go on the case whole.
    """
    text, speak = [], []
    if message is not None:
        text.append(_with_count(CUT_MESSAGE, message, locale))
        speak.append(gettext(CUT_MESSAGE_SPEAK, locale))
    elif description is not None:
        text.append(_with_count(CUT_DESCRIPTION, description, locale))
        speak.append(gettext(CUT_DESCRIPTION_SPEAK, locale))
    if kept is not None:
        text.append(_with_count(CUT_KEPT, kept, locale))
        speak.append(gettext(CUT_KEPT_SPEAK, locale))
    elif saved:
        text.append(gettext(ALL_KEPT, locale))
        speak.append(gettext(ALL_KEPT_SPEAK, locale))
    return say(" ".join(text), " ".join(speak))


def more_detail(locale: str | None = None) -> Prompt:
    """A one-word problem: ask for a sentence so triage has something to work with."""
    speak = gettext(MORE_DETAIL_SPEAK, locale)
    return Prompt(gettext(MORE_DETAIL, locale), speak, Expect.TEXT, hints=("down", "slow", "error"))


# ---------------------------------------------------------------- triage and severity

FEW_QUESTIONS = N_("To get the severity right, a few quick questions.")
SEVERITY_CHOICE = N_("Severity {n}: {label}")
YES_RIGHT = N_("Yes, that's right")
LOOKS_LIKE = N_("From what you describe, this looks like Severity {n} ({label}).")
# Translators: {definition} is the policy's definition of the severity, a sentence of its own.
SEVERITY_MEANS = N_("Severity {n} means: {definition}")
IS_THAT_RIGHT = N_("Is that right?")
SOUNDS_LIKE = N_("That sounds like severity {n}, {label}.")
WHICH_SEVERITY = N_("Which severity fits better?")


def guided(
    text: str, speak: str, choices: Sequence[tuple[str, str]], phone: bool, first: bool, locale: str | None = None
) -> Prompt:
    """One of triage's guided questions (message ids: intake/guided_questions.py), its answers as choices."""
    lead = gettext(FEW_QUESTIONS, locale) if first else ""
    listed = [Choice(value, gettext(label, locale)) for value, label in choices]
    text, speak = join_sentences(lead, gettext(text, locale)), join_sentences(lead, gettext(speak, locale))
    return with_choices(text, speak, Expect.CHOICE, listed, phone, locale=locale)


def severity_choices(proposed: Severity, include_yes: bool, locale: str | None = None) -> list[Choice]:
    """ "Yes, that's right" and the other severities with short labels."""
    choice = gettext(SEVERITY_CHOICE, locale)
    others = [
        Choice(f"sev{int(s)}", choice.format(n=int(s), label=severity_label(s, locale)))
        for s in Severity
        if s != proposed
    ]
    return [Choice("yes", gettext(YES_RIGHT, locale)), *others] if include_yes else others


def severity_keys(proposed: Severity, include_yes: bool) -> tuple[str, ...]:
    """The keys of severity_choices: Severity N is always N, and yes is the proposed severity's own N.

    No key means two things: a caller who presses 2 for Severity 2 gets Severity 2, whatever was proposed.
    """
    others = tuple(str(int(s)) for s in Severity if s != proposed)
    return (str(int(proposed)), *others) if include_yes else others


def confirm_severity(policy: Policy, proposed: Severity, phone: bool, locale: str | None = None) -> Prompt:
    """Tell the severity triage proposes and let the customer confirm or correct it."""
    n, label, right = int(proposed), severity_label(proposed, locale), gettext(IS_THAT_RIGHT, locale)
    # The policy's own definitions are message ids (intake/policy.py); a definition configured otherwise is said as is.
    means = gettext(SEVERITY_MEANS, locale).format(n=n, definition=gettext(policy.definitions[proposed], locale))
    text = join_sentences(gettext(LOOKS_LIKE, locale).format(n=n, label=label), means, right)
    speak = join_sentences(gettext(SOUNDS_LIKE, locale).format(n=n, label=label), right)
    hints = ("yes", "no", "severity one", "severity two", "severity three", "severity four")
    choices, keys = severity_choices(proposed, True, locale), severity_keys(proposed, True)
    return with_choices(text, speak, Expect.CHOICE, choices, phone, hints, keys, locale)


def pick_severity(proposed: Severity, phone: bool, locale: str | None = None) -> Prompt:
    """After a plain "no": which severity fits better."""
    hints = ("severity one", "severity two", "severity three", "severity four")
    question = gettext(WHICH_SEVERITY, locale)
    choices, keys = severity_choices(proposed, False, locale), severity_keys(proposed, False)
    return with_choices(question, question, Expect.CHOICE, choices, phone, hints, keys, locale)


# ---------------------------------------------------------------- outcomes

FILING = N_("One moment while I file your case.")
STILL_WORKING = N_("One moment, I'm still working on that.")
FILED = N_("I've filed case {case} as Severity {n} ({label}).")
FILED_SPEAK = N_("I've filed case {case} as severity {n}.")
# Translators: {when} and {fix} are due times ("by 10:15 AM Eastern today").
RESPOND = N_("An engineer will respond {when}.")
RESPOND_AND_FIX = N_("An engineer will respond {when}, and we aim to have it fixed {fix}.")
# Translators: {when} is a moment ("tomorrow at 8:00 AM Eastern"), {holiday} the holiday's name.
CHAT_CLOSED = N_("Live chat with an agent is closed right now; it opens again {when}.")
CHAT_CLOSED_FOR = N_("Live chat with an agent is closed right now for {holiday}; it opens again {when}.")
SEV1_REDIRECT = N_(
    "This is a Severity 1 outage. I've recorded it as case {case} and paged our on-call engineer. "
    "Please call our support line now at {phone} (24 hours a day) and quote case {case}."
)
SEV1_REDIRECT_SPEAK = N_(
    "I've recorded case {case} and paged our on-call engineer. Please call our support line now at {phone}."
)
SEV1_RECORDED = N_("I've recorded case {case} as Severity 1.")
SEV1_RECORDED_SPEAK = N_("I've recorded case {case} as severity 1.")
CONNECTING = N_("I'm connecting you to our on-call engineer now. Please stay on the line.")
AGENT_JOINING = N_("I'm bringing in a live agent; they'll join this chat shortly.")
AGENT_HAS_CASE = N_("They'll have case {case} in front of them.")
AGENT_JOINING_SPEAK = N_("I'm bringing in a live agent. They'll join shortly.")
OFFER_AGENT = N_("A live agent is available now. Would you like to chat with them about this?")
OFFER_AGENT_SPEAK = N_("Would you like to chat with a live agent?")
ANYTHING_ELSE = N_("Is there anything else I can help with?")
ANYTHING_ELSE_SPEAK = N_("Anything else I can help with?")
ANOTHER_PROBLEM = N_("Report another problem")
CHECK_STATUS = N_("Check a case status")
THATS_ALL = N_("That's all")


def filing(locale: str | None = None) -> Prompt:
    """Interim message while the case is created."""
    return say(gettext(FILING, locale))


def still_working(locale: str | None = None) -> Prompt:
    """A message while the case is still being filed or looked up."""
    return say(gettext(STILL_WORKING, locale))


def filed(
    number: str,
    severity: Severity,
    response_due: datetime,
    fix_due: datetime | None,
    now: datetime,
    policy: Policy,
    phone: bool,
    locale: str | None = None,
) -> Prompt:
    """A web support request: the case number, its severity and its targets in the customer's terms."""
    tz, n = policy.chat.tz, int(severity)
    respond = due(response_due, now, tz, locale)
    if fix_due is None:
        targets = gettext(RESPOND, locale).format(when=respond)
    else:
        targets = gettext(RESPOND_AND_FIX, locale).format(when=respond, fix=due(fix_due, now, tz, locale))
    text = gettext(FILED, locale).format(case=number, n=n, label=severity_label(severity, locale))
    speak = gettext(FILED_SPEAK, locale).format(case=case_words(number, phone), n=n)
    return say(f"{text} {targets}", f"{speak} {targets}")


def chat_closed(policy: Policy, now: datetime, locale: str | None = None) -> Prompt:
    """Live chat is closed: when it opens next (and why today, on a holiday)."""
    holiday = policy.chat.holidays.name(now.astimezone(policy.chat.tz).date())
    when = chat_opens(policy, now, locale)
    if holiday:
        return say(gettext(CHAT_CLOSED_FOR, locale).format(holiday=holiday, when=when))
    return say(gettext(CHAT_CLOSED, locale).format(when=when))


def chat_opens(policy: Policy, now: datetime, locale: str | None = None) -> str:
    """When live chat opens next, in the customer's terms: `Monday at 8:00 AM Eastern`."""
    return moment(policy.chat.next_open(now), now, policy.chat.tz, locale)


def sev1_redirect(policy: Policy, number: str, locale: str | None = None) -> Prompt:
    """Chat Sev1: recorded and paged; call the support line now, quoting the case number."""
    line = phone_text(policy.support_phone)
    text = gettext(SEV1_REDIRECT, locale).format(case=number, phone=line)
    speak = gettext(SEV1_REDIRECT_SPEAK, locale).format(case=spell(number), phone=spell(line))
    return say(text, speak)


def sev1_connect(number: str, locale: str | None = None) -> Prompt:
    """Phone Sev1: say the case number, then connect to the on-call engineer."""
    connecting = gettext(CONNECTING, locale)
    return say(
        f"{gettext(SEV1_RECORDED, locale).format(case=number)} {connecting}",
        f"{gettext(SEV1_RECORDED_SPEAK, locale).format(case=spell(number))} {connecting}",
    )


def live_agent_joining(number: str | None, locale: str | None = None) -> Prompt:
    """A live agent takes over the chat."""
    about = gettext(AGENT_HAS_CASE, locale).format(case=number) if number else ""
    return say(join_sentences(gettext(AGENT_JOINING, locale), about), gettext(AGENT_JOINING_SPEAK, locale))


def offer_agent(locale: str | None = None) -> Prompt:
    """During chat hours: a live agent for questions."""
    return yes_no_prompt(gettext(OFFER_AGENT, locale), gettext(OFFER_AGENT_SPEAK, locale), False, locale)


def anything_else(phone: bool, locale: str | None = None) -> Prompt:
    """After a case or a status answer: another problem, a case status, or goodbye."""
    choices = [
        Choice(FollowUp.PROBLEM, gettext(ANOTHER_PROBLEM, locale)),
        Choice(FollowUp.STATUS, gettext(CHECK_STATUS, locale)),
        Choice(FollowUp.DONE, gettext(THATS_ALL, locale)),
    ]
    return with_choices(
        gettext(ANYTHING_ELSE, locale),
        gettext(ANYTHING_ELSE_SPEAK, locale),
        Expect.CHOICE,
        choices,
        phone,
        ("another problem", "case status", "no", "bye"),
        locale=locale,
    )
