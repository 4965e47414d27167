"""Customer-facing phrasing of the intake dialogue: prompts for chat and phone, times, numbers, replies."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from intake import case_numbers
from intake.domain import CaseStatus, Severity
from intake.policy import AccountFormat, Policy
from intake.schedule import format_clock, zone_label


class Expect(StrEnum):
    """The kind of answer a prompt waits for (the channel renders it: buttons, keypad, speech)."""

    TEXT = "text"
    YES_NO = "yes_no"
    CHOICE = "choice"
    DIGITS = "digits"
    NONE = "none"


@dataclass(frozen=True)
class Choice:
    """One answer offered to the customer; `digit` is its keypad key on the phone."""

    value: str
    label: str
    digit: str | None = None


@dataclass(frozen=True)
class Prompt:
    """One thing the bot says: chat text, a short speakable version, and what answer it expects."""

    text: str
    speak: str
    expects: Expect
    choices: tuple[Choice, ...] = ()
    hints: tuple[str, ...] = ()
    max_digits: int | None = None


SORRY = "Sorry, I didn't catch that."
YES_NO_HINTS = ("yes", "no")
SEVERITY_LABELS = {
    Severity.SEV1: "service down",
    Severity.SEV2: "severely degraded",
    Severity.SEV3: "minor, not critical",
    Severity.SEV4: "question or change request",
}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
_STATUS_WORDS = {
    CaseStatus.NEW: "new, waiting for an engineer",
    CaseStatus.INCOMPLETE: "incomplete: we are missing some details",
    CaseStatus.IN_PROGRESS: "in progress with an engineer",
    CaseStatus.ESCALATED: "escalated to senior staff",
    CaseStatus.RESOLVED: "resolved",
    CaseStatus.CLOSED: "closed",
}


def say(text: str, speak: str | None = None) -> Prompt:
    """A statement that expects no answer."""
    return Prompt(text=text, speak=speak if speak is not None else text, expects=Expect.NONE)


# ---------------------------------------------------------------- numbers and times


def spell(value: str) -> str:
    """`2611-0042` -> `2 6 1 1, 0 0 4 2`: digit by digit, groups separated by a pause."""
    groups = [g for g in re.split(r"[^0-9A-Za-z]+", value) if g]
    return ", ".join(" ".join(group) for group in groups)


def phone_text(number: str) -> str:
    """`+18005550100` -> `1-800-555-0100`; other forms are shown as configured."""
    match = re.fullmatch(r"\+?1?(\d{3})(\d{3})(\d{4})", re.sub(r"[\s().-]", "", number))
    return f"1-{match.group(1)}-{match.group(2)}-{match.group(3)}" if match else number


def _day(at: datetime, now: datetime, tz: ZoneInfo) -> str:
    """today / tomorrow / yesterday / on Monday (within 6 days) / on Dec 3 (2027 when another year)."""
    local, today = at.astimezone(tz), now.astimezone(tz).date()
    delta = (local.date() - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    if abs(delta) <= 6:
        return f"on {local:%A}"
    year = f", {local.year}" if local.year != today.year else ""
    return f"on {local:%b} {local.day}{year}"


def _clock(at: datetime, tz: ZoneInfo) -> str:
    return f"{format_clock(at.astimezone(tz).time())} {zone_label(tz)}"


def due(at: datetime, now: datetime, tz: ZoneInfo) -> str:
    """`by 10:15 AM Eastern today` / `... tomorrow` / `... on Monday` / `... on Dec 3`."""
    return f"by {_clock(at, tz)} {_day(at, now, tz)}"


def moment(at: datetime, now: datetime, tz: ZoneInfo) -> str:
    """`tomorrow at 8:00 AM Eastern` / `Monday at 8:00 AM Eastern` / `Dec 3 at 8:00 AM Eastern`."""
    return f"{_day(at, now, tz).removeprefix('on ')} at {_clock(at, tz)}"


def case_words(number: str, phone: bool) -> str:
    """How a case number is said: digit by digit on the phone, as is in chat."""
    return spell(number) if phone else number


# ---------------------------------------------------------------- reading the customer's words


def words(text: str) -> list[str]:
    """Lower-case words of a message, punctuation dropped (apostrophes kept: "that's")."""
    return re.findall(r"[a-z0-9']+", text.lower())


_YES = {"yes", "y", "yeah", "yep", "yup", "ya", "correct", "right", "sure", "ok", "okay", "1", "one", "affirmative"}
_NO = {"no", "n", "nope", "nah", "wrong", "incorrect", "not", "2", "two", "negative"}


def yes_no(text: str) -> bool | None:
    """True for yes/yeah/correct/1..., False for no/nope/wrong/2..., None when neither."""
    found = words(text)
    if not found:
        return None
    # The first word decides ("yes, and nothing works" is a yes); failing that, any negation ("that's
    # not right") wins over a yes word in the sentence. Bare numbers count only as the first word.
    if found[0] in _YES | _NO:
        return found[0] in _YES
    if any(w in _NO - {"2", "two"} for w in found):
        return False
    if any(w in _YES - {"1", "one"} for w in found):
        return True
    return None


def number_in(text: str) -> int | None:
    """A single small number in a short answer: `3`, `three`, `option 2`."""
    found = words(text)
    nums = [int(w) if w.isdigit() else _NUMBER_WORDS[w] for w in found if w.isdigit() or w in _NUMBER_WORDS]
    return nums[0] if len(nums) == 1 and len(found) <= 4 else None


# Possessive `\s*+`: two plain `\s*` around an optional "#" split a long run of spaces every way.
_SEVERITY = re.compile(r"\b(?:sev(?:erity)?|priority)\s*+#?\s*+([1-4]|one|two|three|four)\b|\b[sp]([1-4])\b")


def severity_in(text: str) -> Severity | None:
    """`sev 1`, `severity two`, `priority 3`, `S3`, `P2` -> the severity named, if any."""
    match = _SEVERITY.search(text.lower())
    if not match:
        return None
    raw = match.group(1) or match.group(2)
    return Severity(int(raw) if raw.isdigit() else _NUMBER_WORDS[raw])


def case_number_in(text: str) -> str | None:
    """`2611-0042`, `2611 0042`, `26110042`, `2611-10000` -> canonical `2611-0042`, `2611-10000`."""
    return case_numbers.case_number_in(text)


_FILLER = (
    _YES
    | _NO
    | {
        "that's",
        "hi",
        "hello",
        "hey",
        "good",
        "morning",
        "afternoon",
        "evening",
        "my",
        "our",
        "the",
        "a",
        "is",
        "it's",
        "it",
        "its",
        "this",
        "account",
        "number",
        "k",
        "here",
        "thanks",
        "thank",
        "you",
        "please",
        "and",
        "i",
        "am",
        "i'm",
        "we",
        "are",
        "with",
        "from",
        "for",
        "of",
        "customer",
        "id",
    }
)


_GREETING = re.compile(r"^\s*(?:(?:hi|hello|hey|good (?:morning|afternoon|evening))(?: there)?\b[\s,.!:;-]*)+", re.I)


def tidy(text: str, unread: str = "") -> str:
    """The customer's words for the case record, from the first phrase that says something.

    `unread`, the rest of a message too long to read, follows with its spacing evened out and nothing
    more: reading it for substance would cost time in proportion to its length.
    """
    said = _GREETING.sub("", " ".join(text.split()))
    # "my K# is , the viewer ..." once the K# is cut out: leading phrases without substance go.
    start = next((m.start() for m in re.finditer(r"[^.!?;,]+[.!?;,]*", said) if has_substance(m.group())), 0)
    if unread:
        joint = " " if text[-1:].isspace() or unread[:1].isspace() else ""
        said = said + joint + " ".join(unread.split())
    return said[start:].strip(" ,.;:-")


def has_substance(text: str) -> bool:
    """Whether a message says something beyond greetings and the account number (two real words)."""
    return sum(1 for w in words(text) if w not in _FILLER and not w.isdigit()) >= 2


def yes_no_answer(text: str, digits: str | None) -> bool | None:
    """A yes/no answer: keypad YES_KEY / NO_KEY, else the words."""
    if digits:
        return {YES_KEY: True, NO_KEY: False}.get(digits.strip("#*"))
    return yes_no(text)


def match_choice(choices: Sequence[Choice], text: str, digits: str | None) -> Choice | None:
    """A choice by keypad digit, value or label, its value word in a sentence, or its number ("2").

    A number said is the key when the prompt offered keys ("two" after "2 for Severity 2" is Severity 2,
    wherever it stands in the list); in chat, with no keys, it is the position.
    """
    if digits:
        return next((c for c in choices if c.digit == digits.strip("#*")), None)
    said = " ".join(words(text))
    exact = [c for c in choices if said in (c.value.lower(), " ".join(words(c.label)))]
    if exact:
        return exact[0]
    mentioned = [c for c in choices if re.search(rf"\b{re.escape(c.value.lower())}\b", said)]
    if len(mentioned) == 1:
        return mentioned[0]
    position = number_in(text)
    if position is None:
        return None
    if any(c.digit for c in choices):
        return next((c for c in choices if c.digit == str(position)), None)
    return choices[position - 1] if 1 <= position <= len(choices) else None


def split_account(fmt: AccountFormat, text: str, digits: str | None) -> tuple[str | None, str]:
    """The K# in a turn (typed anywhere, or keyed as digits) and the rest of the text."""
    if digits:
        return fmt.from_digits(digits), text
    span = fmt.find_span(text)
    if span:
        found, start, end = span
        return found, f"{text[:start]} {text[end:]}"
    bare = text.strip()
    if re.fullmatch(r"[\d\s#*-]+", bare):  # "123456": the K implied, as on the keypad
        return fmt.from_digits(re.sub(r"[\s-]", "", bare)), ""
    return None, text


