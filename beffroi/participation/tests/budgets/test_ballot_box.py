"""The ballot box: what a ballot cast needs of its budget (the budget, its process and
phases, its projects), kept in the shared cache and read again as soon as an agent changes
any of it. A box must never let a ballot through that the database would refuse: a vote
closed by hand, a project's new cost, another organisation, a process back in draft."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import Http404
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from beffroi.participation.budgets import access
from beffroi.participation.budgets.access import access_ballot_box
from beffroi.participation.models import Ballot, BallotType, BudgetProject, Phase, Process
from beffroi.participation.processes.services import phase_close
from beffroi.participation.tests.budgets.helpers import make_budget, project_ids, voter
from beffroi.testing import Cast

# The box read from the database: the budget with its process, its phases, its projects.
BOX_QUERIES = 3
OnCommit = Callable[..., Any]


def _api_cast(client: Client, budget_id: int, choices: list[int]) -> Any:
    return client.post(
        f"/api/v1/participation/budgets/{budget_id}/ballot",
        {"choices": choices},
        content_type="application/json",
    )


def _signed_in(cast: Cast, *, second: bool = False) -> Client:
    voter(cast, second=second)
    client = Client()
    client.force_login(cast.resident2 if second else cast.resident)
    return client


def _request(cast: Cast, *, organisation: Any = None) -> Any:
    request = RequestFactory().post("/")
    request.organisation = organisation or cast.org
    request.user = cast.resident
    return request


def test_a_second_cast_reads_the_budget_from_its_box(cast: Cast, settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    budget = make_budget(cast, ballot_type=BallotType.KNAPSACK, max_projects=None)
    a, b, c, _d = project_ids(budget)
    alice, bruno = _signed_in(cast), _signed_in(cast, second=True)
    assert _api_cast(alice, budget.pk, [a, b]).status_code == 201
    with CaptureQueriesContext(connection) as captured:
        response = bruno.post(
            reverse("participation_budgets:ballot", args=[budget.pk]), {f"project-{c}": "on"}
        )
    assert response.status_code == 302, response.content
    statements = " ".join(q["sql"] for q in captured)
    for table in (
        '"participation_budget" ',
        '"participation_phase"',
        '"participation_budgetproject"',
    ):
        assert f"FROM {table}" not in statements, table
    assert Ballot.objects.filter(budget=budget).count() == 2


def test_closing_the_vote_by_hand_refuses_the_next_ballot_at_once(
    cast: Cast, settings: Any, django_capture_on_commit_callbacks: OnCommit
) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    budget = make_budget(cast)
    a, b, *_rest = project_ids(budget)
    alice, bruno = _signed_in(cast), _signed_in(cast, second=True)
    assert _api_cast(alice, budget.pk, [a]).status_code == 201
    phase = Phase.objects.get(process=budget.process)
    with django_capture_on_commit_callbacks(execute=True):
        phase_close(phase=phase, actor=cast.participation_manager)
    response = _api_cast(bruno, budget.pk, [b])
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "phase_closed"
    page = bruno.post(
        reverse("participation_budgets:ballot", args=[budget.pk]), {f"project-{b}": "on"}
    )
    assert page.status_code == 403
    assert Ballot.objects.filter(budget=budget).count() == 1


def test_a_project_changed_is_read_again(
    cast: Cast, settings: Any, django_capture_on_commit_callbacks: OnCommit
) -> None:
    """The rules are checked against the costs of the database, not those of a box read
    before an agent changed them (before the vote: after it, nothing changes)."""
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    budget = make_budget(cast, ballot_type=BallotType.KNAPSACK, max_projects=None)
    a, b, *_rest = project_ids(budget)
    alice, bruno = _signed_in(cast), _signed_in(cast, second=True)
    assert _api_cast(alice, budget.pk, [a]).status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        project = BudgetProject.objects.get(pk=b)
        project.cost = Decimal("90000")
        project.save()
    response = _api_cast(bruno, budget.pk, [a, b])
    assert response.status_code == 422, response.content
    assert "choices" in response.json()["errors"]


def test_a_process_back_in_draft_hides_its_budget_at_once(
    cast: Cast, settings: Any, django_capture_on_commit_callbacks: OnCommit
) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    budget = make_budget(cast)
    a, b, *_rest = project_ids(budget)
    alice, bruno = _signed_in(cast), _signed_in(cast, second=True)
    assert _api_cast(alice, budget.pk, [a]).status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        process = Process.objects.get(pk=budget.process_id)
        process.status = Process.Status.DRAFT
        process.save()
    assert _api_cast(bruno, budget.pk, [b]).status_code == 404


def test_a_box_is_never_served_to_another_organisation(cast: Cast) -> None:
    budget = make_budget(cast)
    box = access_ballot_box(_request(cast), budget.pk)
    assert box.budget.pk == budget.pk and list(box.projects) == project_ids(budget)
    with CaptureQueriesContext(connection) as captured, pytest.raises(Http404):
        access_ballot_box(_request(cast, organisation=cast.other_org), budget.pk)
    assert len(captured) == 0  # refused from the box itself


def test_a_box_stored_under_a_replaced_token_is_read_again(cast: Cast) -> None:
    """The version token is read before the database: a box read before a change carries
    the token the change replaced, and is never served."""
    budget = make_budget(cast)
    access_ballot_box(_request(cast), budget.pk)
    with CaptureQueriesContext(connection) as captured:
        access_ballot_box(_request(cast), budget.pk)
    assert len(captured) == 0
    cache.set(access._box_version_key(budget.pk), "replaced", None)
    with CaptureQueriesContext(connection) as captured:
        box = access_ballot_box(_request(cast), budget.pk)
    assert len(captured) == BOX_QUERIES and box.budget.pk == budget.pk
    # Without a token (evicted), the box is read again too, and kept under a new one.
    cache.delete(access._box_version_key(budget.pk))
    with CaptureQueriesContext(connection) as captured:
        access_ballot_box(_request(cast), budget.pk)
    assert len(captured) == BOX_QUERIES
    with CaptureQueriesContext(connection) as captured:
        access_ballot_box(_request(cast), budget.pk)
    assert len(captured) == 0


def test_a_missing_budget_is_not_kept(cast: Cast) -> None:
    for _attempt in range(2):
        with CaptureQueriesContext(connection) as captured, pytest.raises(Http404):
            access_ballot_box(_request(cast), 999_999)
        assert len(captured) == 1  # the budget only: no projects to read
