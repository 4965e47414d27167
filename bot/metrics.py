"""Prometheus metrics (METRICS=on): turns and their latency per channel, request latency per route, background
rounds, outbox depth, the database pool and open streams, served on a listener of their own (METRICS_HOST,
METRICS_PORT) that the proxy never reaches. Each process has its own registry and port: Prometheus scrapes
every process, so nothing is shared between processes (no multiprocess mode).

Labels are only names from the code (channels, route patterns, job names, outbox kinds): never an id, a
K#, a phone number or anything a client chose.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from botbuilder.core import BotAdapter, Middleware, TurnContext
from botbuilder.schema import ActivityTypes
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from bot.directline import DIRECTLINE_SERVICE
from bot.periodic import ROUNDS, Periodic
from store.db import SessionMaker
from store.gauges import outbox_counts
from store.models import OutboxStatus

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Turns take milliseconds on SQLite to a second or more on a busy database; Twilio gives up at 15 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)
# Routes whose requests are measured: the customer-facing webhooks and APIs (streams are long by design).
_STREAMS = ("/stream", "/events")


class Metrics:
    """One process's registry and instruments."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.turns = Counter(
            "intake_turns", "Bot turns run in this process", ["channel", "kind", "outcome"], registry=r
        )
        self.turn_seconds = Histogram(
            "intake_turn_seconds", "Time a bot turn took", ["channel"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.request_seconds = Histogram(
            "intake_http_request_seconds",
            "Time to answer an HTTP request (webhooks, Direct Line, APIs), by route pattern",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.rounds = Counter(
            "intake_background_rounds", "Rounds of background work (SLA watch, sweeps)", ["job", "outcome"], registry=r
        )
        self.round_seconds = Histogram(
            "intake_background_round_seconds",
            "Time a background round took",
            ["job"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.outbox = Gauge(
            "intake_outbox_items",
            "Outbox items waiting (pending) or given up (failed), whole database",
            ["kind", "status"],
            registry=r,
        )
        self.outbox_sent = Gauge("intake_outbox_sent", "Outbox items delivered, whole database", ["kind"], registry=r)
        self.pool = Gauge("intake_db_pool_connections", "This process's database pool", ["state"], registry=r)
        self.streams = Gauge(
            "intake_directline_streams", "Direct Line WebSocket streams open in this process", registry=r
        )

    def observe_round(self, job: str, seconds: float, ok: bool) -> None:
        """Count one background round (a Periodic observer)."""
        self.rounds.labels(job=job, outcome="ok" if ok else "error").inc()
        self.round_seconds.labels(job=job).observe(seconds)

    async def refresh(self, *, engine: AsyncEngine, sessions: SessionMaker, streams: int | None) -> None:
        """Read what lives in the database and the pool (at scrape time)."""
        pool = engine.sync_engine.pool
        if isinstance(pool, QueuePool):
            self.pool.labels(state="size").set(pool.size())
            self.pool.labels(state="checked_out").set(pool.checkedout())
            self.pool.labels(state="overflow").set(max(0, pool.overflow()))
        if streams is not None:
            self.streams.set(streams)
        counts = await outbox_counts(sessions)
        self.outbox.clear()
        self.outbox_sent.clear()
        for (kind, status), count in counts.items():
            if status == OutboxStatus.SENT.value:
                self.outbox_sent.labels(kind=kind).set(count)
            else:
                self.outbox.labels(kind=kind, status=status).set(count)


class TurnMetrics(Middleware):  # type: ignore[misc]
    """botbuilder middleware: counts and times every turn an adapter runs, labelled with the adapter's channel."""

    def __init__(self, metrics: Metrics, channel: str) -> None:
        self._metrics = metrics
        self._channel = channel

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[Any]]) -> None:
        """Run the turn inside a timer; its outcome is "error" when it raised."""
        # Only two kinds: an activity's type is the client's to choose.
        kind = "message" if context.activity is not None and context.activity.type == ActivityTypes.message else "other"
        outcome = "error"
        try:
            with self._metrics.turn_seconds.labels(channel=self._channel).time():
                await logic()
            outcome = "ok"
        finally:
            self._metrics.turns.labels(channel=self._channel, kind=kind, outcome=outcome).inc()


def _route(request: web.Request) -> str | None:
    info = request.match_info
    if info.http_exception is not None:
        return "unmatched"
    canonical = info.route.resource.canonical if info.route.resource is not None else "unmatched"
    return None if canonical.endswith(_STREAMS) else canonical


def request_timer(metrics: Metrics) -> Any:
    """aiohttp middleware timing each request by its route pattern (never its path: ids are in paths)."""

    @web.middleware
    async def timed(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        route = _route(request)
        if route is None:
            return await handler(request)
        with metrics.request_seconds.labels(route=route, method=request.method).time():
            return await handler(request)

    return timed


METRICS = web.AppKey("metrics", Metrics)


async def _scrape(request: web.Request) -> web.Response:
    main: web.Application = request.app[_MAIN]
    metrics = main[METRICS]
    service = main.get(DIRECTLINE_SERVICE)
    try:
        await metrics.refresh(
            engine=request.app[_ENGINE],
            sessions=request.app[_SESSIONS],
            streams=None if service is None else service.hub.open_streams,
        )
    except Exception as exc:  # the process's own figures still go out when the database does not answer
        log.warning("metrics: database figures unavailable: %s", type(exc).__name__)
    # The format the scraper asks for (Prometheus' text format, or OpenMetrics), as the client library chooses.
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return web.Response(body=encoder(metrics.registry), headers={"Content-Type": content_type})


_MAIN: web.AppKey[web.Application] = web.AppKey("metrics_main_app")
_ENGINE = web.AppKey("metrics_engine", AsyncEngine)
_SESSIONS: web.AppKey[SessionMaker] = web.AppKey("metrics_sessions")


def setup_metrics(
    app: web.Application,
    *,
    host: str,
    port: int,
    engine: AsyncEngine,
    sessions: SessionMaker,
    adapters: Mapping[str, BotAdapter],
) -> Metrics:
    """Instrument `app` (call last in the factory: its adapters and background rounds exist) and serve the
    metrics on host:port, a listener of their own, while the app runs."""
    metrics = Metrics()
    app[METRICS] = metrics
    app.middlewares.append(request_timer(metrics))
    for channel, adapter in adapters.items():
        adapter.use(TurnMetrics(metrics, channel))
    rounds: list[Periodic] = app.get(ROUNDS, [])
    for periodic in rounds:
        periodic.observers.append(metrics.observe_round)

    listener = web.Application()
    listener[_MAIN] = app
    listener[_ENGINE] = engine
    listener[_SESSIONS] = sessions
    listener.router.add_get("/metrics", _scrape)

    async def serving(app: web.Application) -> AsyncIterator[None]:
        runner = web.AppRunner(listener, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        log.info("metrics on http://%s:%s/metrics", host, port)
        yield
        await runner.cleanup()

    app.cleanup_ctx.append(serving)
    return metrics
