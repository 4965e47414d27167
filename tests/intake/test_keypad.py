"""Keypad keys: given in one place (prompts.with_choices); when severities are offered, Severity N is key N."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from intake import prompts, understanding, wording
from intake.conversation import step
from intake.dialogue_events import Context, CreateCase, UserTurn
from intake.dialogue_state import Phase, State
from intake.domain import Channel, Severity
from intake.policy import Policy
from tests.intake.test_conversation import SLOW, TUESDAY, Talk, _known, _to_confirmation

POLICY = Policy()
PHONE = Context(POLICY, Channel.PHONE, "call-1", 1)


def _meaning(choice: prompts.Choice, proposed: Severity) -> Severity:
    return proposed if choice.value == "yes" else Severity(int(choice.value.removeprefix("sev")))


@pytest.mark.parametrize("proposed", list(Severity))
@pytest.mark.parametrize("confirming", [True, False], ids=["confirm", "pick"])
def test_the_key_of_severity_n_is_n(proposed: Severity, confirming: bool) -> None:
    prompt = (
        wording.confirm_severity(POLICY, proposed, phone=True)
        if confirming
        else wording.pick_severity(proposed, phone=True)
    )
    keys = [c.digit for c in prompt.choices]
    assert len(set(keys)) == len(keys)  # no key means two things
    for choice in prompt.choices:
        assert choice.digit == str(int(_meaning(choice, proposed)))
        if choice.value != "yes":  # what the caller hears pairs the key with its severity
            assert re.search(rf"\b{choice.digit} for Severity {choice.digit}\b", prompt.speak)
    if confirming:
        assert f"Press {int(proposed)} for Yes" in prompt.speak


def test_chat_buttons_carry_no_keys() -> None:
    assert all(c.digit is None for c in wording.confirm_severity(POLICY, Severity.SEV3, phone=False).choices)


def _at_severity(phase: Phase, proposed: Severity) -> State:
    """A phone call at the severity question with `proposed` on the table (whatever triage said)."""
    talk = _to_confirmation(_known(Talk(Channel.PHONE)), SLOW)
    return replace(talk.state, phase=phase, assessment=replace(talk.state.assessment, severity=int(proposed)))


def _filed(state: State, turn: UserTurn) -> Severity:
    done = step(PHONE, state, turn)
    created = [e for e in done.effects if isinstance(e, CreateCase)]
    assert len(created) == 1, done.prompts
    return created[0].severity


_CONFIRM = [(p, k) for p in Severity for k in Severity]
_PICK = [(p, k) for p, k in _CONFIRM if k is not p]  # after a no, the proposed severity is not offered again


@pytest.mark.parametrize(
    ("phase", "proposed", "key"),
    [(Phase.CONFIRM_SEVERITY, p, k) for p, k in _CONFIRM] + [(Phase.PICK_SEVERITY, p, k) for p, k in _PICK],
)
def test_pressing_n_files_severity_n(phase: Phase, proposed: Severity, key: Severity) -> None:
    state = _at_severity(phase, proposed)
    offered = step(PHONE, state, UserTurn(TUESDAY, "", None)).prompts[-1]  # the question, asked again
    values = {c.digit: c.value for c in offered.choices}
    digits = str(int(key))
    # As the phone line sends a key: the digits, and as text the value the prompt gave that key.
    assert _filed(state, UserTurn(TUESDAY, values[digits], digits)) is key
    # A keypad entry that reached the bot as bare digits means the same.
    assert _filed(state, UserTurn(TUESDAY, digits, digits)) is key


@pytest.mark.parametrize(
    ("proposed", "said", "meant"),
    [(p, said, m) for p in Severity for said, m in (("two", Severity.SEV2), ("4", Severity.SEV4)) if m is not p],
)
def test_a_key_said_aloud_after_a_no_is_that_severity(proposed: Severity, said: str, meant: Severity) -> None:
    assert _filed(_at_severity(Phase.PICK_SEVERITY, proposed), UserTurn(TUESDAY, said, None)) is meant


def test_yes_no_keys_are_the_ones_the_prompt_says() -> None:
    prompt = prompts.yes_no_prompt("Is that right?", "Is that right?", phone=True)
    by_key = {c.digit: c.value for c in prompt.choices}
    assert by_key == {prompts.YES_KEY: "yes", prompts.NO_KEY: "no"}
    assert understanding.yes_no_answer("", prompts.YES_KEY) is True
    assert understanding.yes_no_answer("", prompts.NO_KEY) is False
    assert f"Press {prompts.YES_KEY} for Yes, or {prompts.NO_KEY} for No." in prompt.speak


@pytest.mark.parametrize("keys", [("1",), ("1", "1"), ("0", "2"), ("12", "3")])
def test_keys_that_do_not_fit_the_choices_are_refused(keys: tuple[str, ...]) -> None:
    choices = [prompts.Choice("a", "A"), prompts.Choice("b", "B")]
    with pytest.raises(ValueError, match="keypad keys"):
        prompts.with_choices("?", "?", prompts.Expect.CHOICE, choices, phone=True, keys=keys)
