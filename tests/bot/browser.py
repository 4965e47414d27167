"""Headless Debian Chromium driven by Playwright, with every console error and page error collected."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

# Debian's package (apt-get install -y chromium): Playwright's own browser download cannot be used here.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HAVE_CHROMIUM = CHROMIUM.exists()


@dataclass
class WatchedPage:
    """A page plus what it reported: console errors and uncaught exceptions."""

    page: Page
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        """Collect console errors and warnings."""
        if message.type == "error":
            self.errors.append(f"console: {message.text} @ {message.location}")
        elif message.type == "warning":
            self.warnings.append(message.text)

    def on_page_error(self, error: Any) -> None:
        """Collect uncaught exceptions."""
        self.errors.append(f"pageerror: {error}")


@pytest.fixture(name="chromium")
async def chromium_fixture() -> AsyncIterator[Browser]:
    """A headless Chromium for the test (import this function into a test module to use `chromium`)."""
    if not HAVE_CHROMIUM:
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@contextlib.asynccontextmanager
async def watched_context(chromium: Browser) -> AsyncIterator[WatchedPage]:
    """A page in a browser context of its own (own cookies), its console and page errors collected."""
    context = await chromium.new_context()
    page = await context.new_page()
    watched = WatchedPage(page)
    page.on("console", watched.on_console)
    page.on("pageerror", watched.on_page_error)
    try:
        yield watched
    finally:
        await context.close()


@pytest.fixture(name="watched_page")
async def watched_page_fixture(chromium: Browser) -> AsyncIterator[WatchedPage]:
    """A fresh page whose console errors and page errors are collected (import with chromium_fixture)."""
    async with watched_context(chromium) as watched:
        yield watched
