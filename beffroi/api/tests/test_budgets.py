"""Participatory budgets API: a process's budgets, a budget, my ballot cast and changed through
the service with the pages' rules (refusals with their code, rule errors per field, nothing
written), the published results side by side, the receipt check and its rate limit, another
organisation's budget answering 404, and one ballot out of 50 concurrent casts."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from beffroi.api.api import api
from beffroi.api.tests.factories import bearer, make_token
from beffroi.core import ratelimit
from beffroi.participation.access import SMS_PARTICIPANT_SESSION_KEY
from beffroi.participation.budgets import services, views
from beffroi.participation.models import (
    Ballot,
    BallotChoice,
    BallotType,
    Budget,
    BudgetProject,
    Participant,
    Process,
)
from beffroi.participation.tests.budgets.helpers import close_vote, make_budget, project_ids, voter
from beffroi.participation.tests.factories import make_proposal, verified
from beffroi.testing import Cast, at_once

from .test_schema import CHECKS

BASE = "/api/v1/participation"


@pytest.fixture(autouse=True)
def _no_api_budget(settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 0


def _resident(cast: Cast, *, second: bool = False) -> tuple[Client, Participant]:
    person = voter(cast, second=second)
    client = Client()
    client.force_login(cast.resident2 if second else cast.resident)
    return client, person


def _cast(client: Client, budget: Budget, choices: Any, *, method: str = "post") -> Any:
    send = client.put if method == "put" else client.post
    return send(
        f"{BASE}/budgets/{budget.pk}/ballot",
        {"choices": choices},
        content_type="application/json",
    )


def _nothing_written() -> None:
    assert not Ballot.objects.exists() and not BallotChoice.objects.exists()


# --- budgets -------------------------------------------------------------------------------


def test_it_lists_a_processs_budgets_with_their_ballot_and_state(cast: Cast) -> None:
    budget = make_budget(cast, ballot_type=BallotType.KNAPSACK, max_projects=None)
    district = Budget.objects.create(
        organisation=cast.org,
        process=budget.process,
        title="Budget du quartier du Pré",
        amount=Decimal("20000.50"),
        ballot_type=BallotType.CUMULATIVE,
        max_points=10,
        min_projects=1,
    )
    from beffroi.alerts.tests.factories import make_zone

    district.zones.add(make_zone(cast.org, "Le Pré", 4.0, 45.0, 0.01))
    response = Client().get(f"{BASE}/processes/{budget.process.slug}/budgets")
    assert response.status_code == 200
    first, second = response.json()
    assert (first["id"], first["amount"], first["currency"]) == (budget.pk, "100000.00", "EUR")
    assert first["ballot"]["type"] == "knapsack"
    assert first["ballot"]["text"].startswith("Choose projects whose total cost fits in the")
    assert first["state"]["code"] == "open" and first["state"]["date"] is not None
    assert (first["projects_count"], first["zones"], first["eligibility"]) == (4, [], "zones")
    assert first["url"].endswith(reverse("participation_budgets:ballot", args=[budget.pk]))
    assert (second["title"], second["amount"]) == ("Budget du quartier du Pré", "20000.50")
    assert second["ballot"]["max_points"] == 10 and second["projects_count"] == 0
    assert [z["name"] for z in second["zones"]] == ["Le Pré"]
    assert "Share out 10 points" in second["ballot"]["text"]


def test_it_describes_a_budget_with_its_projects_and_whether_i_may_vote(cast: Cast) -> None:
    budget = make_budget(cast, min_projects=2, max_projects=3)
    proposal = make_proposal(budget.process, None, title="Un verger partagé")
    hidden = make_proposal(budget.process, None, title="Cachée")
    hidden.hidden_at = hidden.created_at
    hidden.save(update_fields=["hidden_at"])
    first, second, *_rest = BudgetProject.objects.filter(budget=budget).order_by("position")
    BudgetProject.objects.filter(pk=first.pk).update(proposal=proposal)
    BudgetProject.objects.filter(pk=second.pk).update(proposal=hidden)
    url = f"{BASE}/budgets/{budget.pk}"
    anonymous = Client().get(url)
    assert anonymous.status_code == 200
    body = anonymous.json()
    assert body["ballot"] == {
        "type": "approval",
        "type_label": str(BallotType.APPROVAL.label),
        "min_projects": 2,
        "max_projects": 3,
        "max_points": None,
        "text": "Choose the projects you support. You choose at least 2 projects and at most "
        "3 projects.",
    }
    assert [(p["number"], p["title"], p["cost"]) for p in body["projects"]] == [
        ("1", "Projet 1", "30000.00"),
        ("2", "Projet 2", "50000.00"),
        ("3", "Projet 3", "20000.00"),
        ("4", "Projet 4", "40000.00"),
    ]
    assert body["projects"][0]["proposal"]["title"] == "Un verger partagé"
    assert body["projects"][1]["proposal"] is None  # hidden by the moderators
    assert body["can_vote"]["allowed"] is False and body["can_vote"]["code"] == "login"
    assert body["voted"] is False
    client, _alice = _resident(cast)
    mine = client.get(url).json()
    assert mine["can_vote"] == {"allowed": True, "code": "", "message": ""}
    a, b, *_others = project_ids(budget)
    assert _cast(client, budget, [a, b]).status_code == 201
    assert client.get(url).json()["voted"] is True


def test_drafts_and_other_organisations_budgets_answer_404(cast: Cast) -> None:
    budget = make_budget(cast)
    draft = make_budget(cast, slug="brouillon")
    Process.objects.filter(pk=draft.process_id).update(status=Process.Status.DRAFT)
    client, _alice = _resident(cast)
    a, *_rest = project_ids(budget)
    Process.objects.filter(pk=budget.process_id).update(organisation=cast.other_org)
    Budget.objects.filter(pk=budget.pk).update(organisation=cast.other_org)
    for target in (budget, draft):
        for path in ("", "/ballot", "/results"):
            assert client.get(f"{BASE}/budgets/{target.pk}{path}").status_code == 404, path
        assert _cast(client, target, [a]).status_code == 404
        assert _cast(client, target, [a], method="put").status_code == 404
    assert client.get(f"{BASE}/processes/brouillon/budgets").status_code == 404
    assert client.get(f"{BASE}/processes/{budget.process.slug}/budgets").status_code == 404
    _nothing_written()
    # Seen from the other commune's host name, the budget is there; the draft, to its
    # managers only.
    other = Client(HTTP_HOST="autreville.localhost")
    assert other.get(f"{BASE}/budgets/{budget.pk}").status_code == 200
    manager = Client()
    manager.force_login(cast.participation_manager)
    assert manager.get(f"{BASE}/budgets/{draft.pk}").status_code == 200
    assert client.get(f"{BASE}/budgets/999999").status_code == 404


# --- my ballot -----------------------------------------------------------------------------


def test_it_casts_then_changes_my_ballot_keeping_one_ballot_and_its_receipt(cast: Cast) -> None:
    budget = make_budget(cast)
    a, b, c, _d = project_ids(budget)
    client, alice = _resident(cast)
    url = f"{BASE}/budgets/{budget.pk}/ballot"
    missing = client.get(url)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "You have not voted in this budget yet."
    created = _cast(client, budget, [a, b])
    assert created.status_code == 201
    body = created.json()
    assert [(ch["project"], ch["title"]) for ch in body["choices"]] == [
        (a, "Projet 1"),
        (b, "Projet 2"),
    ]
    assert body["total_cost"] == "80000.00" and body["changed"] is False
    receipt = body["receipt_code"]
    ballot = Ballot.objects.get()
    assert (ballot.participant, ballot.receipt_code, ballot.voter_key) == (
        alice,
        receipt,
        f"p:{alice.pk}",
    )
    changed = _cast(client, budget, {str(c): 1, str(a): 0}, method="put")
    assert changed.status_code == 200
    assert changed.json()["receipt_code"] == receipt and changed.json()["changed"] is True
    assert [ch["project"] for ch in changed.json()["choices"]] == [c]
    assert list(BallotChoice.objects.values_list("project_id", flat=True)) == [c]
    assert Ballot.objects.count() == 1
    read = client.get(url).json()
    assert read == changed.json()
    # Another resident's ballot is their own.
    other, _bruno = _resident(cast, second=True)
    assert other.get(url).status_code == 404


def test_it_casts_cumulative_and_ranked_ballots(cast: Cast) -> None:
    points = make_budget(cast, ballot_type=BallotType.CUMULATIVE, max_points=5, max_projects=None)
    a, b, c, _d = project_ids(points)
    client, _alice = _resident(cast)
    response = _cast(client, points, {str(a): 3, str(b): 2, str(c): 0})
    assert response.status_code == 201
    assert [(ch["project"], ch["points"]) for ch in response.json()["choices"]] == [(a, 3), (b, 2)]
    over = _cast(client, points, {str(a): 4, str(b): 2})
    assert over.status_code == 422
    assert over.json()["errors"] == {"choices": ["You gave 6 points; you have 5 to share out."]}
    ranked = make_budget(cast, slug="classement", ballot_type=BallotType.RANKED, max_projects=3)
    e, f, g, _h = project_ids(ranked)
    response = _cast(client, ranked, [g, e])
    assert response.status_code == 201
    assert [(ch["project"], ch["rank"]) for ch in response.json()["choices"]] == [(g, 1), (e, 2)]
    gaps = _cast(client, ranked, {str(e): 1, str(f): 3})
    assert gaps.status_code == 422
    assert gaps.json()["errors"]["choices"] == [
        "Rank the chosen projects 1, 2, 3… without gaps or repeats."
    ]


def test_it_refuses_ballots_that_break_the_rules_writing_nothing(cast: Cast) -> None:
    knapsack = make_budget(cast, ballot_type=BallotType.KNAPSACK, max_projects=None)
    a, b, c, d = project_ids(knapsack)  # 30,000 + 50,000 + 20,000 + 40,000 of 100,000
    client, _alice = _resident(cast)
    over = _cast(client, knapsack, [a, b, d])
    assert over.status_code == 422
    assert over.json()["errors"] == {
        "choices": ["Your choices cost 120,000\u00a0€, more than the budget of 100,000\u00a0€."]
    }
    approval = make_budget(cast, slug="approbation", max_projects=2)
    e, f, g, _h = project_ids(approval)
    too_many = _cast(client, approval, [e, f, g])
    assert too_many.status_code == 422
    assert too_many.json()["errors"] == {"choices": ["Choose at most 2 projects."]}
    unknown = _cast(client, approval, [e, a])  # a belongs to the other budget
    assert unknown.json()["errors"] == {"choices": ["A chosen project is not part of this budget."]}
    assert _cast(client, approval, [e, 999_999]).status_code == 422
    twice = _cast(client, approval, [e, e])
    assert twice.json()["errors"] == {"choices": ["A project is chosen twice."]}
    assert _cast(client, approval, {str(e): 2}).status_code == 422
    malformed = _cast(client, approval, "everything")
    assert malformed.status_code == 422 and malformed.json()["detail"] == "The request is invalid."
    _nothing_written()
    # Within the rules it passes.
    assert _cast(client, knapsack, [a, b, c]).status_code == 201


def test_it_refuses_a_closed_phase_anonymous_people_and_the_ineligible(cast: Cast) -> None:
    closed = make_budget(cast, open_phase=None)
    a, *_rest = project_ids(closed)
    client, _alice = _resident(cast)
    refused = _cast(client, closed, [a])
    assert refused.status_code == 403
    assert refused.json()["code"] == "phase_closed"
    # Anonymous: no session, nothing to act for.
    budget = make_budget(cast, slug="ouvert")
    b, *_others = project_ids(budget)
    anonymous = _cast(Client(), budget, [b])
    assert anonymous.status_code == 401
    assert Client().get(f"{BASE}/budgets/{budget.pk}/ballot").status_code == 401
    # Too young for the budget's minimum age.
    young, _bruno = _resident(cast, second=True)
    Participant.objects.filter(user=cast.resident2).update(birth_year=2020)
    too_young = _cast(young, budget, [b])
    assert too_young.status_code == 403 and too_young.json()["code"] == "too_young"
    # A budget reserved to its districts: the resident lives elsewhere.
    from beffroi.alerts.tests.factories import make_zone

    district = make_budget(cast, slug="quartier")
    district.zones.add(make_zone(cast.org, "Les Hauts", 5.0, 46.0, 0.01))
    c, *_more = project_ids(district)
    elsewhere = _cast(client, district, [c])
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "not_in_zones"
    assert "reserved to the residents of its districts" in elsewhere.json()["detail"]
    _nothing_written()


def test_session_casts_need_the_csrf_token_and_sms_voters_may_vote(cast: Cast) -> None:
    budget = make_budget(cast)
    a, *_rest = project_ids(budget)
    voter(cast)
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.resident)
    refused = _cast(client, budget, [a])
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    _nothing_written()
    client.get(reverse("participation_budgets:ballot", args=[budget.pk]))
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        f"{BASE}/budgets/{budget.pk}/ballot",
        {"choices": [a]},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert accepted.status_code == 201
    # A person without an account, proven by an SMS code, votes too.
    from beffroi.alerts.tests.factories import make_address, make_subscriber
    from beffroi.participation.participants.services import participant_for_subscriber

    home = make_address(cast.org, 4.0, 45.0)
    subscriber = make_subscriber(cast.org, home, full_name="Jeanne Durand", sms="+33612345678")
    person = participant_for_subscriber(subscriber=subscriber)
    person.birth_year = 1970
    person.save(update_fields=["birth_year"])
    sms = Client()
    session = sms.session
    session[SMS_PARTICIPANT_SESSION_KEY] = person.pk
    session.save()
    assert _cast(sms, budget, [a]).status_code == 201
    assert Ballot.objects.filter(participant=person).count() == 1


def test_an_agents_token_votes_as_the_agent(cast: Cast) -> None:
    budget = make_budget(cast, min_age=None)
    a, *_rest = project_ids(budget)
    agent = verified(cast.front_desk)
    from beffroi.alerts.tests.factories import make_address
    from beffroi.participation.tests.factories import participant

    person = participant(agent, cast.org)
    person.address = make_address(cast.org, 4.001, 45.001, "La Mairie")
    person.save(update_fields=["address"])
    key = make_token(agent, cast.org)
    response = Client().post(
        f"{BASE}/budgets/{budget.pk}/ballot",
        {"choices": [a]},
        content_type="application/json",
        **bearer(key),
    )
    assert response.status_code == 201
    assert Ballot.objects.get().participant == person


# --- results -------------------------------------------------------------------------------


def _voted_budget(cast: Cast) -> Budget:
    """Six voters: greedy funds the two most approved; MES shares the budget out."""
    from beffroi.testing import make_user

    budget = make_budget(cast, projects=("60000", "50000", "40000", "30000"))
    a, b, c, d = project_ids(budget)
    for i, choices in enumerate([[a, b], [a, b], [a, b], [a], [c, d], [c, d]]):
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


def test_it_shows_the_published_results_with_every_rule_side_by_side(cast: Cast) -> None:
    budget = _voted_budget(cast)
    a, _b, _c, d = project_ids(budget)
    url = f"{BASE}/budgets/{budget.pk}/results"
    before = Client().get(url).json()
    assert (before["published"], before["official"], before["rules"]) == (False, None, [])
    services.outcome_publish(
        budget=budget, agent=cast.participation_manager, selected=[a, d], note="Vote du conseil"
    )
    response = Client().get(url)
    assert response.status_code == 200
    body = response.json()
    assert body["published"] is True
    official = body["official"]
    assert official["source"] == "published" and official["note"] == "Vote du conseil"
    assert [(p["project"], p["number"]) for p in official["selected"]] == [(a, "1"), (d, "4")]
    assert official["cost"] == "90000.00"
    rules = {rule["rule"]: rule for rule in body["rules"]}
    assert list(rules) == ["greedy", "mes", "mes-add1"]
    greedy = rules["greedy"]
    assert greedy["label"] == "Greedy (most votes first)"
    assert (greedy["selected"], greedy["cost"], greedy["left"]) == (
        ["1", "3"],
        "100000.00",
        "0.00",
    )
    assert greedy["ballots"] == 6 and greedy["tie_breaking"]
    assert (greedy["differs"], greedy["added"], greedy["removed"]) == (True, ["4"], ["3"])
    second = next(p for p in greedy["projects"] if p["number"] == "2")
    assert (second["votes"], second["selected"], second["reason"]) == (3, False, "does_not_fit")
    assert second["explanation"] == (
        "did not fit in the remaining 40,000\u00a0€ for a cost of 50,000\u00a0€"
    )
    mes = rules["mes"]
    short = [p for p in mes["projects"] if p["reason"] == "supporters_short"]
    assert short and short[0]["explanation"].startswith("its supporters' remaining share was")
    assert all(p["project"] in project_ids(budget) for p in mes["projects"])
    assert Client().get(url, HTTP_HOST="autreville.localhost").status_code == 404


# --- receipts ------------------------------------------------------------------------------


def test_it_checks_a_receipt_code_without_revealing_choices(cast: Cast) -> None:
    budget = make_budget(cast)
    a, *_rest = project_ids(budget)
    ballot = services.ballot_cast(budget=budget, participant=voter(cast), choices=[a])
    url = f"{BASE}/budgets/receipts/check"
    typed = ballot.receipt_code.lower().replace("-", " ")
    found = Client().get(url, {"code": typed})
    assert found.status_code == 200
    body = found.json()
    assert (body["recorded"], body["budget"], body["budget_title"]) == (
        True,
        budget.pk,
        "Budget participatif 2026",
    )
    assert (body["counted"], body["counted_at"]) == (False, None)
    assert "choices" not in body and "Projet 1" not in found.content.decode()
    services.results_compute(budget=budget, rule="greedy")
    assert Client().get(url, {"code": ballot.receipt_code}).json()["counted"] is True
    missing = Client().get(url, {"code": "ABCD-EFGH-JK23"}).json()
    assert (missing["recorded"], missing["budget"]) == (False, None)
    malformed = Client().get(url, {"code": "1234"})
    assert malformed.status_code == 422
    assert malformed.json()["errors"]["code"][0].startswith("A receipt code has twelve letters")
    # Another commune's host name does not find it.
    other = Client(HTTP_HOST="autreville.localhost").get(url, {"code": ballot.receipt_code})
    assert other.json()["recorded"] is False


def test_receipt_checks_share_the_pages_rate_limit(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_000_000.0)
    budget = make_budget(cast)
    a, *_rest = project_ids(budget)
    ballot = services.ballot_cast(budget=budget, participant=voter(cast), choices=[a])
    client = Client()
    url = f"{BASE}/budgets/receipts/check"
    page = reverse("participation_budgets:verify")
    # Half the budget on the page, the rest through the API: one budget for both.
    half = views.RECEIPT_LOOKUPS_PER_CLIENT // 2
    for _i in range(half):
        assert client.post(page, {"code": "ABCD-EFGH-JK23"}).status_code == 200
    for _i in range(views.RECEIPT_LOOKUPS_PER_CLIENT - half):
        assert client.get(url, {"code": "ABCD-EFGH-JK23"}).status_code == 200
    blocked = client.get(url, {"code": ballot.receipt_code})
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) >= 1
    assert "recorded" not in blocked.json()
    assert client.post(page, {"code": ballot.receipt_code}).status_code == 429


# --- concurrency ---------------------------------------------------------------------------


# SQLite's in-memory test database runs one writer (its shared-cache table locks fail at once
# instead of waiting): the race is real, and tested, on PostgreSQL.
concurrent = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite's in-memory test database runs one writer"
)


@concurrent
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_ballot_out_of_50_concurrent_api_casts(settings: Any) -> None:
    from beffroi.testing import make_cast

    settings.API_RATE_LIMIT_PER_MINUTE = 0
    cast = make_cast()
    budget = make_budget(cast)
    ids = project_ids(budget)
    alice = voter(cast)
    signer = Client()
    signer.force_login(cast.resident)
    cookie = signer.cookies["sessionid"].value

    def attempt(i: int) -> Any:
        client = Client()
        client.cookies["sessionid"] = cookie
        # Each attempt chooses differently: whichever wins, the ballot is one of them.
        response = _cast(client, budget, [ids[i % len(ids)]], method="put" if i % 2 else "post")
        return response.status_code, response.json()

    results = at_once(50, attempt)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    assert all(status in (200, 201) for status, _body in results), results[:3]
    assert any(status == 201 for status, _body in results)
    assert len({body["receipt_code"] for _status, body in results}) == 1
    ballot = Ballot.objects.get()
    assert ballot.participant == alice and ballot.voter_key == f"p:{alice.pk}"
    assert BallotChoice.objects.filter(ballot=ballot).count() == 1


# --- every operation fuzzed on a real budget ------------------------------------------------

schema = schemathesis.openapi.from_dict(api.get_openapi_schema()).include(
    path_regex="/(budgets|receipts)"
)
schema.app = WSGIHandler()


@pytest.fixture
def budget_world(cast: Cast, settings: Any) -> Iterator[dict[str, Any]]:
    """A budget open for voting with published results, and an agent who may vote in it
    (its token), so that generated bodies reach ``ballot_cast`` and the results' code."""
    from beffroi.alerts.tests.factories import make_address
    from beffroi.participation.tests.factories import participant

    settings.API_RATE_LIMIT_PER_MINUTE = 0
    budget = _voted_budget(cast)
    a, *_rest = project_ids(budget)
    services.outcome_publish(budget=budget, agent=cast.participation_manager, selected=[a])
    agent = verified(cast.administrator)
    person = participant(agent, cast.org)
    person.birth_year = 1975
    person.address = make_address(cast.org, 4.003, 45.003, "La Place")
    person.save(update_fields=["birth_year", "address"])
    key = make_token(agent, cast.org, name="schemathesis")
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"ids": {"slug": budget.process.slug, "budget_id": budget.pk}, "key": key}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_it_answers_every_budget_operation_on_a_real_budget(
    case: Any, budget_world: dict[str, Any]
) -> None:
    for name, value in budget_world["ids"].items():
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = value
    case.call_and_validate(checks=CHECKS)
    authenticated = case.call(headers={"Authorization": f"Bearer {budget_world['key']}"})
    case.validate_response(authenticated, checks=CHECKS)
    assert Ballot.objects.filter(budget_id=budget_world["ids"]["budget_id"]).count() <= 7
