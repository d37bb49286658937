"""The volunteer's availability grid by keyboard alone, and as a screen reader names it."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from beffroi.testing import make_cast
from beffroi.volunteering.models import VolunteerProfile, grid_bit
from tests.browser.support import new_context, session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SATURDAY, MORNING = 5, 0


def _tab_to(page: Page, check: str, limit: int = 400) -> None:
    """Press Tab until the focused element satisfies the JavaScript predicate ``check``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const e = document.activeElement; return {check}; }})()"):
            return
    raise AssertionError(f"never reached by Tab: {check}")


def test_it_fills_the_availability_grid_by_keyboard(
    browser: Browser, live_server: LiveServer
) -> None:
    cast = make_cast()
    context = new_context(browser)
    cookies: list[Any] = [
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": "fr", "url": live_server.url},
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": session_cookie(cast.resident, verified=False),
            "url": live_server.url,
        },
    ]
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(live_server.url + "/benevolat/profil/")
    # Each box has a name a screen reader reads out: the day and the period.
    saturday_morning = page.get_by_role("checkbox", name="Samedi matin", exact=False)
    expect(saturday_morning).to_have_count(1)
    expect(page.get_by_role("columnheader").first).to_be_visible()
    # From the top of the page, by Tab only: the name, then the grid's box, then the button.
    _tab_to(page, "e.name === 'full_name'")
    page.keyboard.type("Camille Martin")
    _tab_to(page, "e.type === 'checkbox' && e.labels[0].textContent.includes('Samedi matin')")
    page.keyboard.press("Space")
    expect(saturday_morning).to_be_checked()
    _tab_to(page, "e.type === 'submit' && e.closest('form').method === 'post'")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Votre profil de bénévole est créé")).to_be_visible()
    profile = VolunteerProfile.objects.get(user=cast.resident)
    assert profile.full_name == "Camille Martin"
    assert profile.availability & grid_bit(SATURDAY, MORNING)
    assert profile.availability == grid_bit(SATURDAY, MORNING)
    context.close()
