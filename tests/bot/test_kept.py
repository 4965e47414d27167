"""The bounded memory of facts that never change."""

from __future__ import annotations

import pytest

from bot.kept import Kept


def test_keeps_up_to_its_limit_and_forgets_the_entry_kept_longest_ago() -> None:
    kept: Kept[str, int] = Kept(2)
    kept.keep("a", 1)
    kept.keep("b", 2)
    assert kept.get("a") == 1 and "b" in kept

    kept.keep("c", 3)

    assert len(kept) == 2
    assert "a" not in kept and kept.get("a") is None
    assert kept.get("b") == 2 and kept.get("c") == 3


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Kept(0)
