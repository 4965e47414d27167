"""`intake serve`'s preparation before its port opens."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.server import settle_before_serving
from intake import triage_model


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Hand the objects frozen by the test back to the collector, so other tests run as they would alone."""
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_the_model_is_read_and_what_lives_as_long_as_the_process_is_kept_from_the_collector() -> None:
    triage_model.default_model.cache_clear()

    settle_before_serving()

    assert triage_model.default_model.cache_info().currsize == 1  # read before any customer's turn
    assert gc.get_freeze_count() > 10_000  # the imported libraries and the app, at least
