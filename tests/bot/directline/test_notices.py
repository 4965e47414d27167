"""Streams on PostgreSQL hear other processes' writes through LISTEN/NOTIFY, not a poll; on SQLite they poll."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.bus import BUS
from bot.directline import DIRECTLINE_SERVICE
from store.db import SessionMaker
from store.notify import PgBus, bus_for
from tests.bot.directline.harness import GREETING, frames_until, is_text, running_gateway
from tests.bot.directline.test_gateway import _started
from tests.conftest import BACKENDS

POSTGRES_ONLY = pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
# Far longer than any test: a stream that sees another process's write did not get it from a poll.
NO_POLL: dict[str, Any] = {"poll_interval": timedelta(hours=1)}


def _bus(gw_app: object) -> PgBus:
    bus = gw_app[BUS]  # type: ignore[index]
    assert isinstance(bus, PgBus)
    return bus


async def test_sqlite_streams_poll_and_postgres_streams_listen(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        hub = gw.app[DIRECTLINE_SERVICE].hub
        postgres = session_maker.kw["bind"].dialect.name == "postgresql"
        assert hub.needs_poll is not postgres
        assert gw.app[BUS].distributed is postgres


@POSTGRES_ONLY
async def test_a_stream_hears_another_process_without_a_poll(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker, **NO_POLL) as a, running_gateway(session_maker, **NO_POLL) as b:
        await _bus(b.app).connected.wait()
        token, conversation_id, started = await _started(a)
        await a.wait_for(token, conversation_id, is_text(GREETING))
        stream_on_b = started["streamUrl"].replace(a.ws_base, b.ws_base)
        async with b.http.ws_connect(stream_on_b + "&watermark=1") as ws:
            await a.post(token, conversation_id, {"type": "message", "text": "via A"})
            _, seen = await asyncio.wait_for(frames_until(ws, is_text("echo: via A")), 10)
    assert [x.get("text") for x in seen] == ["via A", "echo: via A"]


@POSTGRES_ONLY
async def test_a_notice_missed_while_listening_was_down_is_caught_up_on_reconnect(
    session_maker: SessionMaker, db_url: str
) -> None:
    async with running_gateway(session_maker, **NO_POLL) as a, running_gateway(session_maker, **NO_POLL) as b:
        bus = _bus(b.app)
        await bus.connected.wait()
        token, conversation_id, started = await _started(a)
        await a.wait_for(token, conversation_id, is_text(GREETING))
        stream_on_b = started["streamUrl"].replace(a.ws_base, b.ws_base)
        async with b.http.ws_connect(stream_on_b + "&watermark=1") as ws:
            # B's listener loses its connection and cannot get another until the database is back for it.
            dsn = bus._dsn
            bus._dsn = dsn.replace(_port(dsn), ":1")
            pid = bus.server_pid
            async with session_maker() as session:
                await (await session.connection()).execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await asyncio.wait_for(bus.disconnected.wait(), 10)
            await a.post(token, conversation_id, {"type": "message", "text": "while B was deaf"})
            await a.wait_for(token, conversation_id, is_text("echo: while B was deaf"))
            bus._dsn = dsn  # B reconnects and its streams read once
            _, seen = await asyncio.wait_for(frames_until(ws, is_text("echo: while B was deaf")), 15)
        assert bus.connections >= 2
    assert [x.get("text") for x in seen] == ["while B was deaf", "echo: while B was deaf"]


def _port(dsn: str) -> str:
    """The `:port` of a DSN, to point the bus at a closed port."""
    host_port = dsn.split("@", 1)[1].split("/", 1)[0]
    return ":" + host_port.rsplit(":", 1)[1]


@POSTGRES_ONLY
async def test_a_process_does_not_hear_its_own_notices_and_payloads_stay_small(db_url: str) -> None:
    heard: asyncio.Queue[str] = asyncio.Queue()
    other: asyncio.Queue[str] = asyncio.Queue()
    one = bus_for(make_url(db_url))
    two = bus_for(make_url(db_url))
    assert isinstance(one, PgBus) and isinstance(two, PgBus)
    one.subscribe("intake_test", heard.put_nowait)
    two.subscribe("intake_test", other.put_nowait)
    async with _running(one), _running(two):
        await one.connected.wait()
        await two.connected.wait()
        one.publish("intake_test", "first")
        one.publish("intake_test", "second")
        assert [await asyncio.wait_for(other.get(), 10), await asyncio.wait_for(other.get(), 10)] == [
            "first",
            "second",
        ]
        # `two` heard both, in order; `one` sent them and heard neither (it woke its own waiters itself).
        two.publish("intake_test", "third")
        with pytest.raises(ValueError):
            one.publish("intake_test", "x" * 5000)
        # Had `one` heard its own "first" and "second", they would come before "third".
        assert await asyncio.wait_for(heard.get(), 10) == "third"
        assert heard.empty()


class _running:
    def __init__(self, bus: PgBus) -> None:
        self._bus = bus

    async def __aenter__(self) -> PgBus:
        await self._bus.start()
        return self._bus

    async def __aexit__(self, *exc: object) -> None:
        await self._bus.stop()