class Command(StrEnum):
    """Things the customer can say at any point of the dialogue."""

    START_OVER = "start_over"
    CANCEL = "cancel"
    HELP = "help"
    AGENT = "agent"
    BYE = "bye"


_POLITE = r"^(?:(?:ok|okay|please|just|let's|lets|can we|can you|can i|i want to|i'd like to|i need to)\s+)*"
_PERSON = r"(?:person|human|agent|representative|rep|operator|someone|somebody|people)"
_COMMANDS = (
    (Command.START_OVER, re.compile(_POLITE + r"(?:start (?:over|again)|restart|reset|begin again)(?: please)?$")),
    (
        Command.CANCEL,
        re.compile(_POLITE + r"(?:cancel|never ?mind|forget it|quit|stop|exit)(?: (?:it|this|that|please))*$"),
    ),
    (
        Command.HELP,
        re.compile(_POLITE + r"(?:help|help me|what can you do|what are my options|options|menu)(?: please)?$"),
    ),
    (
        Command.AGENT,
        re.compile(
            rf"\b(?:talk|speak|chat) (?:to|with) (?:(?:a|an|the|some|real|live) )*{_PERSON}\b"
            rf"|{_POLITE}(?:(?:give me|get me|connect me (?:to|with)|transfer me to) )?(?:(?:a|an|the|live|real) )*"
            rf"{_PERSON}(?: please)?$"
        ),
    ),
    (
        Command.BYE,
        re.compile(
            r"^(?:bye|goodbye|good bye|bye bye|that's all|thats all|that is all|no thanks|no thank you|i'm done|"
            r"im done|all done|nothing else)(?: (?:thanks|thank you|bye))*$"
        ),
    ),
)

