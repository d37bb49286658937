"""Core forms work with JavaScript turned off (old phones, strict browsers, failed loads)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from beffroi.accounts.models import User
from beffroi.testing import PASSWORD, make_cast
from tests.browser.support import new_context

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_it_logs_in_and_switches_language_without_javascript(
    browser: Browser, live_server: LiveServer
) -> None:
    cast = make_cast()
    context = new_context(browser, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/compte/connexion/")
        # A wrong password first: the error summary is rendered by the server.
        page.locator("main input[type=email]").fill(cast.resident.email)
        page.locator("main input[type=password]").fill(PASSWORD + "-wrong")
        page.locator("main form button[type=submit]").click()
        expect(page.locator(".error-summary")).to_be_visible()
        assert User.objects.get(pk=cast.resident.pk).last_login is None

        page.locator("main input[type=email]").fill(cast.resident.email)
        page.locator("main input[type=password]").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        logout = page.locator(f"form[action='{reverse('accounts:logout')}'] button")
        expect(logout).to_be_visible()
        assert User.objects.get(pk=cast.resident.pk).last_login is not None

        page.locator(".language-form button[lang=en]").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(logout).to_have_text("Log out")
    finally:
        context.close()
