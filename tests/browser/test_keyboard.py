"""Keyboard-only use: skip link, login, language switcher, visible focus."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from beffroi.accounts.models import User
from beffroi.testing import PASSWORD, make_cast

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def focused_tag(page: Page) -> str:
    return str(page.evaluate("document.activeElement.tagName")).lower()


def test_it_makes_the_skip_link_the_first_focusable_element(
    page: Page, live_server: LiveServer
) -> None:
    make_cast()
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    expect(skip).to_have_attribute("href", "#main")
    # A visible focus indicator: the outline a sighted keyboard user follows.
    assert skip.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_it_logs_in_with_the_keyboard_only(page: Page, live_server: LiveServer) -> None:
    cast = make_cast()
    page.goto(live_server.url + "/compte/connexion/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    email = page.locator("main input[type=email], main input[name=username]").first
    expect(email).to_be_focused()
    page.keyboard.type(cast.resident.email)
    page.keyboard.press("Tab")
    expect(page.locator("main input[type=password]")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    # Logged in: the header now offers the account and the logout button.
    expect(page.locator(f"form[action='{reverse('accounts:logout')}'] button")).to_be_visible()
    expect(page.locator(f".account-nav a[href='{reverse('accounts:login')}']")).to_have_count(0)
    assert User.objects.get(pk=cast.resident.pk).last_login is not None


def test_it_switches_language_with_the_keyboard(page: Page, live_server: LiveServer) -> None:
    make_cast()
    page.goto(live_server.url + "/contact/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    english = page.locator(".language-form button[lang=en]")
    for _ in range(15):
        page.keyboard.press("Tab")
        if english.evaluate("e => e === document.activeElement"):
            break
    expect(english).to_be_focused()
    assert english.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # Back on the page the resident was reading, now in English.
    assert page.url == live_server.url + "/contact/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact the town hall")
    expect(page.locator(".language-form button[lang=en]")).to_have_attribute("aria-current", "true")


def test_it_shows_the_focus_on_links_and_buttons(page: Page, live_server: LiveServer) -> None:
    make_cast()
    page.goto(live_server.url + "/")
    for _ in range(20):
        page.keyboard.press("Tab")
        if focused_tag(page) in {"a", "button"}:
            style = page.evaluate(
                "(() => { const s = getComputedStyle(document.activeElement);"
                " return [s.outlineStyle, s.outlineWidth]; })()"
            )
            assert style[0] != "none" and style[1] != "0px", (
                page.evaluate("document.activeElement.outerHTML"),
                style,
            )


def test_it_focuses_the_error_summary_and_links_to_the_field(
    page: Page, live_server: LiveServer
) -> None:
    cast = make_cast()
    page.goto(live_server.url + "/compte/connexion/")
    page.locator("main input[type=email]").fill("not-an-address")
    page.locator("main input[type=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    # The title says so first ("Error" until the French catalogue is compiled).
    expect(page).to_have_title(re.compile(r"^(Erreur|Error) ?:"))
    email = page.locator("main input[type=email]")
    expect(email).to_have_attribute("aria-invalid", "true")
    described_by = email.get_attribute("aria-describedby") or ""
    error = page.locator(f"#{described_by.split()[-1]}")
    expect(error).to_be_visible()
    # The summary's link takes the keyboard user to the field in error.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(email).to_be_focused()
    assert User.objects.get(pk=cast.resident.pk).last_login is None
