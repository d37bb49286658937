"""The layout fits a small phone: no horizontal scrolling at 375 CSS pixels."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from tests.browser.pages import ADMINISTRATOR, ANONYMOUS, my_address_result, url
from tests.browser.support import MOBILE, context_for, load_site_data, screenshot, settle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_it_has_no_horizontal_scroll_on_a_phone(browser: Browser, live_server: LiveServer) -> None:
    organisation = load_site_data()
    pages = {
        ANONYMOUS: [
            "/",
            url("core:contact"),
            url("accounts:login"),
            url("accounts:signup"),
            my_address_result(),
        ],
        ADMINISTRATOR: [
            url("backoffice:home"),
            url("accounts_backoffice:agents"),
            url("territory_backoffice:zone_list"),
            url("territory_backoffice:address_list"),
        ],
    }
    too_wide = []
    for role, paths in pages.items():
        context = context_for(
            browser,
            live_server.url,
            organisation,
            role,
            viewport=MOBILE,
            is_mobile=True,
            has_touch=True,
        )
        try:
            page = context.new_page()
            for path in paths:
                page.goto(live_server.url + path)
                settle(page)
                width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                if width[0] > width[1]:
                    too_wide.append(f"{path} is {width[0]} px wide on a {width[1]} px screen")
                if path == "/":
                    screenshot(page, "home-mobile.png")
                elif path == url("territory_backoffice:zone_list"):
                    screenshot(page, "zones-mobile.png")
        finally:
            context.close()
    assert not too_wide
