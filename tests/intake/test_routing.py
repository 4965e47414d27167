"""Boundary tables for intake.routing.route: default routing, live-chat fallback, Decision fields."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.domain import Channel, NaiveDatetimeError, Outcome, PolicyError, Severity
from intake.policy import (
    DEFAULT_ROUTING,
    DEFAULT_SLA,
    Policy,
    SlaClock,
    SlaTarget,
    parse_routing,
)
from intake.routing import Decision, route
from intake.schedule import default_chat_schedule, parse_holidays

ET = ZoneInfo("America/New_York")

CHAT, PHONE = Channel.CHAT, Channel.PHONE
SEV1, SEV2, SEV3, SEV4 = Severity.SEV1, Severity.SEV2, Severity.SEV3, Severity.SEV4
PHONE_ENGINEER, REDIRECT_PHONE = Outcome.PHONE_ENGINEER, Outcome.REDIRECT_PHONE
WEB_REQUEST, LIVE_CHAT = Outcome.WEB_REQUEST, Outcome.LIVE_CHAT

DEFAULT = Policy()
US = Policy(chat=default_chat_schedule(parse_holidays("US")))

# 2026: Wed 07-15, Fri 07-17, Sat 07-18, Mon 07-20; Thu 11-26 Thanksgiving; Fri 12-25 Christmas.
OPEN = datetime(2026, 7, 15, 10, 0, tzinfo=ET)  # Wednesday 10:00 EDT
CLOSED_NIGHT = datetime(2026, 7, 15, 20, 0, tzinfo=ET)  # Wednesday 20:00 EDT
WEEKEND = datetime(2026, 7, 18, 10, 0, tzinfo=ET)  # Saturday
THANKSGIVING = datetime(2026, 11, 26, 10, 0, tzinfo=ET)  # Thursday, a weekday


def et(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=ET)


def z(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    assert at.tzinfo is not None
    return at


def decide(severity: Severity, channel: Channel, at: datetime, agents: int = 0, policy: Policy = DEFAULT) -> Decision:
    return route(policy, severity=severity, channel=channel, at=at, agents_online=agents)


# --------------------------------------------------------------------------------------------------------
# The default routing table (POLICY.md "What the bot does with each severity")
# --------------------------------------------------------------------------------------------------------

DEFAULT_TABLE = [
    # channel, severity, outcome when chat is open with an agent online, outcome otherwise
    (CHAT, SEV1, REDIRECT_PHONE, REDIRECT_PHONE),
    (CHAT, SEV2, WEB_REQUEST, WEB_REQUEST),
    (CHAT, SEV3, WEB_REQUEST, WEB_REQUEST),
    (CHAT, SEV4, LIVE_CHAT, WEB_REQUEST),
    (PHONE, SEV1, PHONE_ENGINEER, PHONE_ENGINEER),
    (PHONE, SEV2, WEB_REQUEST, WEB_REQUEST),
    (PHONE, SEV3, WEB_REQUEST, WEB_REQUEST),
    (PHONE, SEV4, WEB_REQUEST, WEB_REQUEST),
]


@pytest.mark.parametrize(("channel", "severity", "served", "unserved"), DEFAULT_TABLE)
@pytest.mark.parametrize(
    ("at", "agents", "served_now"),
    [
        (OPEN, 1, True),
        (OPEN, 3, True),
        (OPEN, 0, False),  # hours but nobody online
        (CLOSED_NIGHT, 1, False),  # an agent online outside the hours does not open chat
        (WEEKEND, 2, False),
        (THANKSGIVING, 2, True),  # no holidays in the default policy
    ],
)
def test_default_routing_table(
    channel: Channel,
    severity: Severity,
    served: Outcome,
    unserved: Outcome,
    at: datetime,
    agents: int,
    served_now: bool,
) -> None:
    assert decide(severity, channel, at, agents).outcome is (served if served_now else unserved)


def test_default_routing_constant_matches_policy_md() -> None:
    assert {ch: dict(table) for ch, table in DEFAULT_ROUTING.items()} == {
        CHAT: {SEV1: REDIRECT_PHONE, SEV2: WEB_REQUEST, SEV3: WEB_REQUEST, SEV4: LIVE_CHAT},
        PHONE: {SEV1: PHONE_ENGINEER, SEV2: WEB_REQUEST, SEV3: WEB_REQUEST, SEV4: WEB_REQUEST},
    }


@pytest.mark.parametrize(
    ("policy", "at", "agents", "outcome"),
    [
        # Chat Sev4 is live_chat only when chat is open AND agents_online > 0.
        (DEFAULT, et(2026, 7, 15, 7, 59, 59), 1, WEB_REQUEST),
        (DEFAULT, et(2026, 7, 15, 8, 0, 0), 1, LIVE_CHAT),
        (DEFAULT, et(2026, 7, 15, 16, 59, 59), 1, LIVE_CHAT),
        (DEFAULT, et(2026, 7, 15, 17, 0, 0), 1, WEB_REQUEST),
        (DEFAULT, et(2026, 7, 15, 12, 0, 0), 0, WEB_REQUEST),
        (DEFAULT, et(2026, 7, 15, 12, 0, 0), -1, WEB_REQUEST),
        (DEFAULT, et(2026, 7, 17, 17, 0, 0), 5, WEB_REQUEST),  # Friday close
        (DEFAULT, et(2026, 7, 19, 12, 0, 0), 5, WEB_REQUEST),  # Sunday
        # UTC input and the DST weeks: 08:00 New York is 12:00Z in summer and 13:00Z in winter.
        (DEFAULT, z("2026-03-09T11:59:59Z"), 1, WEB_REQUEST),
        (DEFAULT, z("2026-03-09T12:00:00Z"), 1, LIVE_CHAT),
        (DEFAULT, z("2026-11-02T12:00:00Z"), 1, WEB_REQUEST),
        (DEFAULT, z("2026-11-02T12:59:59Z"), 1, WEB_REQUEST),
        (DEFAULT, z("2026-11-02T13:00:00Z"), 1, LIVE_CHAT),
        (DEFAULT, z("2026-01-15T12:59:59Z"), 1, WEB_REQUEST),
        (DEFAULT, z("2026-07-15T12:00:00Z"), 1, LIVE_CHAT),
        # Holidays when configured.
        (US, THANKSGIVING, 3, WEB_REQUEST),
        (US, et(2026, 12, 25, 12), 3, WEB_REQUEST),
        (US, et(2026, 12, 24, 12), 3, LIVE_CHAT),
        (DEFAULT, THANKSGIVING, 3, LIVE_CHAT),
    ],
)
def test_chat_sev4_needs_hours_and_an_agent(policy: Policy, at: datetime, agents: int, outcome: Outcome) -> None:
    assert decide(SEV4, CHAT, at, agents, policy).outcome is outcome


# --------------------------------------------------------------------------------------------------------
# channel_open, chat_open, next_chat_open
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "at", "chat_open", "next_chat_open"),
    [
        (DEFAULT, OPEN, True, None),
        (DEFAULT, et(2026, 7, 15, 8, 0, 0), True, None),
        (DEFAULT, et(2026, 7, 15, 7, 59, 59), False, et(2026, 7, 15, 8)),
        (DEFAULT, et(2026, 7, 15, 16, 59, 59), True, None),
        (DEFAULT, et(2026, 7, 15, 17, 0, 0), False, et(2026, 7, 16, 8)),
        (DEFAULT, CLOSED_NIGHT, False, et(2026, 7, 16, 8)),
        (DEFAULT, et(2026, 7, 17, 17, 0, 0), False, et(2026, 7, 20, 8)),  # Friday 17:00 -> Monday 08:00
        (DEFAULT, WEEKEND, False, et(2026, 7, 20, 8)),
        (DEFAULT, et(2026, 3, 6, 17), False, z("2026-03-09T12:00:00Z")),  # into summer time
        (DEFAULT, et(2026, 10, 30, 17), False, z("2026-11-02T13:00:00Z")),  # into winter time
        (DEFAULT, THANKSGIVING, True, None),
        (US, THANKSGIVING, False, et(2026, 11, 27, 8)),
        (US, et(2026, 11, 25, 17), False, et(2026, 11, 27, 8)),
        (US, et(2026, 12, 24, 17), False, et(2026, 12, 28, 8)),
    ],
)
@pytest.mark.parametrize("severity", list(Severity))
def test_channel_open_and_next_chat_open(
    policy: Policy, at: datetime, chat_open: bool, next_chat_open: datetime | None, severity: Severity
) -> None:
    on_chat = decide(severity, CHAT, at, 1, policy)
    on_phone = decide(severity, PHONE, at, 1, policy)
    assert on_chat.chat_open is chat_open
    assert on_chat.channel_open is chat_open  # chat: within hours and not a holiday
    assert on_phone.chat_open is chat_open
    assert on_phone.channel_open is True  # the phone line is 24x7
    assert on_chat.next_chat_open == next_chat_open
    assert on_phone.next_chat_open == next_chat_open
    if next_chat_open is not None:
        assert on_chat.next_chat_open is not None
        assert on_chat.next_chat_open > at
        assert on_chat.next_chat_open.utcoffset() == next_chat_open.astimezone(ET).utcoffset()


# --------------------------------------------------------------------------------------------------------
# offer_live_agent
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "channel", "at", "agents", "offer"),
    [
        (SEV2, CHAT, OPEN, 1, True),
        (SEV3, CHAT, OPEN, 2, True),
        (SEV1, CHAT, OPEN, 1, False),  # a Sev1 goes to the phone line now, not to a chat queue
        (SEV2, CHAT, OPEN, 0, False),  # nobody online
        (SEV2, CHAT, CLOSED_NIGHT, 1, False),  # outside hours
        (SEV2, CHAT, WEEKEND, 1, False),
        (SEV2, CHAT, et(2026, 7, 15, 7, 59, 59), 1, False),
        (SEV2, CHAT, et(2026, 7, 15, 8, 0, 0), 1, True),
        (SEV2, CHAT, et(2026, 7, 15, 16, 59, 59), 1, True),
        (SEV2, CHAT, et(2026, 7, 15, 17, 0, 0), 1, False),
        (SEV4, CHAT, OPEN, 1, False),  # already live_chat: nothing more to offer
        (SEV4, CHAT, OPEN, 0, False),  # web_request for want of an agent: still nobody to offer
        (SEV4, CHAT, WEEKEND, 1, False),
        (SEV2, PHONE, OPEN, 1, False),  # the phone line has no live chat to offer
        (SEV4, PHONE, OPEN, 1, False),  # phone Sev4 is a web_request; no live chat on a call
        (SEV2, PHONE, CLOSED_NIGHT, 1, False),
        (SEV1, PHONE, WEEKEND, 4, False),
    ],
)
def test_offer_live_agent(severity: Severity, channel: Channel, at: datetime, agents: int, offer: bool) -> None:
    decision = decide(severity, channel, at, agents)
    assert decision.offer_live_agent is offer
    assert not (decision.offer_live_agent and decision.outcome is LIVE_CHAT)


def test_offer_live_agent_is_off_on_a_configured_holiday() -> None:
    assert decide(SEV2, CHAT, THANKSGIVING, 3, DEFAULT).offer_live_agent is True
    assert decide(SEV2, CHAT, THANKSGIVING, 3, US).offer_live_agent is False


# --------------------------------------------------------------------------------------------------------
# Due times on the decision
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "response", "fix"),
    [
        (SEV1, "2026-07-15T14:15:00+00:00", "2026-07-15T22:00:00+00:00"),
        (SEV2, "2026-07-15T15:00:00+00:00", "2026-07-16T14:00:00+00:00"),
        (SEV3, "2026-07-16T14:00:00+00:00", "2026-07-20T14:00:00+00:00"),
        (SEV4, "2026-07-17T14:00:00+00:00", None),
    ],
)
@pytest.mark.parametrize("channel", list(Channel))
def test_due_times(severity: Severity, response: str, fix: str | None, channel: Channel) -> None:
    decision = decide(severity, channel, OPEN, 1)  # OPEN is 14:00Z
    assert decision.response_due.isoformat() == response
    assert (decision.fix_due.isoformat() if decision.fix_due is not None else None) == fix
    assert (decision.response_due, decision.fix_due) == DEFAULT.due(severity, OPEN)


def test_due_times_follow_a_business_clock() -> None:
    sla = {**DEFAULT_SLA, SEV3: SlaTarget(timedelta(hours=24), timedelta(hours=120), SlaClock.BUSINESS)}
    policy = Policy(sla=sla)
    # Fri 07-17 16:00 EDT: 1h Fri + 9h Mon + 9h Tue + 5h Wed -> Wed 07-22 13:00 EDT = 17:00Z;
    # fix 120h = 1h + 13 full 9h days (through Wed 08-05) + 2h -> Thu 08-06 10:00 EDT = 14:00Z.
    decision = decide(SEV3, CHAT, et(2026, 7, 17, 16), 1, policy)
    assert decision.response_due == z("2026-07-22T17:00:00Z")
    assert decision.fix_due == z("2026-08-06T14:00:00Z")


# --------------------------------------------------------------------------------------------------------
# to_json_dict
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "channel", "at", "agents", "expected"),
    [
        (
            SEV2,
            CHAT,
            z("2026-07-18T14:00:00Z"),  # Saturday 10:00 EDT
            1,
            {
                "severity": 2,
                "channel": "chat",
                "channel_open": False,
                "outcome": "web_request",
                "next_chat_open": "2026-07-20T08:00:00-04:00",
                "response_due": "2026-07-18T15:00:00+00:00",
                "fix_due": "2026-07-19T14:00:00+00:00",
                "offer_live_agent": False,
            },
        ),
        (
            SEV4,
            CHAT,
            z("2026-01-15T15:00:00Z"),  # Thursday 10:00 EST
            1,
            {
                "severity": 4,
                "channel": "chat",
                "channel_open": True,
                "outcome": "live_chat",
                "next_chat_open": None,
                "response_due": "2026-01-17T15:00:00+00:00",
                "fix_due": None,
                "offer_live_agent": False,
            },
        ),
        (
            SEV1,
            PHONE,
            z("2026-10-31T03:00:00Z"),  # Friday 23:00 EDT; chat next opens Monday 08:00 EST
            0,
            {
                "severity": 1,
                "channel": "phone",
                "channel_open": True,
                "outcome": "phone_engineer",
                "next_chat_open": "2026-11-02T08:00:00-05:00",
                "response_due": "2026-10-31T03:15:00+00:00",
                "fix_due": "2026-10-31T11:00:00+00:00",
                "offer_live_agent": False,
            },
        ),
        (
            SEV3,
            CHAT,
            et(2026, 7, 15, 9, 30),
            2,
            {
                "severity": 3,
                "channel": "chat",
                "channel_open": True,
                "outcome": "web_request",
                "next_chat_open": None,
                "response_due": "2026-07-16T13:30:00+00:00",
                "fix_due": "2026-07-20T13:30:00+00:00",
                "offer_live_agent": True,
            },
        ),
    ],
)
def test_to_json_dict(
    severity: Severity, channel: Channel, at: datetime, agents: int, expected: dict[str, object]
) -> None:
    data = decide(severity, channel, at, agents).to_json_dict()
    assert data == expected
    assert json.loads(json.dumps(data)) == expected  # plain JSON types only
    for key in ("next_chat_open", "response_due", "fix_due"):
        value = data[key]
        if value is not None:
            assert isinstance(value, str)
            parsed = datetime.fromisoformat(value)
            assert parsed.utcoffset() is not None  # ISO-8601 with an explicit offset


def test_to_json_dict_instants_round_trip() -> None:
    decision = decide(SEV2, CHAT, et(2026, 7, 17, 17), 0)
    data = decision.to_json_dict()
    assert isinstance(data["next_chat_open"], str)
    assert isinstance(data["response_due"], str)
    assert datetime.fromisoformat(data["next_chat_open"]) == decision.next_chat_open
    assert datetime.fromisoformat(data["response_due"]) == decision.response_due
    assert datetime.fromisoformat(data["response_due"]).tzinfo is not None


# --------------------------------------------------------------------------------------------------------
# Configured routing
# --------------------------------------------------------------------------------------------------------

CUSTOM = Policy(
    routing={
        CHAT: parse_routing("1:web_request,2:redirect_phone,3:live_chat,4:web_request", "ROUTING_CHAT"),
        PHONE: parse_routing("1:phone_engineer,2:phone_engineer,3:web_request,4:phone_engineer", "ROUTING_PHONE"),
    }
)


@pytest.mark.parametrize(
    ("channel", "severity", "at", "agents", "outcome"),
    [
        (CHAT, SEV1, OPEN, 1, WEB_REQUEST),
        (CHAT, SEV2, OPEN, 1, REDIRECT_PHONE),
        (CHAT, SEV3, OPEN, 1, LIVE_CHAT),  # configured live_chat, served
        (CHAT, SEV3, OPEN, 0, WEB_REQUEST),  # configured live_chat, nobody online
        (CHAT, SEV3, WEEKEND, 1, WEB_REQUEST),  # configured live_chat, outside hours
        (CHAT, SEV4, OPEN, 1, WEB_REQUEST),  # no longer live chat
        (PHONE, SEV1, WEEKEND, 0, PHONE_ENGINEER),
        (PHONE, SEV2, WEEKEND, 0, PHONE_ENGINEER),
        (PHONE, SEV3, OPEN, 1, WEB_REQUEST),
        (PHONE, SEV4, CLOSED_NIGHT, 0, PHONE_ENGINEER),
    ],
)
def test_configured_routing_overrides_the_default(
    channel: Channel, severity: Severity, at: datetime, agents: int, outcome: Outcome
) -> None:
    decision = decide(severity, channel, at, agents, CUSTOM)
    assert decision.outcome is outcome
    expected = channel is CHAT and decision.chat_open and agents > 0 and outcome is WEB_REQUEST
    assert decision.offer_live_agent is expected


def test_live_chat_configured_on_the_phone_line_still_needs_hours_and_an_agent() -> None:
    routing = {CHAT: DEFAULT_ROUTING[CHAT], PHONE: {**DEFAULT_ROUTING[PHONE], SEV4: LIVE_CHAT}}
    policy = Policy(routing=routing)
    assert decide(SEV4, PHONE, OPEN, 1, policy).outcome is LIVE_CHAT
    assert decide(SEV4, PHONE, OPEN, 0, policy).outcome is WEB_REQUEST
    assert decide(SEV4, PHONE, WEEKEND, 1, policy).outcome is WEB_REQUEST


FULL = dict(DEFAULT_ROUTING[CHAT])
THREE = {s: o for s, o in DEFAULT_ROUTING[CHAT].items() if s is not SEV4}


@pytest.mark.parametrize(
    "routing",
    [
        pytest.param({CHAT: THREE, PHONE: DEFAULT_ROUTING[PHONE]}, id="chat-missing-sev4"),
        pytest.param({CHAT: DEFAULT_ROUTING[CHAT], PHONE: THREE}, id="phone-missing-sev4"),
        pytest.param({CHAT: DEFAULT_ROUTING[CHAT]}, id="no-phone"),
        pytest.param({PHONE: DEFAULT_ROUTING[PHONE]}, id="no-chat"),
        pytest.param({CHAT: {}, PHONE: {}}, id="empty-tables"),
        pytest.param({}, id="empty"),
    ],
)
def test_incomplete_routing_is_a_policy_error(routing: Mapping[Channel, Mapping[Severity, Outcome]]) -> None:
    with pytest.raises(PolicyError, match="must cover severities 1 to 4"):
        Policy(routing=routing)


def test_complete_routing_is_accepted() -> None:
    policy = Policy(routing={CHAT: FULL, PHONE: FULL})
    assert decide(SEV1, PHONE, OPEN, 0, policy).outcome is REDIRECT_PHONE


# --------------------------------------------------------------------------------------------------------
# Aware instants only
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("severity", list(Severity))
def test_route_refuses_naive_datetimes(channel: Channel, severity: Severity) -> None:
    with pytest.raises(NaiveDatetimeError):
        decide(severity, channel, datetime(2026, 7, 15, 10, 0), 1)


def test_route_is_the_same_for_the_same_instant_in_any_zone() -> None:
    for at in (OPEN, CLOSED_NIGHT, WEEKEND, et(2026, 11, 2, 7, 59, 59)):
        for other in (at.astimezone(UTC), at.astimezone(ZoneInfo("Asia/Kolkata"))):
            for severity in Severity:
                for channel in Channel:
                    assert decide(severity, channel, at, 1) == decide(severity, channel, other, 1)
