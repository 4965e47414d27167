"""Signed links: only our own, unaltered, for the purpose at hand and not expired, are read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.links import MAX_TOKEN_CHARS, BadLinkError, make_token, read_token
from tests.store.helpers import T0

SECRET = "s" * 40


def _token(**more: object) -> str:
    values: dict[str, object] = {
        "secret": SECRET,
        "purpose": "answer",
        "subject": "42",
        "expires": T0 + timedelta(days=1),
    }
    values.update(more)
    return make_token(**values)  # type: ignore[arg-type]


def test_a_token_names_its_subject_until_it_expires() -> None:
    token = _token()
    assert read_token(token, secret=SECRET, purpose="answer", now=T0) == "42"
    with pytest.raises(BadLinkError, match="expired"):
        read_token(token, secret=SECRET, purpose="answer", now=T0 + timedelta(days=1))


@pytest.mark.parametrize(
    ("token", "purpose", "why"),
    [
        (_token(secret="t" * 40), "answer", "signature"),  # signed with another key
        (_token(purpose="unsubscribe"), "answer", "something else"),  # an opt-out link used to answer a case
        (_token().replace(".", "x.", 1), "answer", "signature|not a link"),  # body altered
        ("a" * (MAX_TOKEN_CHARS + 1), "answer", "not a link"),
        ("no-dot", "answer", "not a link"),
        ("!!.??", "answer", "not a link|signature"),
    ],
)
def test_foreign_altered_or_misdirected_tokens_are_refused(token: str, purpose: str, why: str) -> None:
    with pytest.raises(BadLinkError, match=why):
        read_token(token, secret=SECRET, purpose=purpose, now=T0)


def test_a_token_carries_nothing_readable_but_ids() -> None:
    token = _token(subject="7")
    assert "K123" not in token and len(token) < MAX_TOKEN_CHARS
