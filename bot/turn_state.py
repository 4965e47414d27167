"""A conversation's stored state: read once when a turn starts, written once when it ends.

botbuilder's ConversationState would read the row, hash it several times, jsonpickle it and write it in a
transaction of its own, and the transcript would need another. Here the turn's state and its transcript
lines are committed together, in one store job, before any reply leaves, or with the replies where the
channel stores them in this database (the website: StateCommit); a redelivered activity finds its replies in
the same row.

Rows keep ConversationState's key and layout, so the two stay interchangeable on one table.

Whether a live agent has the conversation is the handoffs table's to say (store/handoffs.py), read in the
same transaction as the row. Rows written by earlier releases may still carry a "handed_off" flag: it is
ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from botbuilder.schema import Activity
from sqlalchemy.engine import Connection

from intake.maintenance import Rules
from intake.wording_maintenance import MaintenanceNote
from store.botstate import get_item, get_item_handed_off, get_item_with, swap_item
from store.jobs import Jobs
from store.maintenance_notes import notes_of, telling_json, telling_params
from store.transcripts import add_lines

# Properties of the conversation's row.
DIALOGUE = "intake"  # the intake state machine's State.to_dict()
LAST_TURN = "last_turn"  # {"id": activity id, "replies": [activity JSON]}: answers a redelivery
# The ids of the activities answered lately, oldest first, the last turn's included: an older one delivered
# again is over, whatever the dialogue asks now (see answered_before).
ANSWERED = "answered"
MAX_ANSWERED = 64  # a conversation's turns the row remembers; a real intake has a dozen or two
# The conversation whose transcript (its conversations row, never deleted) a save of this row began, written
# in that save's transaction: later turns add their lines without asking for the row again.
TRANSCRIBED = "transcribed"

# turn_state keys. Set by a channel's adapter that stores the bot's replies in this database (the website's
# gateway): the turn's state may be committed with its replies, in the transaction storing them.
COMMITS_WITH_REPLIES = "intake.commits_with_replies"
# The turn's StateCommit, left for that adapter's send_activities to take.
STATE_COMMIT = "intake.state_commit"


def storage_key(activity: Activity) -> str:
    """The row of the activity's conversation (botbuilder ConversationState's key)."""
    return f"{activity.channel_id}/conversations/{activity.conversation.id}"


@dataclass
class ConversationRecord:
    """The conversation's properties as read at the start of the turn, and the eTag they were read at."""

    key: str
    data: dict[str, Any] = field(default_factory=dict)
    etag: str | None = None
    changed: bool = False
    # Read with the row when asked for (load_record's conversation_id), never stored in it: the conversation
    # has a queued or active handoff, so its customer's messages are the agent's.
    handed_off: bool = False
    # Read with the row when asked for (load_record's maintenance), never stored in it: the planned maintenance
    # in its notice period or under way, which the dialogue tells affected customers of.
    maintenance: tuple[MaintenanceNote, ...] = ()

    def get(self, name: str) -> Any:
        return self.data.get(name)

    def set(self, name: str, value: Any) -> None:
        self.data[name] = value
        self.changed = True

    def discard(self, name: str) -> None:
        if name in self.data:
            del self.data[name]
            self.changed = True


@dataclass(frozen=True)
class TranscriptLines:
    """What a turn adds to the conversation's transcript."""

    conversation_id: str
    channel: str
    at: datetime
    lines: Sequence[tuple[str, str]]
    activity: Mapping[str, Any] | None = None  # the activity the first line stands for, kept with it


def remember_turn(record: ConversationRecord, activity_id: str, replies: list[dict[str, Any]]) -> None:
    """Keep the turn's answer for a redelivery of `activity_id`, and the id among those answered."""
    record.set(LAST_TURN, {"id": activity_id, "replies": replies})
    earlier = [i for i in record.get(ANSWERED) or [] if isinstance(i, str) and i != activity_id]
    record.set(ANSWERED, [*earlier[-(MAX_ANSWERED - 1) :], activity_id])


def answered_before(record: ConversationRecord, activity_id: str) -> bool:
    """True when `activity_id` had its turn before the last one.

    A recovery sweep takes over a turn its slow (not dead) process had already answered, or a client resends
    an older message: by then the conversation may have moved on, and the dialogue would take the old words
    as an answer to what it asks now (in the storm, a second proposal then a second case on the resent yes).
    """
    answered = record.get(ANSWERED)
    return isinstance(answered, list) and activity_id in answered


