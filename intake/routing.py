"""Routing: (policy, severity, channel, instant, agents online) -> what happens to the case, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from intake.domain import Channel, Outcome, Severity, require_aware
from intake.policy import Policy


@dataclass(frozen=True)
class Decision:
    """The routing verdict for one case at one instant."""

    severity: Severity
    channel: Channel
    channel_open: bool  # chat: live chat within hours and not a holiday; phone: always
    chat_open: bool  # live chat itself open at that instant (whatever the channel)
    outcome: Outcome
    next_chat_open: datetime | None  # None while live chat is open
    response_due: datetime
    fix_due: datetime | None
    offer_live_agent: bool  # during chat hours with an agent available, offer one for questions

    def to_json_dict(self) -> dict[str, object]:
        def iso(at: datetime | None) -> str | None:
            return at.isoformat() if at is not None else None

        return {
            "severity": int(self.severity),
            "channel": self.channel.value,
            "channel_open": self.channel_open,
            "outcome": self.outcome.value,
            "next_chat_open": iso(self.next_chat_open),
            "response_due": iso(self.response_due),
            "fix_due": iso(self.fix_due),
            "offer_live_agent": self.offer_live_agent,
        }


def route(
    policy: Policy,
    *,
    severity: Severity,
    channel: Channel,
    at: datetime,
    agents_online: int = 0,
) -> Decision:
    """Apply the policy's routing table; live chat falls back to a web request when it cannot be served."""
    require_aware(at, "at")
    chat_open = policy.chat.is_open(at)
    outcome = policy.routing[channel][severity]
    # Live chat needs both the hours and a person: otherwise the bot still takes the request.
    if outcome is Outcome.LIVE_CHAT and not (chat_open and agents_online > 0):
        outcome = Outcome.WEB_REQUEST
    response_due, fix_due = policy.due(severity, at)
    return Decision(
        severity=severity,
        channel=channel,
        channel_open=chat_open if channel is Channel.CHAT else True,
        chat_open=chat_open,
        outcome=outcome,
        next_chat_open=None if chat_open else policy.chat.next_open(at),
        response_due=response_due,
        fix_due=fix_due,
        # Only alongside a web request on chat: a Sev1 belongs on the phone, and the phone has no live chat.
        offer_live_agent=channel is Channel.CHAT and chat_open and agents_online > 0 and outcome is Outcome.WEB_REQUEST,
    )
