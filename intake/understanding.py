"""Understanding the customer's words: yes or no, numbers, severities, case numbers, the K#, choices, commands."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from intake import case_numbers
from intake.domain import Severity
from intake.policy import AccountFormat
from intake.prompts import NO_KEY, YES_KEY, Choice

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}


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
    # The first word decides ("yes, and nothing works" is a yes). Failing that, "not" says no only of the
    # proposal itself ("that's not right", "not really"): a sentence about the problem ("something is not
    # working", "there is no way in") answers nothing. Bare numbers count only as the first word.
    if found[0] in _YES | _NO:
        return found[0] in _YES
    if _NOT_SO.search(" ".join(found)):
        return False
    short = len(found) <= _SHORT_REPLY
    if short and any(w in _NO - {"2", "two", "not"} for w in found):
        return False
    if any(w in _YES - {"1", "one"} for w in found):
        return True
    return None


# "not right", "not quite", "isn't correct", "not really": no to what was proposed.
_NOT_SO = re.compile(r"\b(?:not|isn't|isnt)(?: \w+)? (?:right|correct|quite|really|exactly|true|accurate)\b")
_SHORT_REPLY = 5  # words: "actually that's wrong" answers the question; a long message describes a problem


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


_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_CLAUSE = re.compile(r",\s+")
# Words that go on to another matter ("any news on 2611-0042, also the CT is down"), spoken or written.
_ALSO = r"\b(?:also|separately|besides|in addition|another thing|on another note)\b[\s,:;.-]*"
_GOES_ON = re.compile(_ALSO, re.IGNORECASE)
_LEADING_ALSO = re.compile(rf"^(?:{_ALSO})+", re.IGNORECASE)


def beside_status(text: str) -> str:
    """What a message asking after a case says besides, when it says something: its sentences and clauses that
    neither ask a status nor name a case, and what a status clause goes on to after "also" ("Any news on
    2611-0042? Also, every CT fails" and "any news on 2611-0042 also every CT fails" -> "every CT fails")."""
    kept = []
    for sentence in _SENTENCE.split(text.strip()):
        clauses = _CLAUSE.split(sentence) if _about_a_case(sentence) else [sentence]
        for clause in clauses:
            if _about_a_case(clause):
                clause = _GOES_ON.split(clause)[-1] if _GOES_ON.search(clause) else ""
                if _about_a_case(clause):
                    continue
            kept.append(_LEADING_ALSO.sub("", clause.strip()))
    rest = " ".join(part for part in kept if part)
    return rest if has_substance(rest) else ""


def _about_a_case(text: str) -> bool:
    return asks_status(text) or case_number_in(text) is not None