_STATUS = re.compile(
    r"\b(?:status|update|updates|news|progress)\b (?:on|of|for|about) (?:(?:my|our|the|a|this|that|support) )*"
    r"(?:case|ticket|request)\b"
    r"|\b(?:case|ticket) (?:status|update)\b"
    r"|\bcheck (?:on )?(?:(?:my|our|the|a|support) )+(?:case|ticket)\b"
    r"|\bwhere is (?:my|our) (?:case|ticket)\b"
)
_STATUS_WORD = re.compile(r"\b(?:status|update|updates|news|progress|check|any|where)\b")


_UNSURE = re.compile(r"^(?:i'm |i am |im )?(?:not sure|no idea|don't know|dont know|i don't know|unsure|skip|pass)\b")


def unsure(text: str) -> bool:
    """ "not sure", "don't know", "skip": the customer cannot answer a guided question."""
    return bool(_UNSURE.search(" ".join(words(text))))


def command_in(text: str) -> Command | None:
    """The command a message is, if any (a problem that merely mentions "stop" is not one)."""
    norm = " ".join(words(text))
    return next((cmd for cmd, pattern in _COMMANDS if pattern.search(norm)), None)


def asks_status(text: str) -> bool:
    """ "update on my case", "status of case 2611-0042", "any news on 2611-0042?"."""
    norm = " ".join(words(text))
    return bool(_STATUS.search(norm)) or (case_number_in(text) is not None and bool(_STATUS_WORD.search(norm)))


