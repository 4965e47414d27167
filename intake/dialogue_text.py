"""How much of the customer's text the dialogue reads, what the case keeps, and saying so when some is cut."""

from __future__ import annotations

from dataclasses import dataclass, replace

from intake import understanding
from intake import wording as w
from intake.dialogue_events import Context, UserTurn
from intake.dialogue_state import State, Told
from intake.limits import read_part
from intake.prompts import Prompt

__all__ = ["cut_notice", "read_turn", "with_problem"]


@dataclass(frozen=True)
class _ReadTurn(UserTurn):
    """A turn cut to what the dialogue reads (`text`), with the rest of the customer's message (`unread`)."""

    unread: str = ""


def read_turn(ctx: Context, turn: UserTurn) -> UserTurn:
    """The turn as the dialogue reads it: commands, the K# and triage see at most the message limit."""
    head, unread = read_part(turn.text, ctx.policy.text.message)
    return _ReadTurn(**vars(turn) | {"text": head, "unread": unread}) if unread else turn


def _unread(turn: UserTurn) -> str:
    return turn.unread if isinstance(turn, _ReadTurn) else ""


def with_problem(ctx: Context, state: State, said: str, turn: UserTurn) -> State:
    """`said` (read of this turn) added to the problem: triage reads a bounded part, the case keeps all of it."""
    limits, unread, told = ctx.policy.text, _unread(turn), state.told
    read = understanding.tidy(said)
    whole = understanding.tidy(said, unread) if unread else read
    read = read_part(read, max(0, limits.description - _length(told.problem)))[0]
    kept, dropped = told.whole, told.dropped
    room = max(0, limits.kept - _length(kept))
    if len(whole) > room:
        whole, dropped = whole[:room], dropped + len(whole) - room
    problem, kept = (*told.problem, read), (*kept, whole)
    return replace(state, told=Told(problem=problem, kept=kept if kept != problem else (), dropped=dropped))


def _length(words: tuple[str, ...]) -> int:
    return sum(map(len, words)) + len(words)  # as joined by spaces, one to spare


def cut_notice(ctx: Context, before: State, after: State, turn: UserTurn) -> tuple[Prompt, ...]:
    """Say plainly when some of what the customer wrote was not read, or not kept for the case."""
    limits, cut = ctx.policy.text, bool(_unread(turn))
    was, now = before.told.whole, after.told.whole
    if not now or now == was:  # this turn added nothing to the problem
        return (w.text_cut(message=limits.message, locale=ctx.locale),) if cut else ()
    dropped = after.told.dropped > (before.told.dropped if now[: len(was)] == was else 0)
    unread = len(after.told.problem[-1]) < len(now[-1])  # triage reads only part of the newest words
    if not (cut or unread or dropped):
        return ()
    description = limits.description if unread and not cut else None
    kept = limits.kept if dropped else None
    return (
        w.text_cut(
            message=limits.message if cut else None, description=description, kept=kept, saved=True, locale=ctx.locale
        ),
    )
