"""Two `intake serve` processes behind nginx (deploy/nginx's files), no sticky sessions: a Web Chat
conversation whose Direct Line WebSocket is held by one process gets the replies to messages that nginx
sent to the other, through PostgreSQL LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.bot.cluster.harness import Cluster, Process, running_cluster
from tests.bot.conftest import stored_cases
from tests.bot.test_metrics import sample
from tests.conftest import BACKENDS

POST_ROUTE = {"route": "/v3/directline/conversations/{conversationId}/activities", "method": "POST"}
MESSAGES = ("K123456 the logo on our printed reports is blurry, only for me", "Yes, that's right", "help")
FRAME_WAIT_S = 20.0


async def _frames_until(ws: aiohttp.ClientWebSocketResponse, done: Any) -> list[dict[str, Any]]:
    """Activities from the stream until `done(activities so far)` holds."""
    seen: list[dict[str, Any]] = []
    while not done(seen):
        message = await asyncio.wait_for(ws.receive(), FRAME_WAIT_S)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        if message.data:
            seen += json.loads(message.data)["activities"]
    return seen


def _answered(activity_id: str) -> Any:
    """True once the stream has shown the user's activity and a bot message after it."""

    def check(seen: list[dict[str, Any]]) -> bool:
        ids = [a.get("id") for a in seen]
        if activity_id not in ids:
            return False
        after = seen[ids.index(activity_id) + 1 :]
        return any(a["from"].get("role") == "bot" and a.get("type") == "message" for a in after)

    return check


async def _holder(cluster: Cluster) -> tuple[Process, Process]:
    """The process holding the one open stream, and the other."""
    streams = [sample(await cluster.scrape(p), "intake_directline_streams") for p in cluster.processes]
    assert sorted(streams) == [0.0, 1.0], streams
    holder = cluster.processes[streams.index(1.0)]
    return holder, next(p for p in cluster.processes if p is not holder)


@pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
async def test_replies_produced_on_one_process_reach_the_websocket_held_by_the_other(
    db_url: str, tmp_path: Path
) -> None:
    async with running_cluster(db_url, tmp_path) as cluster:
        http, base = cluster.http, cluster.base
        async with http.post(f"{base}/api/webchat/token") as response:
            assert response.status == 200
            token = (await response.json())["token"]
        auth = {"Authorization": f"Bearer {token}"}
        async with http.post(f"{base}/v3/directline/conversations", headers=auth) as response:
            assert response.status in (200, 201)
            started = await response.json()
        conversation = started["conversationId"]
        assert started["streamUrl"].startswith(base.replace("http", "ws", 1))  # the proxy's address, not a process's
        async with http.ws_connect(started["streamUrl"]) as ws:
            greeting = await _frames_until(ws, lambda seen: any(a["from"].get("role") == "bot" for a in seen))
            holder, other = await _holder(cluster)
            posted_before = sample(await cluster.scrape(other), "intake_http_request_seconds_count", **POST_ROUTE)

            seen = list(greeting)
            for n, text in enumerate(MESSAGES):
                activity = {
                    "type": "message",
                    "text": text,
                    "from": {"id": started.get("userId", "dl_user"), "role": "user"},
                    "channelData": {"clientActivityID": f"cluster-{n}"},
                }
                url = f"{base}/v3/directline/conversations/{conversation}/activities"
                async with http.post(url, json=activity, headers=auth) as response:
                    assert response.status == 200, await response.text()
                    activity_id = (await response.json())["id"]
                seen += await _frames_until(ws, _answered(activity_id))

            # nginx spread the posts (round robin, no stickiness): the other process took some of them and ran
            # their turns, and their replies reached the stream held by the holder.
            other_metrics = await cluster.scrape(other)
            posted = sample(other_metrics, "intake_http_request_seconds_count", **POST_ROUTE) - posted_before
            assert posted >= 1
            assert sample(other_metrics, "intake_turns_total", channel="website", kind="message", outcome="ok") >= 1
            assert sample(await cluster.scrape(holder), "intake_directline_streams") == 1.0

    cases = await stored_cases(db_url)
    assert len(cases) == 1
    bot_text = "\n".join(a.get("text") or "" for a in seen if a["from"].get("role") == "bot")
    assert cases[0].number in bot_text  # the customer was told the case number over the stream
    assert [a["text"] for a in seen if a["from"].get("role") == "user"] == list(MESSAGES)
