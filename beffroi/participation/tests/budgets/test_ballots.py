"""Casting a ballot: every rule checked by the server, eligibility, one ballot per person,
changes keep the receipt, receipts verified without revealing choices."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from beffroi.alerts.tests.factories import make_address, make_zone
from beffroi.participation.access import ActionRefused
from beffroi.participation.budgets import selectors, services
from beffroi.participation.models import (
    Ballot,
    BallotChoice,
    BallotType,
    BudgetResult,
    CensusEntry,
    Eligibility,
)
from beffroi.participation.tests.budgets.helpers import make_budget, project_ids, voter
from beffroi.testing import Cast, at_once


def _refused_with(
    budget: Any, person: Any, choices: Any, code: str, message: str
) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        services.ballot_cast(budget=budget, participant=person, choices=choices)
    error = caught.value.error_dict["choices"][0]
    assert error.code == code
    assert message in " ".join(caught.value.messages)
    assert not Ballot.objects.exists() and not BallotChoice.objects.exists()
    return caught.value


def test_it_records_an_approval_ballot_with_a_receipt(cast: Cast) -> None:
    budget = make_budget(cast)
    a, b, _c, _d = project_ids(budget)
    alice = voter(cast)
    ballot = services.ballot_cast(budget=budget, participant=alice, choices=[a, b])
    assert ballot.voter_key == f"p:{alice.pk}" and ballot.source == Ballot.Source.ONLINE
    assert list(ballot.choices.values_list("project_id", flat=True)) == [a, b]
    assert len(ballot.receipt_code) == 14 and ballot.receipt_code.count("-") == 2
    receipt = services.ballot_receipt(ballot=ballot)
    assert receipt.receipt_code == ballot.receipt_code
    assert receipt.budget_title == "Budget participatif 2026"


def test_it_refuses_too_few_and_too_many_projects(cast: Cast) -> None:
    budget = make_budget(cast, min_projects=2, max_projects=3)
    a, b, c, d = project_ids(budget)
    alice = voter(cast)
    _refused_with(budget, alice, [a], "too_few", "Choose at least 2 projects.")
    _refused_with(budget, alice, [a, b, c, d], "too_many", "Choose at most 3 projects.")
    _refused_with(budget, alice, [], "too_few", "Choose at least 2 projects.")


def test_it_refuses_an_unknown_or_foreign_project_and_a_repeated_one(cast: Cast) -> None:
    budget = make_budget(cast)
    other = make_budget(cast, slug="autre-budget")
    a, *_rest = project_ids(budget)
    foreign = project_ids(other)[0]
    alice = voter(cast)
    message = "A chosen project is not part of this budget."
    _refused_with(budget, alice, [a, foreign], "unknown_project", message)
    _refused_with(budget, alice, [a, 999_999], "unknown_project", message)
    _refused_with(budget, alice, [a, a], "duplicate_project", "A project is chosen twice.")
    _refused_with(budget, alice, {a: 2}, "invalid", "A project is chosen or not: 1 or 0.")
    _refused_with(budget, alice, ["1"], "invalid", "Projects, points and ranks are whole")


def test_it_refuses_a_knapsack_ballot_over_the_budget(cast: Cast) -> None:
    budget = make_budget(cast, ballot_type=BallotType.KNAPSACK, max_projects=None)
    a, b, c, d = project_ids(budget)  # 30,000 + 50,000 + 20,000 + 40,000
    alice = voter(cast)
    _refused_with(
        budget,
        alice,
        [a, b, d],
        "over_budget",
        "Your choices cost 120,000\u00a0€, more than the budget of 100,000\u00a0€.",
    )
    ballot = services.ballot_cast(budget=budget, participant=alice, choices=[a, b, c])
    assert ballot.choices.count() == 3


def test_it_refuses_negative_points_and_points_over_the_maximum(cast: Cast) -> None:
    budget = make_budget(cast, ballot_type=BallotType.CUMULATIVE, max_points=5, max_projects=None)
    a, b, c, _d = project_ids(budget)
    alice = voter(cast)
    _refused_with(budget, alice, {a: 3, b: -1}, "negative_points", "Points cannot be negative.")
    _refused_with(
        budget, alice, {a: 3, b: 2, c: 1}, "too_many_points", "You gave 6 points; you have 5"
    )
    _refused_with(budget, alice, [a, b], "invalid", "Give each chosen project a number")
    ballot = services.ballot_cast(budget=budget, participant=alice, choices={a: 3, b: 2, c: 0})
    assert list(ballot.choices.values_list("project_id", "points")) == [(a, 3), (b, 2)]


def test_it_refuses_ranks_with_gaps_or_repeats(cast: Cast) -> None:
    budget = make_budget(cast, ballot_type=BallotType.RANKED, max_projects=3)
    a, b, c, d = project_ids(budget)
    alice = voter(cast)
    message = "Rank the chosen projects 1, 2, 3… without gaps or repeats."
    _refused_with(budget, alice, {a: 1, b: 3}, "ranks", message)
    _refused_with(budget, alice, {a: 1, b: 1}, "ranks", message)
    _refused_with(budget, alice, {a: 1, b: 2, c: 3, d: 4}, "too_many", "at most 3 projects")
    ballot = services.ballot_cast(budget=budget, participant=alice, choices={c: 2, a: 1})
    assert list(ballot.choices.values_list("project_id", "rank")) == [(a, 1), (c, 2)]
    # A list is a ranking in order of preference.
    ballot = services.ballot_cast(budget=budget, participant=alice, choices=[b, a])
    assert list(ballot.choices.values_list("project_id", "rank")) == [(b, 1), (a, 2)]


def test_a_changed_ballot_keeps_its_row_and_its_receipt(cast: Cast) -> None:
    budget = make_budget(cast)
    a, b, c, _d = project_ids(budget)
    alice = voter(cast)
    first = services.ballot_cast(budget=budget, participant=alice, choices=[a, b])
    later = timezone.now() + timezone.timedelta(minutes=5)
    second = services.ballot_cast(budget=budget, participant=alice, choices=[c], now=later)
    assert second.pk == first.pk and second.receipt_code == first.receipt_code
    assert Ballot.objects.count() == 1
    assert list(BallotChoice.objects.values_list("project_id", flat=True)) == [c]
    second.refresh_from_db()
    assert second.cast_at == first.cast_at and second.updated_at == later
    # A refused change leaves the ballot as it was.
    with pytest.raises(ValidationError):
        services.ballot_cast(budget=budget, participant=alice, choices=[])
    assert list(BallotChoice.objects.values_list("project_id", flat=True)) == [c]


def test_it_refuses_a_ballot_when_the_phase_is_not_open(cast: Cast) -> None:
    budget = make_budget(cast, open_phase=None)
    alice = voter(cast)
    with pytest.raises(ActionRefused) as caught:
        services.ballot_cast(budget=budget, participant=alice, choices=project_ids(budget)[:1])
    assert caught.value.decision.code == "phase_closed"
    assert str(caught.value) == "This is not possible in the current phase of the process."
    assert not Ballot.objects.exists()


def test_it_refuses_someone_too_young_or_without_a_year_of_birth(cast: Cast) -> None:
    budget = make_budget(cast, min_age=16)
    young = voter(cast, birth_year=timezone.localdate().year - 15)
    with pytest.raises(ActionRefused) as caught:
        services.ballot_cast(budget=budget, participant=young, choices=project_ids(budget)[:1])
    assert caught.value.decision.code == "too_young"
    assert str(caught.value) == "This process is open from 16 years of age."
    young.birth_year = None
    young.save(update_fields=["birth_year"])
    with pytest.raises(ActionRefused) as caught:
        services.ballot_cast(budget=budget, participant=young, choices=project_ids(budget)[:1])
    assert caught.value.decision.code == "birth_year"
    assert not Ballot.objects.exists()


def test_a_district_budget_is_reserved_to_its_residents(cast: Cast) -> None:
    budget = make_budget(cast)
    inside = make_address(cast.org, 4.002, 45.002, "Le Pré")
    district = make_zone(cast.org, "Le Pré", 4.0, 45.0, 0.01, kind="district")
    budget.zones.set([district])
    alice = voter(cast)
    alice.address = make_address(cast.org, 4.5, 45.5, "Ailleurs")
    alice.save(update_fields=["address"])
    with pytest.raises(ActionRefused) as caught:
        services.ballot_cast(budget=budget, participant=alice, choices=project_ids(budget)[:1])
    assert caught.value.decision.code == "not_in_zones"
    assert str(caught.value) == "This budget is reserved to the residents of its districts."
    assert not Ballot.objects.exists()
    alice.address = inside
    alice.save(update_fields=["address"])
    assert services.ballot_cast(budget=budget, participant=alice, choices=project_ids(budget)[:1])


def test_a_census_budget_is_reserved_to_the_people_on_its_list(cast: Cast) -> None:
    budget = make_budget(cast, eligibility=Eligibility.CENSUS)
    entry = CensusEntry.objects.create(budget=budget, key="A-17", birth_year=1980)
    alice = voter(cast)
    with pytest.raises(ActionRefused) as caught:
        services.ballot_cast(budget=budget, participant=alice, choices=project_ids(budget)[:1])
    assert caught.value.decision.code == "not_on_census"
    assert not Ballot.objects.exists()
    with pytest.raises(ValidationError) as wrong:
        services.census_entry_claim(budget=budget, participant=alice, key="A-17", birth_year=1981)
    assert wrong.value.error_dict["key"][0].code == "no_match"
    services.census_entry_claim(budget=budget, participant=alice, key=" A-17 ", birth_year=1980)
    ballot = services.ballot_cast(budget=budget, participant=alice, choices=project_ids(budget)[:1])
    assert ballot.voter_key == f"c:{entry.pk}"
    # Nobody else can claim the same person of the list.
    bruno = voter(cast, second=True)
    with pytest.raises(ValidationError) as taken:
        services.census_entry_claim(budget=budget, participant=bruno, key="A-17", birth_year=1980)
    assert taken.value.error_dict["key"][0].code == "claimed"


def test_a_receipt_proves_the_ballot_counted_without_its_choices(cast: Cast) -> None:
    budget = make_budget(cast)
    alice = voter(cast)
    ballot = services.ballot_cast(budget=budget, participant=alice, choices=project_ids(budget)[:2])
    typed = ballot.receipt_code.lower().replace("-", " ")
    status = selectors.receipt_verify(organisation=cast.org, receipt_code=typed)
    assert status is not None and status.budget_id == budget.pk and status.counted_at is None
    assert not hasattr(status, "choices")
    result = services.results_compute(budget=budget, rule="greedy")
    status = selectors.receipt_verify(organisation=cast.org, receipt_code=ballot.receipt_code)
    assert status is not None and status.counted_at == result.computed_at
    assert result.status == BudgetResult.Status.DONE and result.ballots == 1
    # Another organisation's page does not know the code.
    assert selectors.receipt_verify(organisation=cast.other_org, receipt_code=typed) is None
    assert selectors.receipt_verify(organisation=cast.org, receipt_code="AAAA-BBBB") is None


# SQLite's in-memory test database fails concurrent writers at once instead of waiting: the
# race is real, and tested, on PostgreSQL; on SQLite the constraint is proven sequentially.
concurrent = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite's in-memory test database runs one writer"
)


@concurrent
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_ballot_out_of_50_concurrent_casts() -> None:
    from beffroi.participation.models import Budget
    from beffroi.testing import make_cast

    cast = make_cast()
    budget = make_budget(cast)
    alice = voter(cast)
    ids = project_ids(budget)

    def attempt(i: int) -> Any:
        loaded = Budget.objects.select_related("process", "organisation").get(pk=budget.pk)
        return services.ballot_cast(budget=loaded, participant=alice, choices=[ids[i % 4]])

    results = at_once(50, attempt)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    assert Ballot.objects.filter(budget=budget).count() == 1
    ballot = Ballot.objects.get(budget=budget)
    assert {r.pk for r in results} == {ballot.pk}
    assert {r.receipt_code for r in results} == {ballot.receipt_code}
    # The last writer's choice, whole: never a mix of two casts.
    assert BallotChoice.objects.filter(ballot=ballot).count() == 1


def test_the_unique_constraint_holds_one_ballot_per_voter(cast: Cast) -> None:
    from django.db import IntegrityError, transaction

    budget = make_budget(cast)
    now = timezone.now()
    Ballot.objects.create(budget=budget, voter_key="p:1", cast_at=now, updated_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(budget=budget, voter_key="p:1", cast_at=now, updated_at=now)
