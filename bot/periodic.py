"""Background work in rounds, stopped between rounds: a database query cancelled midway strands its
connection (an unclosed socket, a pool that never gets it back), so shutdown waits for the round instead."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)


class Periodic:
    """Runs `work` now and then every `interval` seconds until `stop()`; a failing round is logged."""

    def __init__(self, what: str, interval: float, work: Callable[[], Awaitable[object]]) -> None:
        self._what = what
        self._interval = interval
        self._work = work
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Told of each round: its name, how long it took, whether it succeeded (bot/metrics.py counts them).
        self.observers: list[Callable[[str, float, bool], None]] = []

    def start(self) -> None:
        """Begin the rounds (in the running event loop)."""
        self._task = asyncio.create_task(self._run(), name=self._what)

    async def stop(self) -> None:
        """Let the round in progress finish, then end."""
        self._stopping.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            began = loop.time()
            ok = False
            try:
                await self._work()
                ok = True
            except Exception as exc:  # a database hiccup must not end the rounds for good
                # Only the type: driver errors can quote statement parameters (customers' words).
                log.warning("%s failed: %s", self._what, type(exc).__name__)
            for observe in self.observers:
                observe(self._what, loop.time() - began, ok)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)


# The app's background rounds (those started by run_with_app), for whoever observes them (bot/metrics.py).
ROUNDS: web.AppKey[list[Periodic]] = web.AppKey("periodic_rounds")


def run_with_app(app: web.Application, rounds: Periodic) -> None:
    """Run `rounds` while the app runs, as a cleanup context: appended after the database's, it starts once
    the database is set up and stops (after its round in progress) before the engine goes away."""
    app.setdefault(ROUNDS, []).append(rounds)

    async def running(app: web.Application) -> AsyncIterator[None]:
        rounds.start()
        yield
        await rounds.stop()

    app.cleanup_ctx.append(running)
