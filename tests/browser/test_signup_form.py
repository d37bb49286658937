"""Enter in the registration form's address search, in a real browser under the strict CSP:
it searches without leaving the field (nor the page), ticks the best match when it is
unambiguous, and Enter in another field registers instead of searching."""

from __future__ import annotations

import os
from typing import Any

import pytest

# Playwright's sync API runs an asyncio loop in the test thread (see tests/browser/conftest).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from beffroi.alerts.models import Subscriber
from beffroi.alerts.tests.factories import Territory, territory
from tests.browser.support import axe_violations, describe, new_context

__all__ = ["territory"]

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _form(browser: Browser, live_server: LiveServer, settings: Any) -> Page:
    context = new_context(browser, language="en")
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(live_server.url + "/alertes/inscription/")
    return page


@pytest.mark.django_db(transaction=True)
def test_enter_in_the_address_search_keeps_the_focus_and_ticks_the_best_match(
    browser: Browser, live_server: LiveServer, territory: Territory, settings: Any
) -> None:
    page = _form(browser, live_server, settings)
    page.evaluate("window.__samePage = true")
    search = page.locator("input[name=q]")
    search.fill("12 rue de la mairie")
    search.press("Enter")
    match = page.locator(f"#address-{territory.mairie_12.pk}")
    expect(match).to_be_checked()
    expect(search).to_be_focused()
    # No page load: the form was not submitted.
    assert page.evaluate("window.__samePage === true")
    assert "data-error-summary" not in page.content()
    # Several numbers of one street: nothing is ticked for the resident.
    search.fill("rue de la mairie")
    search.press("Enter")
    expect(page.locator(f"#address-{territory.mairie_14.pk}")).to_be_visible()
    expect(page.locator("input[name=address]:checked")).to_have_count(0)
    expect(search).to_be_focused()
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.context.close()


@pytest.mark.django_db(transaction=True)
def test_enter_in_another_field_registers(
    browser: Browser, live_server: LiveServer, territory: Territory, settings: Any
) -> None:
    page = _form(browser, live_server, settings)
    search = page.locator("input[name=q]")
    search.fill("12 rue de la mairie")
    search.press("Enter")
    expect(page.locator(f"#address-{territory.mairie_12.pk}")).to_be_checked()
    page.get_by_label("E-mail address").fill("jeanne@example.org")
    page.locator("input[name=channels][value=sms]").uncheck()
    page.locator("input[name=consent]").check()
    page.get_by_label("E-mail address").press("Enter")
    page.wait_for_url("**/gerer/**", timeout=30_000)
    subscriber = Subscriber.objects.get(email="jeanne@example.org")
    assert subscriber.places.get().address_id == territory.mairie_12.pk
    page.context.close()
