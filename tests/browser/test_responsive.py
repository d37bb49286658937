"""The layout fits a small phone: no horizontal scrolling at 375 CSS pixels."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from tests.browser.pages import (
    ADMINISTRATOR,
    ANONYMOUS,
    SOCIAL_AGENT,
    my_address_result,
    sent_alert,
    url,
)
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
        # A CCAS agent calls the persons of an alert's area from the field, on a phone.
        SOCIAL_AGENT: [sent_alert("registry:call_sheet")()],
    }
    call_sheet = pages[SOCIAL_AGENT][0]
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
                # Compared with the device's width, not window.innerWidth: a mobile browser
                # widens its layout viewport to content that overflows, so the two always
                # agreed and nothing too wide was ever caught.
                scroll_width = page.evaluate("document.documentElement.scrollWidth")
                screen_width = MOBILE["width"]
                if scroll_width > screen_width:
                    too_wide.append(
                        f"{path} is {scroll_width} px wide on a {screen_width} px screen"
                    )
                if path == call_sheet:
                    # The table itself must fit, not scroll inside a wrapper: an agent calls
                    # from the field with the sheet on a phone.
                    rows, right = page.evaluate(
                        "[document.querySelectorAll('table.call-sheet tbody tr').length,"
                        " document.querySelector('table.call-sheet').getBoundingClientRect().right]"
                    )
                    assert rows > 1, "the call sheet of the test data has nobody to call"
                    if right > screen_width:
                        too_wide.append(f"the call sheet's table is {right:.0f} px wide")
                if path == "/":
                    screenshot(page, "home-mobile.png")
                elif path == url("territory_backoffice:zone_list"):
                    screenshot(page, "zones-mobile.png")
        finally:
            context.close()
    assert not too_wide
