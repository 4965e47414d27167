"""What the bot says while taking a case: greeting, K#, problem, severity, the outcome, help and goodbyes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from intake.dialogue_state import FollowUp
from intake.domain import Severity
from intake.numbers_times import case_words, due, moment, phone_text, spell
from intake.policy import AccountFormat, Policy
from intake.prompts import SORRY, Choice, Expect, Prompt, say, with_choices, yes_no_prompt

SEVERITY_LABELS = {
    Severity.SEV1: "service down",
    Severity.SEV2: "severely degraded",
    Severity.SEV3: "minor, not critical",
    Severity.SEV4: "question or change request",
}


# ---------------------------------------------------------------- account and problem


def greeting(policy: Policy, phone: bool) -> Prompt:
    """First words to an unknown customer: ask for the K# (and, in chat, the problem too)."""
    if phone:
        hello = f"Thank you for calling {policy.company_name}."
        ask = ask_account(policy, phone=True)
        return replace(ask, text=f"{hello} {ask.text}", speak=f"{hello} {ask.speak}")
    hello = f"Hi, welcome to {policy.company_name}."
    ask = ask_account_and_problem(policy)
    offer = "I can file a support case or check on an existing one."
    return replace(ask, text=f"{hello} {offer} {ask.text}", speak=f"{hello} {ask.speak}")


def ask_account_and_problem(policy: Policy) -> Prompt:
    """Chat: both at once, so a customer can answer in one message."""
    text = f"Please tell me your account number (your K#, like {policy.account.example}) and what's going on."
    return Prompt(text, "What's your K number, and what's going on?", Expect.TEXT, hints=("K",))


def greeting_known(policy: Policy, name: str, k_number: str, phone: bool) -> Prompt:
    """A caller whose number matched an account: greet by name and confirm the K#."""
    hello = f"Hi {name}, thank you for contacting {policy.company_name}."
    return yes_no_prompt(
        f"{hello} Is your account number {k_number}?", f"{hello} Is your account number {spell(k_number)}?", phone
    )


def confirm_account(k_number: str, phone: bool) -> Prompt:
    """Re-ask of the known caller's K# confirmation."""
    return yes_no_prompt(f"Is your account number {k_number}?", f"Is your account number {spell(k_number)}?", phone)


def ask_account(policy: Policy, phone: bool, have_problem: bool = False) -> Prompt:
    """Ask for the K#: on the phone on the keypad (the K implied), in chat typed."""
    fmt = policy.account
    lead = "Thanks, I've got the problem. " if have_problem else ""
    if phone:
        text = (
            f"{lead}Please key in your account number: the digits after the {fmt.prefix.upper()}, "
            "then press pound. You can also say it."
        )
        return Prompt(text, text, Expect.DIGITS, hints=(fmt.prefix.upper(),), max_digits=fmt.max_digits)
    text = f"{lead}What's your account number? It's your K#, for example {fmt.example}."
    return Prompt(text, "What's your K number?", Expect.TEXT, hints=(fmt.prefix.upper(),))


def _account_digits(fmt: AccountFormat) -> str:
    """`4 to 10 digits` (or `6 digits` when the policy fixes the length)."""
    if fmt.min_digits == fmt.max_digits:
        return f"{fmt.min_digits} digits"
    return f"{fmt.min_digits} to {fmt.max_digits} digits"


def account_shape(fmt: AccountFormat) -> str:
    """What a K# looks like, from the policy: `a K followed by 4 to 10 digits, like K123456`."""
    return f"a {fmt.prefix.upper()} followed by {_account_digits(fmt)}, like {fmt.example}"


def account_again(policy: Policy, phone: bool) -> Prompt:
    """The re-ask after an answer with no usable K#: say what one looks like instead of repeating."""
    fmt = policy.account
    if phone:
        text = (
            f"{SORRY} Your account number is {_account_digits(fmt)} after the {fmt.prefix.upper()}. "
            "Please key in those digits, then press pound. You can also say it."
        )
        return Prompt(text, text, Expect.DIGITS, hints=(fmt.prefix.upper(),), max_digits=fmt.max_digits)
    text = f"{SORRY} Your account number is your K#: {account_shape(fmt)}. What's your account number?"
    return Prompt(text, f"{SORRY} What's your K number?", Expect.TEXT, hints=(fmt.prefix.upper(),))


def ask_problem(phone: bool) -> Prompt:
    """Ask for the problem in the customer's own words."""
    text = "Please describe the problem in your own words: what is happening, and who is affected?"
    speak = "In a few words, what's the problem, and who is affected?"
    hints = ("down", "slow", "error", "can't log in", "question", "case status", "agent")
    return Prompt(text, speak if phone else text, Expect.TEXT, hints=hints)


