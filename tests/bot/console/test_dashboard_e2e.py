"""The supervisors' dashboard in headless Chromium: live figures drawn with Chart.js, equal to `intake report`,
each figure opening its cases; and who may see it."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession
from playwright.async_api import Browser, Page, expect

from bot.cli import run
from tests.bot.browser import WatchedPage, chromium_fixture, watched_context  # noqa: F401  (fixtures)
from tests.store.test_reports import NOW, november_cases

from .harness import Site, hand_off, running_site, sign_in_in_browser

pytestmark = pytest.mark.browser

WAIT_MS = 15_000
BREACHED_RED = (0xB3, 0x26, 0x1E)  # the open-cases chart's colour for breached cases


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async with running_site(db_url) as running:
        running.clock.now = NOW
        yield running


@pytest.fixture
async def boss_page(chromium: Browser) -> AsyncIterator[WatchedPage]:
    async with watched_context(chromium) as watched:
        yield watched


async def _sign_in(page: Page, base_url: str, name: str) -> None:
    await sign_in_in_browser(page, base_url, name)


def _cli_csv(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[list[str]]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    out = io.StringIO()
    code = run(["report", "--month", "2026-11", "--format", "csv", "--at", NOW.isoformat()], out=out)
    assert code == 0, out.getvalue()
    header, *rows = csv.reader(io.StringIO(out.getvalue()))
    assert header == ["figure", "group", "measure", "value"]
    return rows


async def _red_pixels(page: Page, png: bytes) -> int:
    """Count the breached colour's pixels in a screenshot, decoded by the browser itself."""
    source = "data:image/png;base64," + base64.b64encode(png).decode()
    script = """async ([source, [r, g, b]]) => {
        const image = new Image();
        image.src = source;
        await image.decode();
        const canvas = new OffscreenCanvas(image.width, image.height);
        const context = canvas.getContext("2d");
        context.drawImage(image, 0, 0);
        const pixels = context.getImageData(0, 0, image.width, image.height).data;
        let count = 0;
        for (let i = 0; i < pixels.length; i += 4) {
            const near = (j, want) => Math.abs(pixels[i + j] - want) < 8;
            if (near(0, r) && near(1, g) && near(2, b)) count++;
        }
        return count;
    }"""
    return int(await page.evaluate(script, [source, list(BREACHED_RED)]))


