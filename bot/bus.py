"""The process's change-notice bus (store/notify.py), one per app, shared by the Direct Line streams and the
console feed: made by whichever needs it first, listening while the app runs."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from store.db import SessionMaker
from store.notify import Bus, bus_for

BUS: web.AppKey[Bus] = web.AppKey("notice_bus")


def app_bus(app: web.Application, session_maker: SessionMaker) -> Bus:
    """The app's bus for the database behind `session_maker`, made and scheduled to run on first use."""
    if BUS in app:
        return app[BUS]
    bus = bus_for(session_maker.kw["bind"].url)
    app[BUS] = bus

    async def listening(app: web.Application) -> AsyncIterator[None]:
        # Appended before its first user's own cleanup context: it listens first and stops last.
        await bus.start()
        yield
        await bus.stop()

    app.cleanup_ctx.append(listening)
    return bus
