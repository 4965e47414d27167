"""A prompt as data: what the bot says, the answer it expects, and the choices offered with their keypad keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from intake.catalog import N_, gettext


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


SORRY = N_("Sorry, I didn't catch that.")
ANSWER_YES_NO = N_("Please answer yes or no.")
CHOOSE_ONE = N_("Please choose one of: {choices}.")
PRESS_KEY = N_("Press {key}.")
PRESS_KEYS = N_("Press {keys}, or {last}.")
# Translators: {digit} is a keypad key, {label} a choice's label ("1 for Everyone / all sites").
KEY_FOR = N_("{digit} for {label}")
YES, NO = N_("Yes"), N_("No")
YES_NO_HINTS = ("yes", "no")  # for the speech recogniser, which hears English


def say(text: str, speak: str | None = None) -> Prompt:
    """A statement that expects no answer."""
    return Prompt(text=text, speak=speak if speak is not None else text, expects=Expect.NONE)


YES_KEY, NO_KEY = "1", "2"


def with_choices(
    text: str,
    speak: str,
    expects: Expect,
    choices: Sequence[Choice],
    phone: bool,
    hints: tuple[str, ...] = (),
    keys: Sequence[str] = (),
    locale: str | None = None,
) -> Prompt:
    """A question offering choices (`text`, `speak` and labels as said); on the phone the keypad digits are said.

    The one place keypad keys are given: `keys` when the answers have keys of their own (Severity N is
    N), else 1, 2, 3 in order. The phone channel reads them from the choices.
    """
    keys = tuple(keys) or tuple(str(i) for i in range(1, len(choices) + 1))
    if len(keys) != len(choices) or len(set(keys)) != len(keys) or not set(keys) <= set("123456789"):
        raise ValueError(f"keypad keys {keys} do not fit {len(choices)} choices")
    listed = tuple(replace(c, digit=k) if phone else c for c, k in zip(choices, keys, strict=True))
    if phone:
        speak = f"{speak} {press_keys(listed, locale)}"
    return Prompt(text, speak, expects, listed, hints or tuple(c.label.lower() for c in listed))


def press_keys(choices: Sequence[Choice], locale: str | None = None) -> str:
    """`Press 1 for Everyone, 2 for Some people, or 3 for Just me.`"""
    key_for = gettext(KEY_FOR, locale)
    parts = [key_for.format(digit=c.digit, label=c.label.replace(":", ",")) for c in choices]
    if len(parts) == 1:
        return gettext(PRESS_KEY, locale).format(key=parts[0])
    return gettext(PRESS_KEYS, locale).format(keys=", ".join(parts[:-1]), last=parts[-1])


def choice_list(choices: Sequence[Choice], locale: str | None = None) -> str:
    """`Please choose one of: Everyone, Some people, Just me.`"""
    return gettext(CHOOSE_ONE, locale).format(choices=", ".join(c.label for c in choices))


def again(prompt: Prompt, locale: str | None = None) -> Prompt:
    """The re-prompt after an answer we could not use: apologise and repeat the choices."""
    extra = ""
    if prompt.expects is Expect.YES_NO:
        extra = " " + gettext(ANSWER_YES_NO, locale)
    elif prompt.choices:
        extra = " " + choice_list(prompt.choices, locale)
    speak_extra = extra if not any(c.digit for c in prompt.choices) else ""
    sorry = gettext(SORRY, locale)
    return replace(prompt, text=f"{sorry} {prompt.text}{extra}", speak=f"{sorry} {prompt.speak}{speak_extra}")


def yes_no_prompt(text: str, speak: str, phone: bool, locale: str | None = None) -> Prompt:
    """A yes/no question (YES_KEY = yes, NO_KEY = no on the keypad)."""
    choices = (Choice("yes", gettext(YES, locale)), Choice("no", gettext(NO, locale)))
    return with_choices(text, speak, Expect.YES_NO, choices, phone, YES_NO_HINTS, (YES_KEY, NO_KEY), locale)