async def test_the_dashboard_draws_the_months_figures_equal_to_the_report(
    site: Site, boss_page: WatchedPage, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    numbers = await november_cases(site.sessions)
    await site.add_agent("boss", role="supervisor")
    page = boss_page.page
    await _sign_in(page, site.base_url, "boss")
    await page.goto(f"{site.base_url}/agent/dashboard?month=2026-11")
    await expect(page.locator("#updated")).to_contain_text("2026-11 (America/New_York)", timeout=WAIT_MS)
    await expect(page.locator("#t-bot")).to_have_text("75% (3 of 4)")
    await expect(page.locator("#t-nps")).to_have_text("0")
    await expect(page.locator("#t-csat")).to_have_text("3.5")
    await expect(page.locator("#t-first")).to_have_text("30 min / 30 min")
    await expect(page.locator("#t-waiting")).to_have_text("1")
    await expect(page.locator("#availability")).to_contain_text("K222222")
    await expect(page.locator("#availability")).to_contain_text("-86.7")

    # The page's figures are the report's: every row `intake report --format csv` prints, in order.
    shown = [
        [await cell.inner_text() for cell in await row.locator("td").all()]
        for row in await page.locator("#figures tbody tr").all()
    ]
    printed = await asyncio.to_thread(_cli_csv, site.db_url, monkeypatch, tmp_path)
    assert shown == printed
    assert ["bot", "all", "percent", "75"] in printed and ["surveys", "all", "nps", "0"] in printed

    # The charts are drawn: the open-cases chart's screenshot shows the breached bars' red.
    chart = page.locator("#c-open")
    assert await _red_pixels(page, await chart.screenshot()) > 200
    await page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    # A bar clicks through to its cases: the backlog's 7-30 days bar is the late Sev2 case.
    point = await page.evaluate(
        """() => { const bar = Chart.getChart("c-backlog").getDatasetMeta(0).data[3];
                   return { x: bar.x, y: (bar.y + bar.base) / 2 }; }"""
    )
    await chart.scroll_into_view_if_needed()
    await page.locator("#c-backlog").click(position={"x": point["x"], "y": point["y"]})
    await expect(page.locator("#drill-title")).to_have_text("Open cases 7-30 days old: 1 case")
    await expect(page.locator("#drill-cases a")).to_have_text([numbers["b"]])

    # The open cases' figure also offers the case list filtered to them.
    point = await page.evaluate(
        """() => { const bar = Chart.getChart("c-open").getDatasetMeta(0).data[1];
                   return { x: bar.x, y: (bar.y + bar.base) / 2 }; }"""
    )
    await chart.click(position={"x": point["x"], "y": point["y"]})
    await expect(page.locator("#drill-title")).to_have_text("Open Sev 2 cases, Breached: 1 case")
    await expect(page.locator("#drill-list")).to_have_attribute(
        "href", "/agent/cases?view=all&open=true&severity=2&sla=breached"
    )

    # A tile does too, and a case number opens the case's page.
    await page.locator("[data-figure=bot]").click()
    await expect(page.locator("#drill-cases a")).to_have_count(3)
    await page.locator("#drill-cases a").filter(has_text=numbers["a"]).click()
    await expect(page).to_have_url(re.compile(rf"/agent/cases/{numbers['a']}$"))
    assert boss_page.errors == []


async def test_the_figures_follow_a_change_live(site: Site, boss_page: WatchedPage) -> None:
    await site.add_agent("boss", role="supervisor")
    page = boss_page.page
    await _sign_in(page, site.base_url, "boss")
    await page.goto(f"{site.base_url}/agent/dashboard")
    await expect(page.locator("#t-waiting")).to_have_text("0", timeout=WAIT_MS)
    await expect(page.locator("#month")).to_have_value("2026-11")
    await site.sign_in("alice")  # available: live chat is offered
    # A customer asks for a person: the handoff wakes the console's feed, and the dashboard's stream with it.
    await hand_off(await site.customer(), with_case=False)
    await expect(page.locator("#t-waiting")).to_have_text("1", timeout=WAIT_MS)
    assert boss_page.errors == []


async def test_only_supervisors_see_the_figures(site: Site) -> None:
    agent = await site.sign_in("alice")
    for path in ("", "/events", "?month=2026-11"):
        status, body = await agent.call("GET", f"/dashboard{path}")
        assert status == 403 and "supervisor" in body["error"]["message"]
    async with agent.http.get(f"{site.base_url}/agent/dashboard", allow_redirects=False) as response:
        assert response.status == 403
    async with ClientSession() as stranger:
        async with stranger.get(f"{site.base_url}/agent/console/dashboard", allow_redirects=False) as response:
            assert response.status == 401
        async with stranger.get(f"{site.base_url}/agent/dashboard", allow_redirects=False) as response:
            assert response.status in (302, 303) and "/agent/sign-in" in response.headers["Location"]


async def test_a_bad_month_or_parameter_is_a_clear_422(site: Site) -> None:
    boss = await site.sign_in("boss", role="supervisor")
    for query, reason in (
        ("?month=2026-13", "YYYY-MM"),
        ("?month=november", "YYYY-MM"),
        ("?month=" + "9" * 5000, "YYYY-MM"),
        ("?from=http://evil.example/", "unknown query parameter"),
    ):
        status, body = await boss.call("GET", f"/dashboard{query}")
        assert status == 422 and reason in body["error"]["message"], (query, body)
    status, body = await boss.call("GET", "/dashboard?month=2026-11")
    assert status == 200 and body["report"]["month"] == "2026-11"


async def test_chart_js_is_served_by_the_service_and_nothing_else(site: Site) -> None:
    async with ClientSession() as http:
        async with http.get(f"{site.base_url}/agent/dashboard/static/chart.js") as response:
            assert response.status == 200 and "Chart" in await response.text()
        for name in ("../../app.py", "routes.py", "chart.umd.js"):
            async with http.get(f"{site.base_url}/agent/dashboard/static/{name}") as response:
                assert response.status == 404
    page = (Path(__file__).parents[3] / "bot/console/static/dashboard.html").read_text()
    assert "http://" not in page and "https://" not in page  # no CDN
