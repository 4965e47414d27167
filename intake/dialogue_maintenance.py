"""Planned maintenance in the dialogue: an affected customer is told of their window once the K# is known (in its
notice period or under way), and an outage reported during their window is answered with it; the case is
recorded only if they say it is something else.

The windows come in the turn's Context (the bot reads the ones in their notice period or under way); times are
said in the desk's zone, as every other time the dialogue says.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from intake import wording_maintenance as wm
from intake.dialogue_events import Context, Step
from intake.dialogue_state import Phase, State
from intake.domain import Severity
from intake.guided_questions import Triage
from intake.prompts import Prompt

__all__ = ["MAX_TOLD", "ask_in_window", "in_window", "told_on_account"]

MAX_TOLD = 3  # windows told at once; an account with more hears of the nearest


def told_on_account(ctx: Context, k_number: str, at: datetime) -> tuple[Prompt, ...]:
    """What an affected customer hears once the K# is known: each of their windows ahead or under way."""
    notes = sorted(wm.affecting(ctx.maintenance, k_number, at), key=lambda n: n.start)[:MAX_TOLD]
    return tuple(wm.told(note, at, ctx.policy.chat.tz, ctx.locale) for note in notes)


def in_window(ctx: Context, state: State, result: Triage, at: datetime) -> wm.MaintenanceNote | None:
    """The customer's window under way when what they describe is an outage (Sev1/Sev2, as incidents count
    reports), unless they were asked about it already for this problem."""
    if state.assessment.window_asked or not (result.severity <= Severity.SEV2 or result.sev1_signal):
        return None
    under_way = (n for n in wm.affecting(ctx.maintenance, state.k_number, at) if n.under_way(at))
    return min(under_way, key=lambda n: n.end, default=None)


def ask_in_window(
    ctx: Context, state: State, note: wm.MaintenanceNote, at: datetime, lead: tuple[Prompt, ...] = ()
) -> Step:
    """Answer the outage with the window and ask whether it is something else (yes: the case is recorded)."""
    told = wm.told(note, at, ctx.policy.chat.tz, ctx.locale)
    lead = tuple(p for p in lead if p != told)  # said just now on the K#: the answer below says it again
    asked = replace(state, phase=Phase.IN_WINDOW, assessment=replace(state.assessment, window_asked=True))
    answer = wm.outage_in_window(note, at, ctx.policy.chat.tz, ctx.locale)
    return Step((*lead, answer, wm.something_else(ctx.phone, ctx.locale)), asked)
