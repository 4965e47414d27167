"""The page at `/`: company name, chat hours, and a working official Web Chat in headless Chromium."""

from __future__ import annotations

import gzip
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import expect

from bot.website import CONTENT_SECURITY_POLICY, render_page, setup_website
from store.db import SessionMaker
from tests.bot.browser import WatchedPage, chromium_fixture, watched_page_fixture  # noqa: F401  (fixtures)
from tests.bot.directline.harness import GREETING, running_gateway

WEB_DIR = Path(__file__).resolve().parents[2] / "bot" / "web"
COMPANY = "Acme Cloud <Support>"
HOURS = "Mon\u2013Fri 08:00\u201318:00 (Europe/Berlin)"


def _website(app: web.Application) -> None:
    setup_website(app, company_name=COMPANY, chat_hours=HOURS, web_dir=WEB_DIR)


def test_render_escapes_values() -> None:
    page = render_page(
        "<h1>{{company_name}}</h1><p>{{chat_hours}}</p>",
        company_name='<script>alert("x")</script>',
        chat_hours="9 & 5",
        webchat_src="/a",
        app_src="/b",
    )
    assert page == "<h1>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</h1><p>9 &amp; 5</p>"


async def test_page_and_scripts_are_served(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker, extra=_website) as gw:
        async with gw.http.get(f"{gw.base}/") as response:
            assert response.status == 200
            assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
            page = await response.text()
        assert "Acme Cloud &lt;Support&gt;" in page and HOURS in page
        assert "/web/webchat.js?v=4.18." in page and "cdn" not in page.lower()
        async with gw.http.get(f"{gw.base}/web/webchat.js", headers={"Accept-Encoding": "gzip"}) as response:
            assert response.status == 200
            assert response.headers["Content-Encoding"] == "gzip"
            assert len(await response.read()) > 100_000
        identity = {"Accept-Encoding": "identity"}
        async with (
            aiohttp.ClientSession(auto_decompress=False) as raw,
            raw.get(f"{gw.base}/web/webchat.js", headers=identity) as response,
        ):
            plain = await response.read()
            assert "Content-Encoding" not in response.headers
        assert plain == (WEB_DIR / "node_modules/botframework-webchat/dist/webchat.js").read_bytes()
        async with gw.http.get(f"{gw.base}/web/app.js") as response:
            assert response.status == 200 and "createDirectLine" in await response.text()
        async with gw.http.get(f"{gw.base}/web/package.json") as response:
            assert response.status == 404
    assert gzip.decompress(gzip.compress(plain)) == plain


async def test_missing_bundle_is_a_503_not_a_crash(session_maker: SessionMaker, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<h1>{{company_name}}</h1>", "utf-8")
    (tmp_path / "app.js").write_text("", "utf-8")

    def website(app: web.Application) -> None:
        setup_website(app, company_name="X", chat_hours="Y", web_dir=tmp_path)

    async with running_gateway(session_maker, extra=website) as gw:
        async with gw.http.get(f"{gw.base}/") as response:
            assert response.status == 200
        async with gw.http.get(f"{gw.base}/web/webchat.js") as response:
            assert response.status == 503


@pytest.mark.browser
async def test_chat_in_headless_chromium(
    session_maker: SessionMaker, watched_page: WatchedPage, tmp_path: Path
) -> None:
    page = watched_page.page
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    async with running_gateway(session_maker, extra=_website) as gw:
        await page.goto(f"{gw.base}/")
        await expect(page.locator("#company-name")).to_have_text(COMPANY)
        await expect(page.locator("#chat-hours")).to_have_text(HOURS)
        # Each bubble's text is a <p> in the transcript (Web Chat renders messages as markdown).
        bubbles = page.locator("#webchat p")
        await expect(bubbles.filter(has_text=GREETING)).to_be_visible(timeout=15_000)
        box = page.get_by_role("textbox").first
        await box.fill("my dictation server is down")
        await box.press("Enter")
        await expect(bubbles.filter(has_text="echo: my dictation server is down")).to_be_visible(timeout=15_000)
        await expect(bubbles.filter(has_text="my dictation server is down")).to_have_count(2)
        await expect(page.get_by_text("Send failed", exact=False)).to_have_count(0)
        # Kept under the test's tmp_path for a person to look at when the test fails.
        await page.screenshot(path=str(tmp_path / "chat.png"))
    assert watched_page.errors == []
    # Web Chat took the WebSocket stream (not the polling fallback), and the token is not the page's secret.
    assert len(sockets) == 1 and "/v3/directline/conversations/" in sockets[0] and "/stream?t=" in sockets[0]
