"""Typing a mobile number in the registration form ticks "SMS" (the server refuses a number
given for a channel not ticked; the script saves the round trip), and a box the person
unticked themselves stays unticked."""

from __future__ import annotations

import os
from typing import Any

import pytest

# Playwright's sync API runs an asyncio loop in the test thread (see tests/browser/conftest).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from beffroi.alerts.tests.factories import Territory, territory
from tests.browser.support import new_context

__all__ = ["territory"]

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.mark.django_db(transaction=True)
def test_typing_a_number_ticks_its_channel_unless_unticked_by_hand(
    browser: Browser, live_server: LiveServer, territory: Territory, settings: Any
) -> None:
    context = new_context(browser, language="en")
    page = context.new_page()
    page.goto(live_server.url + "/alertes/inscription/")
    sms = page.locator("input[name=channels][value=sms]")
    voice = page.locator("input[name=channels][value=voice]")
    sms.check()
    sms.uncheck()
    expect(sms).not_to_be_checked()
    # Unticked by hand: typing does not tick it again.
    page.locator("input[name=sms_number]").fill("06 12 34 56 78")
    expect(sms).not_to_be_checked()
    expect(voice).not_to_be_checked()
    page.locator("input[name=voice_number]").press_sequentially("01 40")
    expect(voice).to_be_checked()
    context.close()


@pytest.mark.django_db(transaction=True)
def test_typing_a_mobile_number_ticks_sms(
    browser: Browser, live_server: LiveServer, territory: Territory, settings: Any
) -> None:
    context = new_context(browser, language="en")
    page = context.new_page()
    page.goto(live_server.url + "/alertes/inscription/")
    sms = page.locator("input[name=channels][value=sms]")
    if sms.is_checked():  # the form's initial choice: start from an unticked box
        page.evaluate("document.querySelector('input[name=channels][value=sms]').checked = false")
    page.locator("input[name=sms_number]").press_sequentially("06 12")
    expect(sms).to_be_checked()
    context.close()
