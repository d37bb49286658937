"""A ballot is cast in a fixed, small number of queries, whatever the number of projects and
choices: through the service, the API and the ballot page. Ballots arrive by hundreds a
second when a vote is announced; a query added to this path shows here before it shows in
the benchmark (``bench/ballots.py``).

The counts differ by engine: PostgreSQL inserts the ballot and its choices in one statement
outside any transaction; SQLite runs two inserts in a transaction, which the test's own
transaction turns into a savepoint (two more statements captured)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from beffroi.alerts.tests.factories import make_address, make_subscriber, make_zone
from beffroi.participation.budgets import services
from beffroi.participation.budgets.access import lives_in_budget_zones
from beffroi.participation.models import (
    Ballot,
    BallotChoice,
    BallotType,
    Budget,
    Participant,
)
from beffroi.participation.participants.services import participant_for_subscriber
from beffroi.participation.tests.budgets.helpers import make_budget, project_ids, voter
from beffroi.testing import Cast

# Who may vote (one statement), the projects, the insert: (PostgreSQL, SQLite).
SERVICE_QUERIES = {"postgresql": 3, "sqlite": 6}
# What every signed-in request reads (the user, the participant), the budget's ballot box
# (the budget with its process, its phases, its projects: from the shared cache once a cast
# has read it), then the service's: the API answers with what the service read, the page's
# form shows the projects the service then checks the ballot against.
API_QUERIES = {"postgresql": 7, "sqlite": 10}
PAGE_QUERIES = {"postgresql": 7, "sqlite": 10}
# Every cast after the first: the user, the participant, who may vote, the insert.
CACHED_BOX_QUERIES = {"postgresql": 4, "sqlite": 7}
MANY_PROJECTS = tuple(str(10_000 + 500 * i) for i in range(30))


def _expected(counts: dict[str, int]) -> int:
    return counts[connection.vendor]


def _loaded(budget: Budget) -> Budget:
    """The budget as a request loads it (``access_budget``): its process and phases."""
    return (
        Budget.objects.select_related("process", "organisation")
        .prefetch_related("process__phases")
        .get(pk=budget.pk)
    )


def _person(participant: Participant) -> Participant:
    """The participant as a request loads it (``request_participant``): with its user."""
    return Participant.objects.select_related("user").get(pk=participant.pk)


def _count(work: Any) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        result = work()
    return len(captured), result


@pytest.mark.parametrize("projects", [("30000", "50000", "20000", "40000"), MANY_PROJECTS])
def test_it_casts_a_ballot_through_the_service_in_a_fixed_number_of_queries(
    cast: Cast, projects: tuple[str, ...]
) -> None:
    budget = make_budget(
        cast, projects=projects, ballot_type=BallotType.KNAPSACK, max_projects=None
    )
    ids = project_ids(budget)
    alice, bruno = _person(voter(cast)), _person(voter(cast, second=True))
    budget = _loaded(budget)
    # A ballot of one choice or of three: the same statements.
    for person, choices in ((alice, ids[:1]), (bruno, ids[:3])):
        with CaptureQueriesContext(connection) as captured:
            recorded = services.ballot_record(budget=budget, participant=person, choices=choices)
        assert recorded.created and len(captured) == _expected(SERVICE_QUERIES)
    assert BallotChoice.objects.filter(ballot=recorded.ballot).count() == 3


def test_it_casts_a_ballot_through_the_api_in_a_fixed_number_of_queries(
    cast: Cast, settings: Any
) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    budget = make_budget(
        cast, projects=MANY_PROJECTS, ballot_type=BallotType.KNAPSACK, max_projects=None
    )
    ids = project_ids(budget)
    voter(cast)
    client = Client()
    client.force_login(cast.resident)
    url = f"/api/v1/participation/budgets/{budget.pk}/ballot"
    client.get(url)  # the session and the organisation read once, as on a second request
    queries, response = _count(
        lambda: client.post(url, {"choices": ids[:5]}, content_type="application/json")
    )
    assert response.status_code == 201, response.content
    assert [c["project"] for c in response.json()["choices"]] == ids[:5]
    assert queries == _expected(API_QUERIES)
    voter(cast, second=True)
    client.force_login(cast.resident2)
    client.get(url)
    queries, response = _count(
        lambda: client.post(url, {"choices": ids[5:8]}, content_type="application/json")
    )
    assert response.status_code == 201, response.content
    assert [c["project"] for c in response.json()["choices"]] == ids[5:8]
    assert queries == _expected(CACHED_BOX_QUERIES)


def test_it_casts_a_ballot_through_the_page_in_a_fixed_number_of_queries(cast: Cast) -> None:
    budget = make_budget(
        cast, projects=MANY_PROJECTS, ballot_type=BallotType.KNAPSACK, max_projects=None
    )
    ids = project_ids(budget)
    voter(cast)
    client = Client()
    client.force_login(cast.resident)
    url = reverse("participation_budgets:ballot", args=[budget.pk])
    client.get(url)
    queries, response = _count(lambda: client.post(url, {f"project-{i}": "on" for i in ids[:5]}))
    assert response.status_code == 302, response.content
    assert queries == _expected(PAGE_QUERIES)
    ballot = Ballot.objects.get()
    assert list(ballot.choices.order_by("position").values_list("project_id", flat=True)) == ids[:5]
    voter(cast, second=True)
    client.force_login(cast.resident2)
    client.get(url)
    queries, response = _count(lambda: client.post(url, {f"project-{i}": "on" for i in ids[5:8]}))
    assert response.status_code == 302, response.content
    assert queries == _expected(CACHED_BOX_QUERIES)
    assert Ballot.objects.count() == 2


def test_the_one_query_of_residence_reads_every_address_of_the_person(cast: Cast) -> None:
    """Their own address, or a place registered for alerts; in the budget's zones, or in the
    commune when the budget has none."""
    budget = make_budget(cast)
    inside = make_address(cast.org, 4.002, 45.002, "Le Pré")
    outside = make_address(cast.org, 4.5, 45.5, "Ailleurs")
    elsewhere = make_address(cast.other_org, 4.002, 45.002, "Autreville")
    alice = voter(cast)
    for address, expected in ((inside, True), (outside, True), (elsewhere, False), (None, False)):
        alice.address = address
        assert lives_in_budget_zones(alice, budget) is expected, address
    district = make_zone(cast.org, "Le Pré", 4.0, 45.0, 0.01, kind="district")
    budget.zones.set([district])
    for address, expected in ((inside, True), (outside, False), (None, False)):
        alice.address = address
        assert lives_in_budget_zones(alice, budget) is expected, address
    # A person known by an SMS code: the places they registered for alerts count.
    subscriber = make_subscriber(cast.org, outside, inside, sms="+33612345678")
    jeanne = participant_for_subscriber(subscriber=subscriber)
    jeanne.address = None
    assert lives_in_budget_zones(jeanne, budget) is True
    jeanne.address = outside
    assert lives_in_budget_zones(jeanne, budget) is True
    subscriber.places.filter(address=inside).delete()
    assert lives_in_budget_zones(jeanne, budget) is False
    budget.zones.clear()
    assert lives_in_budget_zones(jeanne, budget) is True
    with CaptureQueriesContext(connection) as captured:
        lives_in_budget_zones(jeanne, budget)
    assert len(captured) == 1


def test_a_changed_ballot_keeps_its_receipt_through_the_lean_insert(cast: Cast) -> None:
    """The insert that finds the person's ballot already there changes it instead: same row,
    same receipt code, the new choices only."""
    budget = make_budget(cast, ballot_type=BallotType.RANKED, max_projects=3)
    a, b, c, _d = project_ids(budget)
    alice = voter(cast)
    first = services.ballot_record(budget=budget, participant=alice, choices=[a, b])
    second = services.ballot_record(budget=budget, participant=alice, choices={c: 1, a: 2})
    assert first.created and not second.created
    assert second.ballot.pk == first.ballot.pk
    assert second.ballot.receipt_code == first.ballot.receipt_code
    rows = BallotChoice.objects.filter(ballot=first.ballot).order_by("position")
    assert list(rows.values_list("project_id", "rank", "position")) == [(c, 1, 0), (a, 2, 1)]
    stored = Ballot.objects.get()
    assert (stored.receipt_code, stored.cast_at) == (
        first.ballot.receipt_code,
        first.ballot.cast_at,
    )
    assert stored.updated_at > stored.cast_at


def test_a_receipt_code_drawn_twice_is_drawn_again(cast: Cast, monkeypatch: Any) -> None:
    """The insert does nothing on any unique constraint: when the conflict is another
    ballot's receipt code, not the person's ballot, a new code is drawn."""
    budget = make_budget(cast)
    a, b, *_rest = project_ids(budget)
    first = services.ballot_record(budget=budget, participant=voter(cast), choices=[a])
    codes = iter([first.ballot.receipt_code, "ABCD-EFGH-JK23"])
    monkeypatch.setattr(services, "_receipt_code", lambda: next(codes))
    second = services.ballot_record(
        budget=budget, participant=voter(cast, second=True), choices=[b]
    )
    assert second.created and second.ballot.receipt_code == "ABCD-EFGH-JK23"
    assert Ballot.objects.count() == 2
    stored = Ballot.objects.get(pk=second.ballot.pk)
    assert stored.receipt_code == "ABCD-EFGH-JK23"
    assert list(stored.choices.values_list("project_id", flat=True)) == [b]
    assert list(first.ballot.choices.values_list("project_id", flat=True)) == [a]


def test_an_empty_ballot_goes_in_where_the_budget_allows_it(cast: Cast) -> None:
    """A budget whose minimum is 0 records a ballot without choices (the one statement of
    the insert with no choice to add)."""
    budget = make_budget(cast, min_projects=0)
    recorded = services.ballot_record(budget=budget, participant=voter(cast), choices=[])
    assert recorded.created and recorded.choices == []
    assert Ballot.objects.get().pk == recorded.ballot.pk
    assert not BallotChoice.objects.exists()
