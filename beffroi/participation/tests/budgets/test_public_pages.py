"""Participatory budgets, public pages: a process's budgets, the ballot of every type cast
through the page (and refused with the service's message, nothing written), a ballot
changed, the receipt and its public check, the census claim, the results with every rule
side by side; inert XSS and another organisation's budget answering 404."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.core import ratelimit
from beffroi.participation.budgets import services, views
from beffroi.participation.models import (
    Ballot,
    BallotChoice,
    BallotType,
    Budget,
    BudgetProject,
    CensusEntry,
    Eligibility,
    Participant,
)
from beffroi.participation.tests.budgets.helpers import close_vote, make_budget, project_ids, voter
from beffroi.participation.tests.proposals.helpers import XSS_PAYLOADS
from beffroi.testing import Cast


def _client(cast: Cast, *, second: bool = False) -> tuple[Client, Participant]:
    person = voter(cast, second=second)
    client = Client()
    client.force_login(cast.resident2 if second else cast.resident)
    return client, person


def _ballot_url(budget: Budget) -> str:
    return reverse("participation_budgets:ballot", args=[budget.pk])


def _page(response: Any) -> str:
    return str(response.content.decode())


def _nothing_written() -> None:
    assert not Ballot.objects.exists() and not BallotChoice.objects.exists()


# --- the process's budgets -----------------------------------------------------------------


def test_it_lists_the_budgets_of_a_process_with_their_state(cast: Cast) -> None:
    budget = make_budget(cast, ballot_type=BallotType.KNAPSACK, max_projects=None)
    later = Budget.objects.create(
        organisation=cast.org,
        process=budget.process,
        title="Budget du quartier du Pré",
        amount=Decimal("20000.50"),
        ballot_type=BallotType.CUMULATIVE,
        max_points=10,
    )
    url = reverse("participation_budgets:process", args=[budget.process.slug])
    for client in (Client(), _client(cast)[0]):
        response = client.get(url)
        assert response.status_code == 200
        page = _page(response)
        assert "Budget participatif 2026" in page and "Budget du quartier du Pré" in page
        assert "100,000\u00a0€" in page and "20,000.50\u00a0€" in page
        assert "Choose projects whose total cost fits in the budget of 100,000\u00a0€." in page
        assert "Share out 10 points between the projects you prefer." in page
        assert "Vote open until" in page
        assert _ballot_url(later) in page
    # The process page links to its budgets.
    detail = Client().get(reverse("participation_processes:detail", args=[budget.process.slug]))
    assert url in _page(detail)


def test_it_states_an_upcoming_vote_and_published_results(cast: Cast) -> None:
    upcoming = make_budget(cast, open_phase=None)
    page = _page(Client().get(reverse("participation_budgets:process", args=["budget-2026"])))
    assert "Vote from" in page and "Vote open" not in page
    a, *_rest = project_ids(upcoming)
    services.outcome_publish(budget=upcoming, agent=cast.participation_manager, selected=[a])
    page = _page(Client().get(reverse("participation_budgets:process", args=["budget-2026"])))
    assert "Results published" in page
    assert reverse("participation_budgets:results", args=[upcoming.pk]) in page


# --- the ballot ----------------------------------------------------------------------------


def test_it_shows_the_projects_to_anyone_and_explains_how_to_vote(cast: Cast) -> None:
    budget = make_budget(cast)
    response = Client().get(_ballot_url(budget))
    assert response.status_code == 200
    page = _page(response)
    assert "Projet 1" in page and "Projet 4" in page and "30,000\u00a0€" in page
    assert "Sign in, or confirm your mobile number with an SMS code, to take part." in page
    assert f"{reverse('participation_participants:sms')}?next=" in page
    assert f"{reverse('accounts:login')}?next=" in page
    assert '<form method="post" novalidate class="ballot-form"' not in page
    # A refused POST is explained too, never a bare 403; nothing is written.
    a, *_rest = project_ids(budget)
    refused = Client().post(_ballot_url(budget), {f"project-{a}": "on"})
    assert refused.status_code == 403
    assert "Sign in, or confirm your mobile number" in _page(refused)
    _nothing_written()


def test_it_links_a_project_to_the_proposal_it_came_from(cast: Cast) -> None:
    from beffroi.participation.tests.factories import make_proposal

    budget = make_budget(cast)
    proposal = make_proposal(budget.process, None, title="Des bancs au lavoir")
    BudgetProject.objects.filter(budget=budget, position=1).update(proposal=proposal)
    client, _alice = _client(cast)
    page = _page(client.get(_ballot_url(budget)))
    assert reverse("participation_proposals:detail", args=[proposal.pk]) in page
    assert "From the proposal “Des bancs au lavoir”" in page


@pytest.mark.parametrize(
    ("fields", "data", "expected"),
    [
        (
            {"ballot_type": BallotType.APPROVAL, "max_projects": 3},
            lambda a, b, c, d: {f"project-{a}": "on", f"project-{c}": "on"},
            lambda a, b, c, d: [(a, None, None), (c, None, None)],
        ),
        (
            {"ballot_type": BallotType.KNAPSACK, "max_projects": None},
            lambda a, b, c, d: {f"project-{b}": "on", f"project-{c}": "on", f"project-{a}": "on"},
            lambda a, b, c, d: [(a, None, None), (b, None, None), (c, None, None)],
        ),
        (
            {"ballot_type": BallotType.CUMULATIVE, "max_points": 10, "max_projects": None},
            lambda a, b, c, d: {f"points-{a}": "6", f"points-{b}": "", f"points-{d}": "4"},
            lambda a, b, c, d: [(a, 6, None), (d, 4, None)],
        ),
        (
            {"ballot_type": BallotType.RANKED, "max_projects": 3},
            lambda a, b, c, d: {f"rank-{d}": "1", f"rank-{b}": "2", f"rank-{a}": ""},
            lambda a, b, c, d: [(d, None, 1), (b, None, 2)],
        ),
    ],
    ids=["approval", "knapsack", "cumulative", "ranked"],
)
def test_it_casts_a_ballot_of_each_type_through_the_page(
    cast: Cast, fields: dict[str, Any], data: Any, expected: Any
) -> None:
    budget = make_budget(cast, **fields)
    ids = project_ids(budget)
    client, alice = _client(cast)
    form = client.get(_ballot_url(budget))
    assert form.status_code == 200 and "data-ballot" in _page(form)
    response = client.post(_ballot_url(budget), data(*ids))
    confirmation = reverse("participation_budgets:confirmation", args=[budget.pk])
    assert response.status_code == 302 and response["Location"] == confirmation
    ballot = Ballot.objects.get(budget=budget)
    assert ballot.participant == alice
    got = list(ballot.choices.order_by("position").values_list("project_id", "points", "rank"))
    assert sorted(got, key=lambda row: ids.index(row[0])) == sorted(
        expected(*ids), key=lambda row: ids.index(row[0])
    )
    page = _page(client.get(confirmation))
    assert ballot.receipt_code in page and "Your ballot is recorded" in page
    receipt = client.get(reverse("participation_budgets:receipt", args=[budget.pk]))
    assert receipt.status_code == 200
    assert receipt["Content-Type"].startswith("text/plain")
    assert "attachment" in receipt["Content-Disposition"]
    text = receipt.content.decode()
    assert ballot.receipt_code in text and "Budget participatif 2026" in text
    assert reverse("participation_budgets:verify") in text


def _refused(client: Client, budget: Budget, data: dict[str, str], message: str) -> str:
    response = client.post(_ballot_url(budget), data)
    assert response.status_code == 200
    page = _page(response)
    assert message in page, page
    assert "data-error-summary" in page and 'href="#ballot-rules"' in page
    _nothing_written()
    return page


def test_it_refuses_over_budget_too_many_and_unknown_projects_writing_nothing(cast: Cast) -> None:
    knapsack = make_budget(cast, ballot_type=BallotType.KNAPSACK, max_projects=None)
    a, b, c, d = project_ids(knapsack)
    client, _alice = _client(cast)
    page = _refused(
        client,
        knapsack,
        {f"project-{a}": "on", f"project-{b}": "on", f"project-{d}": "on"},
        "Your choices cost 120,000\u00a0€, more than the budget of 100,000\u00a0€.",
    )
    # Shown again with a box for every project (the ballot was read from those sent), the
    # ones sent still ticked.
    for pid, ticked in ((a, True), (b, True), (c, False), (d, True)):
        box = page.split(f'name="project-{pid}"', 1)[1].split(">", 1)[0]
        assert ("checked" in box) is ticked, pid
    approval = make_budget(cast, slug="budget-2027", max_projects=2)
    a, b, c, d = project_ids(approval)
    _refused(
        client,
        approval,
        {f"project-{a}": "on", f"project-{b}": "on", f"project-{c}": "on"},
        "Choose at most 2 projects.",
    )
    _refused(client, approval, {}, "Choose at least 1 project.")
    # A project the page does not show (another budget's, or none) is refused by the server.
    foreign = project_ids(knapsack)[0]
    _refused(
        client,
        approval,
        {f"project-{a}": "on", f"project-{foreign}": "on"},
        "A chosen project is not part of this budget.",
    )
    _refused(
        client,
        approval,
        {f"project-{a}": "on", "project-999999": "on"},
        "A chosen project is not part of this budget.",
    )


def test_it_refuses_a_ballot_when_the_phase_is_closed(cast: Cast) -> None:
    budget = make_budget(cast, open_phase=None)
    a, *_rest = project_ids(budget)
    client, _alice = _client(cast)
    shown = client.get(_ballot_url(budget))
    assert shown.status_code == 200
    assert "This is not possible in the current phase of the process." in _page(shown)
    assert "Vote from" in _page(shown)
    response = client.post(_ballot_url(budget), {f"project-{a}": "on"})
    assert response.status_code == 403
    assert "This is not possible in the current phase of the process." in _page(response)
    _nothing_written()


def test_it_shows_every_error_of_a_ballot_in_one_submit(cast: Cast) -> None:
    budget = make_budget(cast, ballot_type=BallotType.CUMULATIVE, max_points=5, max_projects=None)
    a, b, c, d = project_ids(budget)
    client, _alice = _client(cast)
    page = _refused(
        client,
        budget,
        {f"points-{a}": "4", f"points-{b}": "3", f"points-{c}": "deux", f"points-{d}": "-1"},
        "You gave 7 points; you have 5 to share out.",
    )
    assert page.count('class="error-text"') == 3  # two fields and the ballot's rule
    assert f'href="#id_points-{c}"' in page and f'href="#id_points-{d}"' in page
    assert "Enter a whole number." in page
    assert 'aria-invalid="true"' in page
    ranked = make_budget(cast, slug="budget-classe", ballot_type=BallotType.RANKED, max_projects=3)
    a, b, c, d = project_ids(ranked)
    page = _refused(
        client,
        ranked,
        {f"rank-{a}": "1", f"rank-{b}": "1", f"rank-{c}": "2"},
        "Rank 1 is given to more than one project.",
    )
    assert "Rank the chosen projects 1, 2, 3… without gaps or repeats." in page
    assert f'href="#id_rank-{a}"' in page and f'href="#id_rank-{b}"' in page
    # A rank the page does not offer is refused as a field error.
    _refused(client, ranked, {f"rank-{a}": "4"}, "Select a valid choice.")


def test_changing_a_ballot_keeps_one_ballot_and_its_receipt(cast: Cast) -> None:
    budget = make_budget(cast)
    a, b, c, _d = project_ids(budget)
    client, _alice = _client(cast)
    client.post(_ballot_url(budget), {f"project-{a}": "on", f"project-{b}": "on"})
    first = Ballot.objects.get()
    page = _page(client.get(_ballot_url(budget)))
    assert "You voted on" in page and "Change my ballot" in page
    assert f'name="project-{a}" data-project="{a}"' in page
    # Pre-filled: the chosen projects are ticked, the others not.
    assert page.split(f'name="project-{a}"')[1].split(">")[0].count("checked") == 1
    assert page.split(f'name="project-{c}"')[1].split(">")[0].count("checked") == 0
    response = client.post(_ballot_url(budget), {f"project-{c}": "on"})
    assert response.status_code == 302
    assert Ballot.objects.count() == 1
    changed = Ballot.objects.get()
    assert changed.pk == first.pk and changed.receipt_code == first.receipt_code
    assert list(changed.choices.values_list("project_id", flat=True)) == [c]
    assert "Last changed on" in _page(client.get(response["Location"]))


def test_the_confirmation_and_receipt_need_a_ballot(cast: Cast) -> None:
    budget = make_budget(cast)
    client, _alice = _client(cast)
    for name in ("confirmation", "receipt"):
        response = client.get(reverse(f"participation_budgets:{name}", args=[budget.pk]))
        assert response.status_code == 302 and response["Location"] == _ballot_url(budget)


def test_a_census_budget_sends_the_resident_to_the_claim_form(cast: Cast) -> None:
    budget = make_budget(cast, eligibility=Eligibility.CENSUS)
    client, _alice = _client(cast)
    page = _page(client.get(_ballot_url(budget)))
    assert "confirm your identifier on that list first" in page
    assert reverse("participation_budgets:census_claim", args=[budget.pk]) in page


# --- receipt check and census claim --------------------------------------------------------


def test_it_checks_a_receipt_code_without_revealing_choices(cast: Cast) -> None:
    budget = make_budget(cast)
    a, *_rest = project_ids(budget)
    ballot = services.ballot_cast(budget=budget, participant=voter(cast), choices=[a])
    url = reverse("participation_budgets:verify")
    assert Client().get(url).status_code == 200
    typed = ballot.receipt_code.lower().replace("-", " ")
    found = Client().post(url, {"code": typed})
    page = _page(found)
    assert found.status_code == 200
    assert "This ballot is recorded." in page and "Budget participatif 2026" in page
    assert "It has not been counted yet" in page
    assert "Projet 1" not in page
    services.results_compute(budget=budget, rule="greedy")
    page = _page(Client().post(url, {"code": ballot.receipt_code}))
    assert "It was counted in the results computed on" in page
    missing = _page(Client().post(url, {"code": "ABCD-EFGH-JK23"}))
    assert "No ballot has this code." in missing
    malformed = _page(Client().post(url, {"code": "1234"}))
    assert "A receipt code has twelve letters and digits" in malformed
    assert "data-error-summary" in malformed


def test_receipt_checks_are_rate_limited(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_000_000.0)
    url = reverse("participation_budgets:verify")
    client = Client()
    for _i in range(views.RECEIPT_LOOKUPS_PER_CLIENT):
        assert client.post(url, {"code": "ABCD-EFGH-JK23"}).status_code == 200
    blocked = client.post(url, {"code": "ABCD-EFGH-JK23"})
    assert blocked.status_code == 429
    assert "Too many attempts from your connection" in _page(blocked)
    assert "No ballot has this code." not in _page(blocked)


def test_the_census_claim_answers_one_generic_error(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "clock", lambda: 2_000_000.0)
    budget = make_budget(cast, eligibility=Eligibility.CENSUS)
    entry = CensusEntry.objects.create(budget=budget, key="A-17", birth_year=1980)
    CensusEntry.objects.create(budget=budget, key="B-22", birth_year=1975)
    url = reverse("participation_budgets:census_claim", args=[budget.pk])
    anonymous = _page(Client().get(url))
    assert "Log in" in anonymous and reverse("participation_participants:sms") in anonymous
    client, alice = _client(cast)
    generic = "We could not confirm this identifier with this year of birth."
    unknown = _page(client.post(url, {"key": "Z-99", "birth_year": "1980"}))
    wrong_year = _page(client.post(url, {"key": "A-17", "birth_year": "1981"}))
    assert generic in unknown and generic in wrong_year
    assert "data-error-summary" in unknown
    assert not CensusEntry.objects.filter(participant__isnull=False).exists()
    response = client.post(url, {"key": " A-17 ", "birth_year": "1980"})
    assert response.status_code == 302 and response["Location"] == _ballot_url(budget)
    entry.refresh_from_db()
    assert entry.participant == alice
    # Someone else typing an entry already claimed learns nothing more.
    other, _bruno = _client(cast, second=True)
    taken = _page(other.post(url, {"key": "A-17", "birth_year": "1980"}))
    assert generic in taken and "already" not in taken
    # And the claim is rate-limited.
    for _i in range(views.CENSUS_CLAIMS_PER_CLIENT):
        other.post(url, {"key": "B-22", "birth_year": "1900"})
    limited = _page(other.post(url, {"key": "B-22", "birth_year": "1975"}))
    assert "Too many attempts" in limited
    assert CensusEntry.objects.get(key="B-22").participant is None


def test_the_census_claim_page_is_only_for_census_budgets(cast: Cast) -> None:
    budget = make_budget(cast)
    url = reverse("participation_budgets:census_claim", args=[budget.pk])
    assert Client().get(url).status_code == 404


# --- results -------------------------------------------------------------------------------


def _voted_budget(cast: Cast, **fields: Any) -> Budget:
    """Six voters: greedy funds the two most approved; MES shares the budget out."""
    from beffroi.participation.tests.factories import verified
    from beffroi.testing import make_user

    budget = make_budget(cast, projects=("60000", "50000", "40000", "30000"), **fields)
    a, b, c, d = project_ids(budget)
    ballots = [[a, b], [a, b], [a, b], [a], [c, d], [c, d]]
    for i, choices in enumerate(ballots):
        user = verified(make_user(f"votant{i}@example.org", organisation=cast.org))
        person = voter(cast)
        person.pk = None
        person.user = user
        person.save()
        services.ballot_cast(budget=budget, participant=person, choices=choices)
    for rule in ("greedy", "mes", "mes-add1"):
        services.results_compute(budget=budget, rule=rule)
    # Voted: the ballot phase is over.
    close_vote(budget)
    return budget


def test_it_shows_the_results_with_every_rule_and_the_difference(cast: Cast) -> None:
    budget = _voted_budget(cast)
    a, _b, _c, d = project_ids(budget)
    url = reverse("participation_budgets:results", args=[budget.pk])
    before = _page(Client().get(url))
    assert "not published yet" in before and "Greedy" not in before
    # The commune funds a and d: greedy's a alone differs, MES's too.
    services.outcome_publish(budget=budget, agent=cast.participation_manager, selected=[a, d])
    for client in (Client(), _client(cast)[0]):
        response = client.get(url)
        assert response.status_code == 200
        page = _page(response)
        assert "Greedy (most votes first)" in page
        assert "Method of Equal Shares" in page
        assert "Method of Equal Shares, add1 completion" in page
        # Why each project won or lost, money without cents when round.
        assert "Did not fit in the remaining 40,000 € for a cost of 50,000 €" in page
        assert "Its supporters&#x27; remaining share was 5,000 € for a cost of" in page
        assert "Ties are broken by the projects' numbers compared as text" in page
        # Greedy funds 1 and 3; the commune 1 and 4: both differences are listed.
        assert "added: Projet 4" in page and "left out: Projet 3" in page
        assert page.count("The same projects.") == 2
        assert "6 ballots counted." in page
        assert "4 votes (66.7 % of the ballots)" in page
        assert "90,000\u00a0€ of a budget of 100,000\u00a0€." in page
    assert budget.results.get(rule="greedy").selected == ["1", "3"]


def test_results_explanations_write_money_in_french(cast: Cast) -> None:
    from django.utils import translation

    budget = _voted_budget(cast)
    services.outcome_publish(
        budget=budget, agent=cast.participation_manager, selected=project_ids(budget)[:1]
    )
    with translation.override("fr"):
        client = Client()
        client.cookies["django_language"] = "fr"
        page = _page(
            client.get(
                reverse("participation_budgets:results", args=[budget.pk]),
                HTTP_ACCEPT_LANGUAGE="fr",
            )
        )
    # No cents when round, grouped thousands, the euro after the number.
    assert "60\u00a0000\u00a0€" in page or "60\u202f000\u00a0€" in page
    assert "60,000.00" not in page


# --- safety --------------------------------------------------------------------------------


def test_xss_payloads_in_projects_are_inert(cast: Cast) -> None:
    budget = make_budget(cast)
    for project, payload in zip(
        BudgetProject.objects.filter(budget=budget).order_by("position"),
        XSS_PAYLOADS,
        strict=False,
    ):
        project.title = payload
        project.description = payload
        project.save(update_fields=["title", "description"])
    budget.title = XSS_PAYLOADS[0]
    budget.save(update_fields=["title"])
    a, *_rest = project_ids(budget)
    client, _alice = _client(cast)
    client.post(_ballot_url(budget), {f"project-{a}": "on"})
    services.results_compute(budget=budget, rule="greedy")
    close_vote(budget)
    services.outcome_publish(budget=budget, agent=cast.participation_manager, selected=[a])
    for url in (
        reverse("participation_budgets:process", args=[budget.process.slug]),
        _ballot_url(budget),
        reverse("participation_budgets:confirmation", args=[budget.pk]),
        reverse("participation_budgets:results", args=[budget.pk]),
    ):
        page = _page(client.get(url))
        assert "<script>alert(1)</script>" not in page, url
        assert '<img src=x onerror="alert(2)">' not in page, url
        assert "<svg onload=alert(3)>" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_another_organisations_budget_answers_404(cast: Cast) -> None:
    from beffroi.participation.models import Process

    budget = make_budget(cast)
    Process.objects.filter(pk=budget.process_id).update(organisation=cast.other_org)
    Budget.objects.filter(pk=budget.pk).update(organisation=cast.other_org)
    client, _alice = _client(cast)
    for name in ("ballot", "confirmation", "receipt", "census_claim", "results"):
        url = reverse(f"participation_budgets:{name}", args=[budget.pk])
        assert client.get(url).status_code == 404, name
    assert client.post(_ballot_url(budget), {}).status_code == 404
    url = reverse("participation_budgets:process", args=[budget.process.slug])
    assert client.get(url).status_code == 404
    _nothing_written()
