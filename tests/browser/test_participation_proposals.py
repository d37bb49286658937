"""Proposals in the browser: no axe violation on the list, the detail and the form, and a
resident proposing then another supporting, with the keyboard only."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from beffroi.accounts.models import User
from beffroi.participation.models import Category, Proposal
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.testing import Cast, make_cast
from tests.browser.support import axe_violations, describe, new_context, session_cookie, settle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def logged_in(browser: Browser, base_url: str, user: User | None) -> BrowserContext:
    context = new_context(browser)
    cookies: list[Any] = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "fr", "url": base_url}]
    if user is not None:
        cookies.append(
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session_cookie(user, verified=False),
                "url": base_url,
            }
        )
    context.add_cookies(cookies)
    return context


def data() -> tuple[Cast, Any, Proposal]:
    cast = make_cast()
    process = make_process(cast.org, support_threshold=10)
    Category.objects.create(process=process, name="Environnement")
    alice = participant(cast.resident, cast.org)
    participant(cast.resident2, cast.org)
    proposal = make_proposal(
        process, alice, title="Un composteur partagé square Jean-Moulin", lat=45.001, lon=4.001
    )
    make_proposal(process, alice, title="Des bancs place du marché")
    return cast, process, proposal


def test_it_has_no_axe_violation_on_the_proposals_pages(
    browser: Browser, live_server: LiveServer
) -> None:
    cast, process, proposal = data()
    context = logged_in(browser, live_server.url, cast.resident2)
    page = context.new_page()
    for path in (
        reverse("participation_proposals:list", args=[process.slug]),
        reverse("participation_proposals:map", args=[process.slug]),
        reverse("participation_proposals:detail", args=[proposal.pk]),
        reverse("participation_proposals:create", args=[process.slug]),
    ):
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, path
        settle(page)
        violations = axe_violations(page)
        assert not violations, f"{path}\n{describe(violations)}"
    context.close()


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    target = page.locator(selector).first
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"{selector} never took the focus")


def test_it_proposes_and_supports_with_the_keyboard_only(
    browser: Browser, live_server: LiveServer
) -> None:
    cast, process, _proposal = data()
    author = logged_in(browser, live_server.url, cast.resident)
    page = author.new_page()
    page.goto(live_server.url + reverse("participation_proposals:list", args=[process.slug]))
    tab_to(page, "main a.button[href$='/proposer/']")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_count(1)
    tab_to(page, "#id_title")
    page.keyboard.type("Un composteur au square")
    # While writing, the similar proposal is suggested.
    expect(page.locator("#similar-proposals a")).to_contain_text("composteur partagé")
    page.keyboard.press("Tab")
    # The suggestion's link comes next, then the description.
    tab_to(page, "#id_body")
    page.keyboard.type("Un deuxième composteur pour les immeubles du quartier.")
    tab_to(page, "#id_category")
    page.keyboard.press("ArrowDown")
    tab_to(page, "button[data-default-submit]")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Un composteur au square")
    created = Proposal.objects.get(title="Un composteur au square")
    assert created.author is not None and created.author.user_id == cast.resident.pk
    author.close()

    supporter = logged_in(browser, live_server.url, cast.resident2)
    page = supporter.new_page()
    page.goto(live_server.url + reverse("participation_proposals:detail", args=[created.pk]))
    tab_to(page, "form[action$='/soutenir/'] button")
    page.keyboard.press("Enter")
    expect(page.locator("#supports-count")).to_contain_text("1")
    expect(page.locator("form[action$='/retirer-soutien/'] button")).to_be_visible()
    # The focus stays in the replaced block (not back at the top of the page), and the
    # outcome is said in the live region that was there before the swap.
    expect(page.locator("form[action$='/retirer-soutien/'] button")).to_be_focused()
    expect(page.locator("#proposal-actions-status")).not_to_be_empty()
    created.refresh_from_db()
    assert created.supports_count == 1
    supporter.close()
