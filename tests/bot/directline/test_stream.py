"""The stream hub answers a stream's read from what its process wrote only when that is the whole story."""

from __future__ import annotations

from collections.abc import Callable

from bot.directline.stream import CHANNEL, RECENT, StreamHub
from store.db import create_engine, session_factory
from store.models import DirectLineActivityPublic
from store.notify import LocalBus

CONVERSATION = "c1"


class _OtherProcesses(LocalBus):
    """A notice bus whose only news is what a test says another process wrote."""

    distributed = True

    def __init__(self) -> None:
        self._handlers: list[Callable[[str], None]] = []

    def subscribe(self, channel: str, handler: Callable[[str], None]) -> None:
        assert channel == CHANNEL
        self._handlers.append(handler)

    def wrote(self, conversation_id: str, seq: int) -> None:
        for handler in self._handlers:
            handler(f"{conversation_id} {seq}")


def _hub(bus: _OtherProcesses | None = None) -> StreamHub:
    # The hub reads the store only in poll_once, which these tests do not call.
    return StreamHub(session_factory(create_engine("sqlite+aiosqlite:///:memory:")), bus or _OtherProcesses())


def _activity(seq: int) -> DirectLineActivityPublic:
    return DirectLineActivityPublic(seq=seq, activity_id=f"{CONVERSATION}|{seq:07d}", body={"n": seq})


def _seqs(batch: list[DirectLineActivityPublic] | None) -> list[int] | None:
    return None if batch is None else [activity.seq for activity in batch]


def test_what_this_process_wrote_answers_a_stream_that_is_right_behind() -> None:
    hub = _hub()
    with hub.subscribe(CONVERSATION):
        assert hub.recent(CONVERSATION, 0) is None  # nothing heard yet: only the store can tell
        hub.notify(CONVERSATION, 3, [_activity(3)])
        hub.notify(CONVERSATION, 5, [_activity(4), _activity(5)])
        hub.notify(CONVERSATION, 4, [_activity(4)])  # a resend answered with the activity stored before
        assert _seqs(hub.recent(CONVERSATION, 2)) == [3, 4, 5]
        assert _seqs(hub.recent(CONVERSATION, 4)) == [5]
        assert hub.recent(CONVERSATION, 5) == []  # nothing newer is known
        assert hub.recent(CONVERSATION, 1) is None  # position 2 was never seen here


def test_another_process_writing_in_between_sends_the_stream_to_the_store() -> None:
    others = _OtherProcesses()
    hub = _hub(others)
    with hub.subscribe(CONVERSATION):
        hub.notify(CONVERSATION, 3, [_activity(3)])
        hub.notify(CONVERSATION, 5, [_activity(5)])  # 4 was written elsewhere
        assert hub.recent(CONVERSATION, 2) is None
        hub.notify(CONVERSATION, 6, [_activity(6)])
        others.wrote(CONVERSATION, 7)  # position 7 is not in memory
        assert hub.recent(CONVERSATION, 5) is None


def test_an_updated_or_deleted_activity_is_read_from_the_store() -> None:
    hub = _hub()
    with hub.subscribe(CONVERSATION):
        hub.notify(CONVERSATION, 3, [_activity(3)])
        hub.forget(CONVERSATION)
        assert hub.recent(CONVERSATION, 2) is None


def test_memory_is_bounded_and_dropped_with_the_last_stream() -> None:
    hub = _hub()
    with hub.subscribe(CONVERSATION):
        for seq in range(1, RECENT + 11):
            hub.notify(CONVERSATION, seq, [_activity(seq)])
        assert hub.recent(CONVERSATION, 0) is None  # the oldest were let go
        assert len(hub.recent(CONVERSATION, 10) or []) == RECENT
    with hub.subscribe(CONVERSATION):
        assert hub.recent(CONVERSATION, RECENT + 9) is None  # a new stream starts from the store
    hub.notify(CONVERSATION, 99, [_activity(99)])  # no stream here: nothing is kept
    with hub.subscribe(CONVERSATION):
        assert hub.recent(CONVERSATION, 98) is None
