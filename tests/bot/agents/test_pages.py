"""The sign-in and choose-a-password pages: styled like the console, worded in sentences, a notice once saved."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect

from bot.agents.pages import NOTICE_COOKIE
from tests.bot.agents import AgentService
from tests.bot.browser import WatchedPage, chromium_fixture, watched_page_fixture  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("fast_argon2")

PASSWORD = "a long new password 1"
WAIT_MS = 15_000
ALERT = re.compile(r'<p class="alert" role="alert">([^<]*)</p>')


def _alert(page: str) -> str:
    found = ALERT.search(page)
    assert found is not None, page
    return found.group(1)


def _sentence(text: str) -> bool:
    return text[:1].isupper() and text.endswith(".")


async def test_the_pages_load_the_consoles_stylesheet_and_nothing_inline(svc: AgentService) -> None:
    status, _, _ = await svc.sign_in("olga", await svc.add_agent("olga"))
    assert status == 200  # signed in with a one-time password: the password page is open to it
    for path in ("/agent/sign-in", "/agent/password"):
        async with svc.http.get(svc.url(path)) as response:
            assert response.status == 200
            page = await response.text()
            policy = response.headers["Content-Security-Policy"]
        assert '<link rel="stylesheet" href="/agent/static/console.css">' in page
        assert "style-src 'self'" in policy and "script-src" not in policy
        assert "<style" not in page and " style=" not in page and "<script" not in page
    async with svc.http.get(svc.url("/agent/static/console.css")) as response:
        assert response.status == 200 and ".auth-card" in await response.text()


async def test_refusals_on_the_pages_are_full_sentences(svc: AgentService) -> None:
    once = await svc.add_agent("quinn")
    status, page, _ = await svc.sign_in("quinn", "not the password", form=True)
    assert status == 401 and _sentence(_alert(page))
    status, _, _ = await svc.sign_in("quinn", once, form=True)
    assert status == 303
    async with svc.http.get(svc.url("/agent/password")) as r:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', await r.text())
    assert csrf is not None
    url = svc.url("/agent/password")
    for fields in (
        {"new_password": "short", "repeat_password": "short"},
        {"new_password": PASSWORD, "repeat_password": PASSWORD + "x"},
    ):
        async with svc.http.post(url, data={**fields, "csrf_token": csrf.group(1)}) as r:
            assert r.status == 422
            said = _alert(await r.text())
        assert _sentence(said), said


async def test_a_saved_password_is_confirmed_once_on_the_console(svc: AgentService) -> None:
    once = await svc.add_agent("rosa")
    await svc.sign_in("rosa", once, form=True)
    async with svc.http.get(svc.url("/agent/password")) as r:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', await r.text())
    assert csrf is not None
    fields = {"new_password": PASSWORD, "repeat_password": PASSWORD, "csrf_token": csrf.group(1)}
    async with svc.http.post(svc.url("/agent/password"), data=fields, allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/agent"
        assert r.cookies[NOTICE_COOKIE]["path"] == "/agent" and r.cookies[NOTICE_COOKIE]["httponly"]
    async with svc.http.get(svc.url("/agent")) as r:
        assert r.status == 200
        assert '<p class="notice" role="status">Your new password is saved.' in await r.text()
    async with svc.http.get(svc.url("/agent")) as r:
        assert '<p class="notice" role="status"></p>' in await r.text()  # once only


async def test_a_forged_notice_cookie_shows_nothing(svc: AgentService) -> None:
    await svc.signed_in("sam")
    svc.http.cookie_jar.update_cookies({NOTICE_COOKIE: "<script>alert(1)</script>"})
    async with svc.http.get(svc.url("/agent")) as r:
        page = await r.text()
    assert '<p class="notice" role="status"></p>' in page and "alert(1)" not in page


@pytest.mark.browser
async def test_in_chromium_the_pages_are_styled_and_the_new_password_is_confirmed(
    svc: AgentService, watched_page: WatchedPage, chromium: Browser
) -> None:
    once = await svc.add_agent("tess")
    page = watched_page.page
    await page.goto(svc.url("/agent"))
    await expect(page).to_have_url(re.compile(r"/agent/sign-in$"))
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # The console's stylesheet applies (browser defaults have a grey button and a white page).
    button = page.get_by_role("button", name="Sign in")
    assert await button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(31, 95, 191)"
    assert await page.evaluate("getComputedStyle(document.documentElement).backgroundColor") == "rgb(243, 245, 248)"

    await page.get_by_label("Name").fill("tess")
    await page.get_by_label("Password").fill("a wrong password")
    await button.click()
    await expect(page.get_by_role("alert")).to_have_text(re.compile(r"^The name or password is wrong\. .+\.$"))
    await expect(page.get_by_label("Name")).to_have_value("tess")

    await page.get_by_label("Password").fill(once)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/agent/password$"))
    await page.get_by_label("New password", exact=True).fill(PASSWORD)
    await page.get_by_label("New password again").fill(PASSWORD + "!")
    await page.get_by_role("button", name="Save password").click()
    await expect(page.get_by_role("alert")).to_have_text(re.compile(r"^The two new passwords differ\. .+\.$"))

    await page.get_by_label("New password", exact=True).fill(PASSWORD)
    await page.get_by_label("New password again").fill(PASSWORD)
    await page.get_by_role("button", name="Save password").click()
    await expect(page).to_have_url(re.compile(r"/agent$"))
    await expect(page.get_by_role("status")).to_have_text(re.compile(r"^Your new password is saved\."), timeout=WAIT_MS)
    await page.reload()
    await expect(page.locator(".notice")).to_be_hidden()
    # A refused form answers 401 or 422 with the page, which Chromium reports; nothing else (no CSP refusal).
    refused = re.compile(r"Failed to load resource: the server responded with a status of (401|422)")
    assert [e for e in watched_page.errors if not refused.search(e)] == []
