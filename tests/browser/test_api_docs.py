"""The Swagger UI page really renders under the strict CSP, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_it_renders_the_api_docs_without_csp_violations(
    live_server: Any, cast: Any, page: Page
) -> None:
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".opblock").first.wait_for(timeout=20_000)
    assert page.locator(".opblock-summary-path", has_text="/api/v1/me").count() == 1
    page.locator(".opblock-summary", has_text="/api/v1/organisation").first.click()
    page.locator(".responses-table").first.wait_for(timeout=10_000)
    problems = [
        m
        for m in messages
        if "Content Security Policy" in m or m.startswith(("error", "pageerror"))
    ]
    assert problems == []
