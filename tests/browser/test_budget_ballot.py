"""Participatory budgets in a real browser: a knapsack ballot cast with the keyboard alone,
the running total written and said through a polite live region, projects that no longer
fit marked in words; no axe-core violation on the public pages (ballot, with its errors,
confirmation, receipt check, results)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from beffroi.participation.budgets import services
from beffroi.participation.models import Ballot, BallotType, Budget, Eligibility
from beffroi.participation.tests.budgets.helpers import make_budget, project_ids, voter
from beffroi.participation.tests.budgets.test_public_pages import _voted_budget
from beffroi.testing import make_cast
from tests.browser.support import (
    axe_violations,
    broken_idrefs,
    context_for,
    describe,
    settle,
    user_with_role,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _tab_to(page: Page, target: Locator, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"could not reach {target} with Tab")


def _audit(page: Page, label: str, failures: list[str]) -> None:
    settle(page)
    violations = axe_violations(page)
    if violations:
        failures.append(f"{label} {page.url}:\n{describe(violations)}")
    if dangling := broken_idrefs(page):
        failures.append(f"{label}: references to no element: {dangling}")


def test_it_casts_a_knapsack_ballot_with_the_keyboard_only(
    browser: Browser, live_server: LiveServer
) -> None:
    cast = make_cast()
    assert user_with_role(cast.org, "resident") == cast.resident
    voter(cast)
    budget = make_budget(cast, ballot_type=BallotType.KNAPSACK, max_projects=None)
    a, b, c, d = project_ids(budget)  # 30,000 + 50,000 + 20,000 + 40,000 of 100,000
    # In English: the test reads the sentences.
    context = context_for(browser, live_server.url, cast.org, "resident", "en")
    page = context.new_page()
    try:
        page.goto(live_server.url + reverse("participation_budgets:ballot", args=[budget.pk]))
        total = page.locator("#ballot-total")
        live = page.locator("#ballot-status")
        expect(total).to_be_visible()
        expect(total).to_have_text("Chosen: 0\u00a0€ of 100,000\u00a0€, 100,000\u00a0€ left.")
        assert live.get_attribute("aria-live") == "polite"
        assert live.get_attribute("role") == "status"
        _tab_to(page, page.locator(f"#id_project-{a}"))
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
        expect(page.locator(f"#id_project-{b}")).to_be_focused()
        page.keyboard.press("Space")
        expect(total).to_have_text("Chosen: 80,000\u00a0€ of 100,000\u00a0€, 20,000\u00a0€ left.")
        # Said once the person pauses.
        expect(live).to_have_text("Chosen: 80,000\u00a0€ of 100,000\u00a0€, 20,000\u00a0€ left.")
        # 40,000 no longer fits: said in words, and with the field.
        fit = page.locator(f"#fit-{d}")
        expect(fit).to_have_text("Does not fit in what is left of the budget.")
        assert f"fit-{d}" in (
            page.locator(f"#id_project-{d}").get_attribute("aria-describedby") or ""
        )
        expect(page.locator(f"#fit-{c}")).to_be_hidden()
        page.keyboard.press("Tab")
        expect(page.locator(f"#id_project-{c}")).to_be_focused()
        page.keyboard.press("Space")
        expect(total).to_have_text("Chosen: 100,000\u00a0€ of 100,000\u00a0€, 0\u00a0€ left.")
        _tab_to(page, page.locator("form[data-ballot] button[type=submit]"))
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_have_text("Your ballot is recorded")
        ballot = Ballot.objects.get(budget=budget)
        assert sorted(ballot.choices.values_list("project_id", flat=True)) == sorted([a, b, c])
        expect(page.locator(".receipt-code")).to_have_text(ballot.receipt_code)
        # Over the budget: the server refuses, the summary takes the focus.
        page.goto(live_server.url + reverse("participation_budgets:ballot", args=[budget.pk]))
        expect(page.locator(f"#id_project-{a}")).to_be_checked()
        page.locator(f"#id_project-{d}").check()
        expect(total).to_contain_text("more than the budget")
        expect(total).to_have_attribute("data-over", "true")
        page.locator("form[data-ballot] button[type=submit]").click()
        expect(page.locator(".error-summary")).to_be_focused()
        expect(page.locator(".error-summary")).to_contain_text("more than the budget")
        assert sorted(ballot.choices.values_list("project_id", flat=True)) == sorted([a, b, c])
    finally:
        context.close()


def test_it_has_no_violation_on_the_budget_pages(browser: Browser, live_server: LiveServer) -> None:
    cast = make_cast()
    voter(cast)
    knapsack = make_budget(cast, ballot_type=BallotType.KNAPSACK, max_projects=None)
    a, b, c, d = project_ids(knapsack)
    services.ballot_cast(budget=knapsack, participant=voter(cast), choices=[a, b])
    for slug, kind, extra in (
        ("budget-points", BallotType.CUMULATIVE, {"max_points": 10, "max_projects": None}),
        ("budget-classe", BallotType.RANKED, {"max_projects": 3}),
    ):
        make_budget(cast, slug=slug, ballot_type=kind, **extra)
    census = make_budget(cast, slug="budget-liste", eligibility=Eligibility.CENSUS)
    results = _voted_budget(cast, slug="budget-resultats")
    ids = project_ids(results)
    services.outcome_publish(
        budget=results, agent=cast.participation_manager, selected=[ids[0], ids[3]]
    )
    public = "participation_budgets"
    rows = [
        ("resident", reverse(f"{public}:process", args=["budget-2026"]), "process budgets"),
        ("resident", reverse(f"{public}:ballot", args=[knapsack.pk]), "knapsack ballot"),
        ("anonymous", reverse(f"{public}:ballot", args=[knapsack.pk]), "ballot, anonymous"),
        ("resident", reverse(f"{public}:confirmation", args=[knapsack.pk]), "confirmation"),
        ("resident", reverse(f"{public}:census_claim", args=[census.pk]), "census claim"),
        ("anonymous", reverse(f"{public}:verify"), "receipt check"),
        ("anonymous", reverse(f"{public}:results", args=[results.pk]), "results"),
    ]
    for other in Budget.objects.filter(ballot_type__in=[BallotType.CUMULATIVE, BallotType.RANKED]):
        rows.append(("resident", reverse(f"{public}:ballot", args=[other.pk]), other.ballot_type))
    failures: list[str] = []
    contexts = {}
    try:
        for role, path, label in rows:
            if role not in contexts:
                contexts[role] = context_for(browser, live_server.url, cast.org, role)
            page = contexts[role].new_page()
            response = page.goto(live_server.url + path)
            assert response is not None
            if response.status != 200 or response.request.redirected_from is not None:
                failures.append(f"{label} {path}: HTTP {response.status} at {page.url}")
                page.close()
                continue
            _audit(page, label, failures)
            if label == "knapsack ballot":
                page.locator(f"#id_project-{d}").check()
                expect(page.locator(f"#fit-{c}")).to_be_visible()
                _audit(page, "knapsack ballot with a project that does not fit", failures)
                page.locator("form[data-ballot] button[type=submit]").click()
                expect(page.locator(".error-summary")).to_be_visible()
                _audit(page, "knapsack ballot with its errors", failures)
            if label == "receipt check":
                page.locator("#id_code").fill("ABCD-EFGH-JK23")
                page.locator("main button[type=submit]").click()
                expect(page.locator(".budget-verify-result")).to_be_visible()
                _audit(page, "receipt check answered", failures)
            page.close()
    finally:
        for context in contexts.values():
            context.close()
    assert not failures, "\n".join(failures)
