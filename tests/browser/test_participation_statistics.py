"""The agents' statistics of a process in a browser: no axe-core violation on the page (its
SVG charts, bar lists and tables, with the table per day unfolded) nor on the list of
processes, and the table per day opens from the keyboard."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from beffroi.participation.tests.statistics.dataset import build
from beffroi.testing import make_cast
from tests.browser.support import axe_violations, broken_idrefs, context_for, describe, settle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_statistics_page_has_no_violation(
    browser: Browser, live_server: LiveServer, language: str
) -> None:
    cast = make_cast()
    data = build(cast)
    context = context_for(browser, live_server.url, cast.org, "participation_manager", language)
    page = context.new_page()
    url = reverse(
        "participation_statistics_backoffice:process", kwargs={"process_id": data.process.pk}
    )
    response = page.goto(live_server.url + url)
    assert response is not None and response.status == 200
    settle(page)
    expect(page.locator("h1")).to_contain_text("Des idées pour Valmont")
    expect(page.locator("svg.line-chart[role='img']")).to_have_count(4)
    expect(page.locator("ul.bar-chart")).to_have_count(8)
    violations = axe_violations(page)
    assert not violations, describe(violations)
    assert not broken_idrefs(page)

    # The table per day is folded; the keyboard unfolds it and axe checks it open.
    summary = page.locator("details.stat-details summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("details.stat-details table")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe(violations)

    index = context.new_page()
    index.goto(live_server.url + reverse("participation_statistics_backoffice:index"))
    settle(index)
    violations = axe_violations(index)
    assert not violations, describe(violations)
    context.close()