def text_cut(
    *, message: int | None = None, description: int | None = None, kept: int | None = None, saved: bool = False
) -> Prompt:
    """Part of what the customer wrote was not read (`message`, `description`: the limits read) or not kept.

    `kept` is the case's limit when text over it was dropped; `saved` says the words go on the case whole.
    """
    text, speak = [], []
    if message is not None:
        text.append(f"Your message is very long, so I read only the start of it (the first {message:,} characters).")
        speak.append("Your message was long, so I only used the first part of it.")
    elif description is not None:
        text.append(f"Your description is long, so I judged the problem by its first {description:,} characters.")
        speak.append("Your description was long, so I only used the first part of it.")
    if kept is not None:
        text.append(f"A case keeps at most {kept:,} characters of description, so the rest was not saved with it.")
        speak.append("Some of it was too long to save with the case.")
    elif saved:
        text.append("Everything you wrote will be kept on your case.")
        speak.append("All of it will be kept on your case.")
    return say(" ".join(text), " ".join(speak))


def more_detail() -> Prompt:
    """A one-word problem: ask for a sentence so triage has something to work with."""
    text = 'Could you tell me a little more? For example: "Nobody at our site can log in since 9 AM."'
    return Prompt(
        text, "Could you tell me a little more about the problem?", Expect.TEXT, hints=("down", "slow", "error")
    )


# ---------------------------------------------------------------- triage and severity


def guided(text: str, speak: str, choices: Sequence[tuple[str, str]], phone: bool, first: bool) -> Prompt:
    """One of triage's guided questions, its answers as choices."""
    lead = "To get the severity right, a few quick questions. " if first else ""
    listed = [Choice(value, label) for value, label in choices]
    return with_choices(f"{lead}{text}", f"{lead}{speak}", Expect.CHOICE, listed, phone)


def severity_choices(proposed: Severity, include_yes: bool) -> list[Choice]:
    """ "Yes, that's right" and the other severities with short labels."""
    others = [Choice(f"sev{int(s)}", f"Severity {int(s)}: {SEVERITY_LABELS[s]}") for s in Severity if s != proposed]
    return [Choice("yes", "Yes, that's right"), *others] if include_yes else others


def severity_keys(proposed: Severity, include_yes: bool) -> tuple[str, ...]:
    """The keys of severity_choices: Severity N is always N, and yes is the proposed severity's own N.

    No key means two things: a caller who presses 2 for Severity 2 gets Severity 2, whatever was proposed.
    """
    others = tuple(str(int(s)) for s in Severity if s != proposed)
    return (str(int(proposed)), *others) if include_yes else others


def confirm_severity(policy: Policy, proposed: Severity, phone: bool) -> Prompt:
    """Tell the severity triage proposes and let the customer confirm or correct it."""
    n = int(proposed)
    text = (
        f"From what you describe, this looks like Severity {n} ({SEVERITY_LABELS[proposed]}). "
        f"Severity {n} means: {policy.definitions[proposed]} Is that right?"
    )
    speak = f"That sounds like severity {n}, {SEVERITY_LABELS[proposed]}. Is that right?"
    hints = ("yes", "no", "severity one", "severity two", "severity three", "severity four")
    choices, keys = severity_choices(proposed, True), severity_keys(proposed, True)
    return with_choices(text, speak, Expect.CHOICE, choices, phone, hints, keys)


def pick_severity(proposed: Severity, phone: bool) -> Prompt:
    """After a plain "no": which severity fits better."""
    hints = ("severity one", "severity two", "severity three", "severity four")
    return with_choices(
        "Which severity fits better?",
        "Which severity fits better?",
        Expect.CHOICE,
        severity_choices(proposed, False),
        phone,
        hints,
        severity_keys(proposed, False),
    )


# ---------------------------------------------------------------- outcomes


def filing() -> Prompt:
    """Interim message while the case is created."""
    return say("One moment while I file your case.")


def filed(
    number: str,
    severity: Severity,
    response_due: datetime,
    fix_due: datetime | None,
    now: datetime,
    policy: Policy,
    phone: bool,
) -> Prompt:
    """A web support request: the case number, its severity and its targets in the customer's terms."""
    tz, n = policy.chat.tz, int(severity)
    respond = f"An engineer will respond {due(response_due, now, tz)}"
    fix = f", and we aim to have it fixed {due(fix_due, now, tz)}" if fix_due is not None else ""
    text = f"I've filed case {number} as Severity {n} ({SEVERITY_LABELS[severity]}). {respond}{fix}."
    speak = f"I've filed case {case_words(number, phone)} as severity {n}. {respond}{fix}."
    return say(text, speak)


def chat_closed(policy: Policy, now: datetime) -> Prompt:
    """Live chat is closed: when it opens next (and why today, on a holiday)."""
    holiday = policy.chat.holidays.name(now.astimezone(policy.chat.tz).date())
    why = f" for {holiday}" if holiday else ""
    return say(f"Live chat with an agent is closed right now{why}; it opens again {chat_opens(policy, now)}.")


def chat_opens(policy: Policy, now: datetime) -> str:
    """When live chat opens next, in the customer's terms: `Monday at 8:00 AM Eastern`."""
    return moment(policy.chat.next_open(now), now, policy.chat.tz)


