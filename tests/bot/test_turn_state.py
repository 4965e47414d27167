"""A turn's state and transcript are written together, or not at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from botbuilder.core import ConversationState, MemoryStorage, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from bot.turn_state import DIALOGUE, TRANSCRIBED, TranscriptLines, load_record, save_record, storage_key
from intake.maintenance import Rules, Window
from store.botstate import get_item, swap_item
from store.db import create_engine, session_factory
from store.errors import StorageConflictError
from store.jobs import Jobs
from store.maintenance import schedule_window
from store.models import Account
from store.transcripts import get_transcript
from tests.store.helpers import maintenance_told

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
RULES = Rules()  # 14 days' notice
DESK = ZoneInfo("America/New_York")
ACTIVITY = Activity(
    type=ActivityTypes.message,
    channel_id="directline",
    conversation=ConversationAccount(id="conv-1"),
    from_property=ChannelAccount(id="user-1"),
    recipient=ChannelAccount(id="bot"),
    text="hello",
)


def _lines(text: str) -> TranscriptLines:
    return TranscriptLines(conversation_id="conv-1", channel="directline", at=NOW, lines=[("customer", text)])


async def _transcript(db_url: str) -> list[str]:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            return [line.text for line in await get_transcript(session, conversation_id="conv-1")]
    finally:
        await engine.dispose()


async def test_round_trip(jobs: Jobs, db_url: str) -> None:
    key = storage_key(ACTIVITY)
    assert key == "directline/conversations/conv-1"
    record = await load_record(jobs, key)
    assert record.etag is None and record.data == {} and not record.changed
    record.set(DIALOGUE, {"phase": "ask_problem"})
    await save_record(jobs, record, now=NOW, transcript=_lines("hello"))
    assert not record.changed and record.etag
    again = await load_record(jobs, key)
    assert again.data == {DIALOGUE: {"phase": "ask_problem"}, TRANSCRIBED: "conv-1"} and again.etag == record.etag
    assert await _transcript(db_url) == ["hello"]
    again.set(DIALOGUE, {"phase": "ask_severity"})
    await save_record(jobs, again, now=NOW, transcript=_lines("it is down"))
    assert await _transcript(db_url) == ["hello", "it is down"]


async def test_a_conversation_the_row_says_was_begun_is_not_inserted_again(jobs: Jobs, db_url: str) -> None:
    # The row's word is taken: with no conversations row (never so in use), the lines have nothing to join.
    key = storage_key(ACTIVITY)
    await jobs.write(partial(swap_item, key=key, data={TRANSCRIBED: "conv-1"}, expected=None, now=NOW))
    with pytest.raises(IntegrityError):
        await save_record(jobs, await load_record(jobs, key), now=NOW, transcript=_lines("hello"))
    # Said of another conversation, it is not taken.
    record = await load_record(jobs, key)
    record.set(TRANSCRIBED, "conv-0")
    await save_record(jobs, record, now=NOW, transcript=_lines("hello"))
    assert record.data[TRANSCRIBED] == "conv-1" and await _transcript(db_url) == ["hello"]


async def test_a_stale_turn_writes_neither_state_nor_transcript(jobs: Jobs, db_url: str) -> None:
    key = storage_key(ACTIVITY)
    first, second = await load_record(jobs, key), await load_record(jobs, key)
    first.set(DIALOGUE, {"turn": 1})
    await save_record(jobs, first, now=NOW, transcript=_lines("first"))
    second.set(DIALOGUE, {"turn": 2})
    with pytest.raises(StorageConflictError):
        await save_record(jobs, second, now=NOW, transcript=_lines("second"))
    assert (await load_record(jobs, key)).data == {DIALOGUE: {"turn": 1}, TRANSCRIBED: "conv-1"}
    assert await _transcript(db_url) == ["first"]


async def test_rows_are_interchangeable_with_conversation_state(jobs: Jobs) -> None:
    # Rows written through botbuilder's ConversationState (as earlier versions did) carry on, and back.
    key = storage_key(ACTIVITY)
    memory = MemoryStorage()
    state = ConversationState(memory)
    accessor = state.create_property(DIALOGUE)
    context = TurnContext(TestAdapter(), ACTIVITY)
    await state.load(context)
    await accessor.set(context, {"phase": "ask_account"})
    await state.save_changes(context)
    written = {k: v for k, v in (await memory.read([key]))[key].items() if k != "e_tag"}
    await jobs.write(partial(swap_item, key=key, data=written, expected=None, now=NOW))

    record = await load_record(jobs, key)
    assert record.get(DIALOGUE) == {"phase": "ask_account"}
    record.set(DIALOGUE, {"phase": "done"})
    await save_record(jobs, record, now=NOW)

    item = await jobs.read(partial(get_item, key=key))
    assert item is not None
    await memory.write({key: {**item.data, "e_tag": "*"}})
    fresh = TurnContext(TestAdapter(), ACTIVITY)
    await state.load(fresh, force=True)
    assert await accessor.get(fresh) == {"phase": "done"}


@pytest.mark.parametrize("handoff", [True, False])
async def test_a_turns_read_brings_the_maintenance_to_tell_in_the_rows_own_statement(
    db_url: str, handoff: bool
) -> None:
    # On PostgreSQL each statement is a round trip: the planned maintenance read on every turn costs none.
    engine = create_engine(db_url)
    jobs = Jobs(engine)
    statements: list[str] = []
    try:
        start = NOW + timedelta(days=2)
        window = Window(start=start, end=start + timedelta(hours=4), accounts=frozenset({"K100001"}),
                        components=("viewer",), downtime=True, summary="Database upgrade")  # fmt: skip
        async with session_factory(engine)() as session, session.begin():
            session.add(Account(k_number="K100001", name="Clinic", timezone="", created_at=NOW, updated_at=NOW))
        async with session_factory(engine)() as session, session.begin():
            planned = NOW - timedelta(days=20)  # with the notice the window needs
            await schedule_window(
                session, window=window, override="", actor="ops", at=planned, rules=RULES, desk_tz=DESK
            )
        record = await load_record(jobs, "k", conversation_id="conv-1" if handoff else None)
        record.set(DIALOGUE, {"phase": "ask_problem"})
        await save_record(jobs, record, now=NOW)
        alone = await jobs.read(partial(maintenance_told, at=NOW, rules=RULES))
        if engine.dialect.name == "postgresql":  # SQLite's jobs run on a connection of their own thread
            event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        conversation = "conv-1" if handoff else None
        read = await load_record(jobs, "k", conversation_id=conversation, maintenance=(NOW, RULES))
        assert read.data == {DIALOGUE: {"phase": "ask_problem"}} and read.etag == record.etag
        assert read.maintenance == alone and [note.summary for note in alone] == ["Database upgrade"]
        assert read.maintenance[0].accounts == frozenset({"K100001"}) and read.maintenance[0].start == window.start
        if engine.dialect.name == "postgresql":
            assert len(statements) == 1, statements
    finally:
        await jobs.aclose()
        await engine.dispose()
