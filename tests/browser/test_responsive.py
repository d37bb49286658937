"""The layout fits a small phone: no horizontal scrolling at 375 CSS pixels."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from tests.browser.support import MOBILE, load_site_data, new_context, screenshot, settle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


PATHS = ["/", "/contact/", "/compte/connexion/", "/compte/inscription/"]


def test_it_has_no_horizontal_scroll_on_a_phone(browser: Browser, live_server: LiveServer) -> None:
    load_site_data()
    context = new_context(browser, viewport=MOBILE, is_mobile=True, has_touch=True)
    too_wide = []
    try:
        page = context.new_page()
        for path in PATHS:
            page.goto(live_server.url + path)
            settle(page)
            width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if width[0] > width[1]:
                too_wide.append(f"{path} is {width[0]} px wide on a {width[1]} px screen")
            if path == "/":
                screenshot(page, "home-mobile.png")
    finally:
        context.close()
    assert not too_wide