def sev1_redirect(policy: Policy, number: str) -> Prompt:
    """Chat Sev1: recorded and paged; call the support line now, quoting the case number."""
    line = phone_text(policy.support_phone)
    text = (
        f"This is a Severity 1 outage. I've recorded it as case {number} and paged our on-call engineer. "
        f"Please call our support line now at {line} (24 hours a day) and quote case {number}."
    )
    speak = (
        f"I've recorded case {spell(number)} and paged our on-call engineer. "
        f"Please call our support line now at {spell(line)}."
    )
    return say(text, speak)


def sev1_connect(number: str) -> Prompt:
    """Phone Sev1: say the case number, then connect to the on-call engineer."""
    connecting = "I'm connecting you to our on-call engineer now. Please stay on the line."
    return say(
        f"I've recorded case {number} as Severity 1. {connecting}",
        f"I've recorded case {spell(number)} as severity 1. {connecting}",
    )


def live_agent_joining(number: str | None) -> Prompt:
    """A live agent takes over the chat."""
    about = f" They'll have case {number} in front of them." if number else ""
    return say(
        f"I'm bringing in a live agent; they'll join this chat shortly.{about}",
        "I'm bringing in a live agent. They'll join shortly.",
    )


def offer_agent() -> Prompt:
    """During chat hours: a live agent for questions."""
    return yes_no_prompt(
        "A live agent is available now. Would you like to chat with them about this?",
        "Would you like to chat with a live agent?",
        phone=False,
    )


def anything_else(phone: bool) -> Prompt:
    """After a case or a status answer: another problem, a case status, or goodbye."""
    choices = [
        Choice(FollowUp.PROBLEM, "Report another problem"),
        Choice(FollowUp.STATUS, "Check a case status"),
        Choice(FollowUp.DONE, "That's all"),
    ]
    return with_choices(
        "Is there anything else I can help with?",
        "Anything else I can help with?",
        Expect.CHOICE,
        choices,
        phone,
        ("another problem", "case status", "no", "bye"),
    )


# ---------------------------------------------------------------- commands


def help_text(policy: Policy, phone: bool) -> Prompt:
    """What the bot can do, the chat hours and the phone line."""
    line = phone_text(policy.support_phone)
    person = "reach an engineer for a Severity 1 outage" if phone else "connect you with a live agent"
    text = (
        f"I can file a support case (tell me your K# and the problem), check the status of a case, "
        f'or {person}. You can also say "start over" or "cancel". Live chat agents are '
        f"available {policy.chat.describe()}. For a Severity 1 outage call {line}, 24 hours a day."
    )
    speak = (
        "I can file a support case, check a case status, or help you reach a person. "
        "You can also say start over, or cancel."
    )
    return say(text, speak)


def agent_unavailable(policy: Policy, now: datetime, chat_open: bool) -> Prompt:
    """Chat, no agent possible: closed or busy, when it opens, Sev1 to the phone; we go on."""
    line = phone_text(policy.support_phone)
    if chat_open:
        why = "All our live agents are busy right now."
    else:
        why = f"Live chat is closed right now; it opens {chat_opens(policy, now)}."
    text = (
        f"{why} If your service is down (Severity 1), please call {line}, 24 hours a day. "
        "Otherwise I can take your request now and an engineer will follow up."
    )
    return say(text, f"{why} If your service is down, please call {spell(line)}.")


def phone_person() -> Prompt:
    """Phone: the line's engineers are for Sev1 outages; we go on."""
    text = (
        "The engineers on this line handle Severity 1 outages. If your service is down, tell me and "
        "I'll connect you right away; otherwise I'll file your request and an engineer will follow up."
    )
    return say(text)


def start_over() -> Prompt:
    """Acknowledge a reset."""
    return say("Okay, let's start over.")


def cancelled(last_case: str | None, phone: bool) -> Prompt:
    """End on request; nothing of this intake is recorded."""
    kept = f" Case {last_case} stays open." if last_case else ""
    kept_speak = f" Case {case_words(last_case, phone)} stays open." if last_case else ""
    return say(
        f"No problem, I've cancelled that and nothing was recorded.{kept} Goodbye!",
        f"No problem, I've cancelled that.{kept_speak} Goodbye.",
    )


def goodbye() -> Prompt:
    """The customer is done."""
    return say("Thank you for contacting us. Goodbye!", "Thank you for calling. Goodbye.")


def didnt_hear() -> Prompt:
    """Phone silence, first time."""
    return say("Sorry, I didn't hear anything.")


def no_input_goodbye(policy: Policy) -> Prompt:
    """Phone silence twice: where else to reach us, then goodbye."""
    text = (
        f"I still can't hear you, so I'll end this call. You can reach us on the web at {policy.web_url}, "
        f"with live chat {policy.chat.describe()}, or call back any time. Goodbye."
    )
    hours = policy.chat.describe().replace("-", " to ")  # "Monday to Friday 8:00 AM to 5:00 PM" reads aloud
    speak = (
        "I still can't hear you, so I'll end this call. You can reach us on our website, with live chat "
        f"{hours}, or call back any time. Goodbye."
    )
    return say(text, speak)


def attached(names: Sequence[str], case_number: str | None) -> Prompt:
    """Acknowledge files the customer sent."""
    listed = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    where = f"case {case_number}" if case_number else "your case"
    return say(f"Thanks, I've attached {listed} to {where}.")