# ---------------------------------------------------------------- choices


YES_KEY, NO_KEY = "1", "2"


def with_choices(
    text: str,
    speak: str,
    expects: Expect,
    choices: Sequence[Choice],
    phone: bool,
    hints: tuple[str, ...] = (),
    keys: Sequence[str] = (),
) -> Prompt:
    """A question offering choices; on the phone the keypad digits are said.

    The one place keypad keys are given: `keys` when the answers have keys of their own (Severity N is
    N), else 1, 2, 3 in order. The phone channel reads them from the choices.
    """
    keys = tuple(keys) or tuple(str(i) for i in range(1, len(choices) + 1))
    if len(keys) != len(choices) or len(set(keys)) != len(keys) or not set(keys) <= set("123456789"):
        raise ValueError(f"keypad keys {keys} do not fit {len(choices)} choices")
    listed = tuple(replace(c, digit=k) if phone else c for c, k in zip(choices, keys, strict=True))
    if phone:
        speak = f"{speak} {press_keys(listed)}"
    return Prompt(text, speak, expects, listed, hints or tuple(c.label.lower() for c in listed))


def press_keys(choices: Sequence[Choice]) -> str:
    """`Press 1 for Everyone, 2 for Some people, or 3 for Just me.`"""
    parts = [f"{c.digit} for {c.label.replace(':', ',')}" for c in choices]
    joined = ", ".join(parts[:-1]) + f", or {parts[-1]}" if len(parts) > 1 else parts[0]
    return f"Press {joined}."


def choice_list(choices: Sequence[Choice]) -> str:
    """`Please choose one of: Everyone, Some people, Just me.`"""
    return "Please choose one of: " + ", ".join(c.label for c in choices) + "."


def again(prompt: Prompt) -> Prompt:
    """The re-prompt after an answer we could not use: apologise and repeat the choices."""
    extra = ""
    if prompt.expects is Expect.YES_NO:
        extra = " Please answer yes or no."
    elif prompt.choices:
        extra = " " + choice_list(prompt.choices)
    speak_extra = extra if not any(c.digit for c in prompt.choices) else ""
    return replace(prompt, text=f"{SORRY} {prompt.text}{extra}", speak=f"{SORRY} {prompt.speak}{speak_extra}")


def yes_no_prompt(text: str, speak: str, phone: bool) -> Prompt:
    """A yes/no question (YES_KEY = yes, NO_KEY = no on the keypad)."""
    choices = (Choice("yes", "Yes"), Choice("no", "No"))
    return with_choices(text, speak, Expect.YES_NO, choices, phone, YES_NO_HINTS, keys=(YES_KEY, NO_KEY))


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
        Choice("problem", "Report another problem"),
        Choice("status", "Check a case status"),
        Choice("done", "That's all"),
    ]
    return with_choices(
        "Is there anything else I can help with?",
        "Anything else I can help with?",
        Expect.CHOICE,
        choices,
        phone,
        ("another problem", "case status", "no", "bye"),
    )


# ---------------------------------------------------------------- case status


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


def status_found(case: CaseSummaryLike, now: datetime, policy: Policy, phone: bool) -> Prompt:
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


class CaseSummaryLike(Protocol):
    """What `status_found` reads of a case (conversation.CaseSummary), without a circular import."""

    @property
    def number(self) -> str: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def status(self) -> CaseStatus: ...
    @property
    def summary(self) -> str: ...
    @property
    def last_update(self) -> datetime: ...
    @property
    def last_update_text(self) -> str: ...
    @property
    def response_due(self) -> datetime: ...
    @property
    def fix_due(self) -> datetime | None: ...
