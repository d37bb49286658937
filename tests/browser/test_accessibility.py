"""axe-core finds no WCAG 2.1 A/AA or best-practice violation on any page of the table."""

from __future__ import annotations

import contextlib
import warnings
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import Resolver404, resolve
from django.views.defaults import server_error
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from beffroi.testing import make_cast
from tests.browser.pages import (
    NOT_PAGE_NAMESPACES,
    NOT_PAGES,
    NOT_YET_AUDITED,
    PAGES,
    PageSpec,
)
from tests.browser.support import (
    axe_violations,
    broken_idrefs,
    context_for,
    describe,
    load_site_data,
    screenshot,
    settle,
    url_names,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# The walk's clock: the demo commune is built and every page served at this instant, so
# that dates and times on the screenshots are the same at every run. In the future of any
# run, so that the browser keeps the cookies the server sets.
WALK_CLOCK = "2031-06-17T08:00:00+00:00"


# The table is walked in two halves, each in its own xdist group: `make test` runs them on
# its two workers at once, each with its own live server and demo commune, instead of one
# worker walking every page while the other has nothing left to do. Contiguous halves keep
# each domain's rows in their written order.
HALF = (len(PAGES) + 1) // 2
WALK_PARTS = {"first": PAGES[:HALF], "second": PAGES[HALF:]}


@pytest.mark.parametrize(
    "part",
    [
        pytest.param("first", marks=pytest.mark.xdist_group("browser")),
        pytest.param("second", marks=pytest.mark.xdist_group("browser-walk")),
    ],
)
def test_it_has_no_violation_on_any_page(
    browser: Browser, live_server: LiveServer, settings: Any, part: str
) -> None:
    # As `make run` serves the demo: with its own gateways, whose outbox is one of the pages.
    settings.DEMO_GATEWAYS = True
    # The wall clock only (time-machine), and it stands still: a page saying when something
    # was computed says the same minute at every run. Monotonic clocks, hence event loops,
    # timeouts and Playwright's driver, keep running as they do.
    with time_machine.travel(WALK_CLOCK, tick=False):
        _walk(browser, live_server, WALK_PARTS[part])


# Committed transactions: the outbox row sends through the demo gateways, whose threads
# write the outbox with their own connections.
@pytest.mark.django_db(transaction=True)
def test_it_has_a_row_for_every_page(settings: Any) -> None:
    """Every named URL is a row of the table or is listed as no page, with its reason."""
    settings.DEMO_GATEWAYS = True
    with time_machine.travel(WALK_CLOCK, tick=False):
        load_site_data()
        audited: set[str] = set()
        for spec in PAGES:
            try:
                path = spec.resolve()
            except AssertionError:
                # A row whose page an earlier row's action creates (an import's report):
                # the walk checks it; here it counts by the URL name it carries.
                audited.add(getattr(spec.url, "url_name", ""))
                continue
            with contextlib.suppress(Resolver404):
                audited.add(resolve(urlsplit(path).path).view_name)
    forgotten = sorted(
        name
        for name in url_names() - audited - NOT_PAGES.keys()
        if name.split(":")[0] not in NOT_PAGE_NAMESPACES
    )
    pending = [name for name in forgotten if name.split(":")[0] in NOT_YET_AUDITED]
    if pending:
        warnings.warn(f"pages not audited yet: {', '.join(pending)}", stacklevel=1)
    missing = [name for name in forgotten if name not in pending]
    assert not missing, f"pages in no row of tests/browser/pages.py: {', '.join(missing)}"


def _walk(browser: Browser, live_server: LiveServer, pages: list[PageSpec]) -> None:
    # One walk over half the table: loading the demo commune once costs far less than once
    # per page (the live server flushes the database after each test).
    organisation = load_site_data()
    contexts: dict[tuple[str, str], BrowserContext] = {}
    failures: list[str] = []
    try:
        for spec in pages:
            key = (spec.role, spec.language)
            if key not in contexts:
                contexts[key] = context_for(
                    browser, live_server.url, organisation, spec.role, spec.language
                )
            page = contexts[key].new_page()
            label = f"{spec.description} ({spec.role}, {spec.language})"
            try:
                path = spec.resolve()
                response = page.goto(live_server.url + path)
                assert response is not None
                if response.request.redirected_from is not None:
                    # Audited, the page behind the redirect would pass under this row's name
                    # while the row's own page went unchecked.
                    failures.append(f"{label} {path}: redirected to {page.url}, not audited")
                    continue
                if spec.status is not None and response.status != spec.status:
                    failures.append(f"{label} {path}: HTTP {response.status}, not {spec.status}")
                    continue
                if spec.prepare is not None:
                    spec.prepare(page)
                settle(page)
                violations = axe_violations(page, waived=tuple(rule for rule, _ in spec.waived))
                if violations:
                    failures.append(f"{label} {page.url}:\n{describe(violations)}")
                if dangling := broken_idrefs(page):
                    failures.append(f"{label} {page.url}: references to no element: {dangling}")
                if spec.screenshot:
                    screenshot(page, spec.screenshot)
            except Exception as error:  # one broken page must not hide the others
                failures.append(f"{label}: {type(error).__name__}: {error}")
            finally:
                page.close()
    finally:
        for context in contexts.values():
            context.close()
    assert not failures, f"{len(failures)} of {len(pages)} pages fail:\n" + "\n".join(failures)


def test_it_detects_violations_under_the_csp(page: Page, live_server: LiveServer) -> None:
    make_cast()
    response = page.goto(live_server.url + "/")
    assert response is not None
    assert "script-src" in response.headers["content-security-policy"]
    assert axe_violations(page) == []
    # An image without a text alternative, added the way a faulty template would.
    page.locator("main").evaluate(
        "main => main.insertAdjacentHTML('beforeend', '<img src=\"/static/beffroi/favicon.svg\">')"
    )
    assert [violation["id"] for violation in axe_violations(page)] == ["image-alt"]
    assert broken_idrefs(page) == []
    page.locator("main").evaluate(
        "main => main.insertAdjacentHTML('beforeend', '<p aria-describedby=\"nowhere\">x</p>')"
    )
    assert broken_idrefs(page) == ["p[aria-describedby=nowhere]"]


def test_it_has_no_violation_on_the_server_error_page(page: Page, live_server: LiveServer) -> None:
    # Django renders 500.html without a request (the failure may be the database itself):
    # serve exactly that response in place of a page, with the real static files around it.
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    body = response.content
    page.route(
        f"{live_server.url}/server-error",
        lambda route: route.fulfill(status=500, body=body, content_type="text/html; charset=utf-8"),
    )
    page.goto(f"{live_server.url}/server-error")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator(".site-header")).to_have_css("border-top-style", "solid")  # styled
    assert axe_violations(page) == []
    screenshot(page, "500.png")
