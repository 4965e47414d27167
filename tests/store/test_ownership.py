"""Which conversations the service's own channels own: the check behind /api/messages' 403."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from store.db import SessionMaker
from store.jobs import Jobs
from store.models import CallRecord, DirectLineConversation
from store.ownership import owned_by_built_in_channel

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def _owned(jobs: Jobs, conversation_id: str) -> bool:
    return await jobs.read(partial(owned_by_built_in_channel, conversation_id=conversation_id))


async def test_a_website_or_phone_conversation_is_owned_and_any_other_is_not(
    jobs: Jobs, session_maker: SessionMaker
) -> None:
    async with session_maker() as session, session.begin():
        session.add(DirectLineConversation(id="dl-conv-1", user_id="dl_user", created_at=NOW))
        # A call id of any shape: the store, not the id's pattern, says it is the phone line's.
        session.add(CallRecord(call_sid="call-7", started_at=NOW))
    assert await _owned(jobs, "dl-conv-1")
    assert await _owned(jobs, "call-7")
    assert not await _owned(jobs, "someone-elses-conversation")
    assert not await _owned(jobs, "dl-conv-")  # exact ids only
