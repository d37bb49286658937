"""The back office of participatory budgets in the accessibility table, on the demo's budgets
(beffroi/demo/budgets.py): 2027's with its vote open, 2026's with results under the three
rules and an official outcome that differs from them."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page

from tests.browser.pages import (
    FRONT_DESK,
    PARTICIPATION_MANAGER,
    PageSpec,
    submit_with,
    url,
)

OPEN_VOTE = "budget-participatif-2027"
PAST_VOTE = "budget-participatif-2026"
BO = "participation_budgets_backoffice"

CENSUS_FILE = "numero;nom;annee de naissance;adresse\n1;Ada L.;1980;Rue des Lilas\n2;;1975;\n"


def _budget(slug: str) -> int:
    from beffroi.participation.models import Budget

    budget = Budget.objects.filter(process__slug=slug).order_by("pk").first()
    assert budget is not None, f"the data has no budget in {slug}"
    return budget.pk


def _process(slug: str) -> int:
    from beffroi.participation.models import Process

    process = Process.objects.filter(slug=slug).first()
    assert process is not None, f"the data has no process {slug}"
    return process.pk


def _page(name: str, slug: str, query: str = "") -> Callable[[], str]:
    return lambda: url(f"{BO}:{name}", _budget(slug), query=query)


def _census_preview(page: Page) -> None:
    page.locator("main input[type=file]").set_input_files(
        {"name": "liste.csv", "mimeType": "text/csv", "buffer": CENSUS_FILE.encode()}
    )
    submit_with("main form button[type=submit]")(page)


PAGES_BUDGETS_BACKOFFICE: list[PageSpec] = [
    PageSpec(lambda: url(f"{BO}:list"), PARTICIPATION_MANAGER, "participatory budgets"),
    PageSpec(lambda: url(f"{BO}:list"), FRONT_DESK, "participatory budgets (front desk)"),
    PageSpec(
        lambda: url(f"{BO}:create", _process(OPEN_VOTE)),
        PARTICIPATION_MANAGER,
        "new budget",
    ),
    PageSpec(
        lambda: url(f"{BO}:create", _process(OPEN_VOTE)),
        PARTICIPATION_MANAGER,
        "new budget sent empty",
        prepare=submit_with("main form[method=post] button[type=submit]"),
    ),
    PageSpec(_page("detail", OPEN_VOTE), PARTICIPATION_MANAGER, "budget with its vote open"),
    PageSpec(_page("update", OPEN_VOTE), PARTICIPATION_MANAGER, "edit a budget"),
    PageSpec(_page("detail", PAST_VOTE), PARTICIPATION_MANAGER, "budget voted last year"),
    PageSpec(_page("project_create", OPEN_VOTE), PARTICIPATION_MANAGER, "new budget project"),
    PageSpec(_page("census", OPEN_VOTE), PARTICIPATION_MANAGER, "census list import"),
    PageSpec(
        _page("census", OPEN_VOTE),
        PARTICIPATION_MANAGER,
        "census list import: preview",
        prepare=_census_preview,
    ),
    PageSpec(_page("paper", OPEN_VOTE), FRONT_DESK, "paper ballots"),
    PageSpec(
        _page("paper", OPEN_VOTE),
        FRONT_DESK,
        "paper ballot sent empty",
        prepare=submit_with("main form[method=post] button[type=submit]"),
    ),
    PageSpec(_page("results", OPEN_VOTE), PARTICIPATION_MANAGER, "budget results, none yet"),
    PageSpec(
        _page("results", PAST_VOTE),
        PARTICIPATION_MANAGER,
        "budget results side by side, official outcome",
    ),
    PageSpec(
        _page("publish", PAST_VOTE, "regle=mes-add1"),
        PARTICIPATION_MANAGER,
        "official outcome of a budget",
    ),
    PageSpec(
        _page("publish", PAST_VOTE, "regle=greedy"),
        PARTICIPATION_MANAGER,
        "official outcome of a budget: check before publishing",
        prepare=submit_with("main form button[value=preview]"),
    ),
]
