"""Participatory budgets, public pages: the rows of the browser accessibility table (merged
into ``pages.PAGES`` with the rest), and the budgets' URL names that are not pages.

The demo commune holds a participatory-budget process with a budget whose vote is open and
a budget with published results; the rows find them by their state, not by their names."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.pages import ANONYMOUS, RESIDENT, PageSpec, url


def _budget_with_open_vote() -> int:
    """A budget of a published process whose vote phase is open now."""
    from beffroi.participation.access import open_actions
    from beffroi.participation.models import Action, Budget, PhaseType, Process

    budgets = (
        Budget.objects.filter(
            process__status=Process.Status.PUBLISHED, process__phases__type=PhaseType.VOTE
        )
        .select_related("process")
        .prefetch_related("process__phases")
        .distinct()
        .order_by("pk")
    )
    for budget in budgets:
        if Action.VOTE in open_actions(budget.process) and not hasattr(budget, "outcome"):
            return budget.pk
    raise AssertionError("the data has no budget whose vote is open")


def _budget_with_outcome() -> int:
    """A budget with a published official outcome (preferably with computed results)."""
    from beffroi.participation.models import Budget, BudgetOutcome, Process

    budget = (
        Budget.objects.filter(outcome__isnull=False, process__status=Process.Status.PUBLISHED)
        .order_by("-results__pk", "pk")
        .first()
    )
    assert budget is not None and BudgetOutcome.objects.filter(budget=budget).exists(), (
        "the data has no budget with a published outcome"
    )
    return budget.pk


def _process_of(budget_id: int) -> str:
    from beffroi.participation.models import Budget

    return Budget.objects.select_related("process").get(pk=budget_id).process.slug


def _check_unknown_receipt(page: Page) -> None:
    page.locator("#id_code").fill("ABCD-EFGH-JK23")
    page.locator("main button[type=submit]").click()
    expect(page.locator(".budget-verify-result")).to_be_visible()


def _send_an_empty_ballot(page: Page) -> None:
    """The ballot sent with nothing chosen: the summary and the rule's message."""
    for box in page.locator("form[data-ballot] input[type=checkbox]:checked").all():
        box.uncheck()
    page.locator("form[data-ballot] button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()


PAGES_BUDGETS_PUBLIC: list[PageSpec] = [
    PageSpec(
        lambda: url("participation_budgets:process", _process_of(_budget_with_open_vote())),
        ANONYMOUS,
        "participatory budgets of a process (vote open, results published)",
    ),
    PageSpec(
        lambda: url("participation_budgets:ballot", _budget_with_open_vote()),
        ANONYMOUS,
        "budget ballot, anonymous: the projects and how to take part",
    ),
    PageSpec(
        lambda: url("participation_budgets:ballot", _budget_with_open_vote()),
        RESIDENT,
        "budget ballot with its running total",
        screenshot="budget-ballot.png",
    ),
    PageSpec(
        lambda: url("participation_budgets:ballot", _budget_with_open_vote()),
        RESIDENT,
        "budget ballot sent with an error",
        prepare=_send_an_empty_ballot,
    ),
    PageSpec(
        lambda: url("participation_budgets:results", _budget_with_outcome()),
        ANONYMOUS,
        "budget results: official outcome, rules side by side, votes chart",
        screenshot="budget-results.png",
    ),
    PageSpec(
        lambda: url("participation_budgets:report", _budget_with_outcome()),
        ANONYMOUS,
        "budget report: money, realisations, participation, satisfaction",
        screenshot="budget-report.png",
    ),
    PageSpec(
        lambda: url("participation_budgets:verify"),
        ANONYMOUS,
        "ballot receipt check",
        prepare=_check_unknown_receipt,
    ),
]

# Reached only after a ballot (the confirmation redirects to the ballot otherwise), a
# download, or a page of census budgets only: audited by tests/browser/test_budget_ballot.py.
NOT_PAGES_BUDGETS_PUBLIC: dict[str, str] = {
    "participation_budgets:receipt": "text download of the ballot receipt",
    "participation_budgets:confirmation": (
        "needs the person's ballot: audited by tests/browser/test_budget_ballot.py"
    ),
    "participation_budgets:census_claim": (
        "census budgets only (404 otherwise): audited by tests/browser/test_budget_ballot.py"
    ),
}
