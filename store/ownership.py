"""Whether one of the service's own channels (the website's Direct Line gateway, the phone line) owns a
conversation: asked on every `POST /api/messages` turn, so it is one prebuilt statement in one store job."""

from __future__ import annotations

from sqlalchemy import Table, bindparam, exists, or_, select
from sqlalchemy.engine import Connection

from store.jobs import fetch
from store.models import CallRecord, DirectLineConversation

_DIRECTLINE: Table = DirectLineConversation.__table__  # type: ignore[attr-defined]
_CALLS: Table = CallRecord.__table__  # type: ignore[attr-defined]

# Both primary keys in one statement: always one row.
_OWNED = select(
    or_(
        exists().where(_DIRECTLINE.c.id == bindparam("conversation_id")),
        exists().where(_CALLS.c.call_sid == bindparam("conversation_id")),
    )
)


def owned_by_built_in_channel(conn: Connection, conversation_id: str) -> bool:
    """True if a Direct Line conversation or a phone call of this service has the id `conversation_id`."""
    return bool(fetch(conn, _OWNED, {"conversation_id": conversation_id})[0][0])
