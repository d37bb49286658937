"""Browser fixtures: one Chromium for the whole session, fresh contexts per test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Playwright's sync API runs an asyncio loop in the test thread, so Django believes every ORM
# call made by the test (fixtures, assertions) comes from async code and refuses it. The calls
# are in fact synchronous; this is the documented escape hatch for Playwright + Django tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from conftest import service_unavailable
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, new_context


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        service_unavailable("Chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = new_context(browser)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