async def load_record(
    jobs: Jobs,
    key: str,
    *,
    conversation_id: str | None = None,
    maintenance: tuple[datetime, Rules] | None = None,
) -> ConversationRecord:
    """Read the conversation's row (an empty record for a new conversation).

    With `conversation_id`, whether the conversation is handed off too, in the same statement. With
    `maintenance` (an instant and the rules), the windows to tell customers of then, in the same transaction.
    """
    return await jobs.lookup(partial(_load, key=key, conversation_id=conversation_id, maintenance=maintenance))


def _load(
    conn: Connection, *, key: str, conversation_id: str | None, maintenance: tuple[datetime, Rules] | None
) -> ConversationRecord:
    notes: tuple[MaintenanceNote, ...] = ()
    if maintenance is not None:  # in the same statement as the row
        also, params = telling_json(conn.dialect.name), telling_params(*maintenance)
        item, handed_off, found = get_item_with(conn, key, also, params, conversation_id=conversation_id)
        notes = notes_of(found)
    elif conversation_id is None:
        item, handed_off = get_item(conn, key), False
    else:
        item, handed_off = get_item_handed_off(conn, key, conversation_id=conversation_id)
    record = ConversationRecord(key=key, handed_off=handed_off, maintenance=notes)
    if item is not None:
        record.data, record.etag = dict(item.data), item.etag
    return record


async def save_record(
    jobs: Jobs,
    record: ConversationRecord,
    *,
    now: datetime,
    transcript: TranscriptLines | None = None,
    only_if: Callable[[Connection], bool] | None = None,
) -> bool:
    """Write the record and the turn's transcript lines in one transaction.

    `only_if` runs first in that transaction, with writes of its own (waking a live agent's console): when
    it returns False, neither the record nor the lines are written and save_record returns False.
    Raises store.errors.StorageConflictError when another turn wrote the conversation since it was read;
    then nothing is written.
    """
    etag = await jobs.write(partial(_save, record=record, now=now, transcript=transcript, only_if=only_if))
    if etag is None:
        return False
    _saved(record, etag, transcript)
    return True


@dataclass
class StateCommit:
    """The turn's state and transcript write, handed to the channel that stores its replies (COMMITS_WITH_REPLIES):
    the channel runs it in the transaction storing them, so the replies and what they were said from are
    committed together or not at all. Raises as save_record does; then nothing of either is written."""

    record: ConversationRecord
    now: datetime
    transcript: TranscriptLines | None = None
    etag: str | None = None  # the record's new eTag, once written

    def run(self, conn: Connection) -> None:
        """Write, in the channel's transaction (again, if the channel retries it)."""
        self.etag = _save(conn, record=self.record, now=self.now, transcript=self.transcript, only_if=None)

    def committed(self) -> None:
        """The channel's transaction has committed: the record is as stored."""
        if self.etag is None:
            raise RuntimeError("the channel stored the replies without the turn's state")
        _saved(self.record, self.etag, self.transcript)


def _saved(record: ConversationRecord, etag: str, transcript: TranscriptLines | None) -> None:
    if transcript is not None and transcript.lines:
        record.data[TRANSCRIBED] = transcript.conversation_id
    record.etag = etag
    record.changed = False


def _save(
    conn: Connection,
    *,
    record: ConversationRecord,
    now: datetime,
    transcript: TranscriptLines | None,
    only_if: Callable[[Connection], bool] | None,
) -> str | None:
    if only_if is not None and not only_if(conn):
        return None
    if transcript is None or not transcript.lines:
        return swap_item(conn, record.key, record.data, expected=record.etag, now=now)
    begun = record.data.get(TRANSCRIBED) == transcript.conversation_id
    data = record.data if begun else {**record.data, TRANSCRIBED: transcript.conversation_id}
    etag = swap_item(conn, record.key, data, expected=record.etag, now=now)
    add_lines(
        conn,
        conversation_id=transcript.conversation_id,
        channel=transcript.channel,
        at=transcript.at,
        lines=transcript.lines,
        activity=transcript.activity,
        begun=begun,
    )
    return etag
