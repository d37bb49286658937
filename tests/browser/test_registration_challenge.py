"""The registration form's proof of work in a real browser, under the strict CSP: the script
solves the server's challenge, announces it in a status message, passes axe, and the
registration goes through."""

from __future__ import annotations

import os
from typing import Any

import pytest

# Playwright's sync API runs an asyncio loop in the test thread (see tests/browser/conftest).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from beffroi.alerts.models import Subscriber
from beffroi.alerts.tests.factories import INSIDE, Territory, territory
from beffroi.core.ratelimit import rate_hit
from tests.browser.support import axe_violations, describe, new_context

__all__ = ["territory"]

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.mark.django_db(transaction=True)
def test_it_solves_the_challenge_in_the_browser_and_registers(
    browser: Browser, live_server: LiveServer, territory: Territory, settings: Any
) -> None:
    settings.REGISTRATION_CHALLENGE_PER_CLIENT = 1
    settings.REGISTRATION_CHALLENGE_BITS = 12
    # This address already signed up once in the last minutes: the next one is checked.
    rate_hit("signup:client:127.0.0.1", limit=1, window_seconds=600)
    context = new_context(browser, language="en")
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/alertes/inscription/")
    status = page.get_by_role("status")
    expect(status).to_have_text("Check done: you can register.", timeout=30_000)
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.get_by_label("E-mail address").fill("jeanne@example.org")
    page.get_by_label("Mobile number for SMS").fill("")
    page.locator("input[name=channels][value=sms]").uncheck()
    page.locator("details.point-details summary").click()
    page.locator("input[name=lon]").fill(str(INSIDE[0]))
    page.locator("input[name=lat]").fill(str(INSIDE[1]))
    page.locator("input[name=consent]").check()
    page.locator("main form button[value=register]").click()
    page.wait_for_url("**/gerer/**", timeout=30_000)
    assert Subscriber.objects.filter(email="jeanne@example.org").exists()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()
