"""Realisations API: the list with the public page's filters (the same realisations as the page
for the same year, district and status) and a budget, paged; a realisation with its
milestones and photos; following and unfollowing through the service (idempotent, refused
to anonymous callers, blocked or unverified residents); drafts and another organisation's
realisations answering 404; the OpenAPI entry, and one follow out of 50 concurrent calls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from beffroi.alerts.tests.factories import make_address, make_subscriber, make_zone
from beffroi.api.api import api
from beffroi.api.tests.factories import bearer, make_token
from beffroi.participation.access import SMS_PARTICIPANT_SESSION_KEY
from beffroi.participation.budgets.services import outcome_publish
from beffroi.participation.models import (
    Budget,
    BudgetProject,
    Notification,
    Participant,
    Process,
    Proposal,
    Realisation,
    RealisationFollow,
)
from beffroi.participation.participants.services import participant_for_subscriber
from beffroi.participation.proposals.services import follow_add
from beffroi.participation.realisations import services
from beffroi.participation.realisations.services import PhotoInput, RealisationInput
from beffroi.participation.tests.budgets.helpers import make_budget, project_ids
from beffroi.participation.tests.factories import (
    make_process,
    make_proposal,
    participant,
    verified,
)
from beffroi.participation.tests.proposals.helpers import jpeg_with_gps
from beffroi.testing import Cast, at_once

from .test_schema import CHECKS

BASE = "/api/v1/participation"
LIST = f"{BASE}/realisations"


@pytest.fixture(autouse=True)
def _no_api_budget(settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 0


def _realised(cast: Cast, *, slug: str, title: str, winners: tuple[int, ...]) -> list[Realisation]:
    """The budgets tests' budget (projects 1 to 4) whose published outcome funds the projects
    at the positions ``winners``, realised; by title."""
    budget = make_budget(cast, slug=slug, title=title, open_phase=None)
    ids = project_ids(budget)
    manager = cast.participation_manager
    outcome_publish(budget=budget, agent=manager, selected=[ids[i] for i in winners])
    created = services.realisations_from_outcome(budget=budget, agent=manager)
    return sorted(created, key=lambda r: r.title)


def _update(cast: Cast, realisation: Realisation, **fields: Any) -> Realisation:
    values: dict[str, Any] = {
        "title": realisation.title,
        "budget_planned": realisation.budget_planned,
        "year": realisation.year,
    }
    values.update(fields)
    return services.realisation_update(
        realisation=realisation, agent=cast.participation_manager, data=RealisationInput(**values)
    )


def _status(cast: Cast, realisation: Realisation, status: str, progress: int) -> Realisation:
    return services.realisation_status_set(
        realisation=realisation,
        agent=cast.participation_manager,
        status=status,
        progress=progress,
        today=date(2026, 6, 30),
    )


def _four(cast: Cast) -> dict[str, Any]:
    """Budget 2026 realises projects 1, 2 and 3; budget 2025 realises its project 4.
    Projet 1: the hamlet, 2026, works 45 %. Projet 2: no place, 2025, delivered. Projet 3:
    the district, 2026, planned. Projet 4 (budget 2025): no place, 2025, planned."""
    hamlet = make_zone(cast.org, "Hameau du Pré", 3.99, 44.99, 0.02)
    district = make_zone(cast.org, "Quartier de la Gare", 4.49, 45.49, 0.02, kind="district")
    flood = make_zone(cast.org, "Zone inondable", 3.99, 44.99, 0.02, kind="flood")
    first, second, third = _realised(
        cast, slug="budget-2026", title="Budget participatif 2026", winners=(0, 1, 2)
    )
    (fourth,) = _realised(cast, slug="budget-2025", title="Budget participatif 2025", winners=(3,))
    first = _update(cast, first, lat=45.0, lon=4.0)
    _status(cast, first, "works", 45)
    second = _update(cast, second, year=2025)
    _status(cast, second, "delivered", 100)
    third = _update(cast, third, lat=45.5, lon=4.5)
    assert list(first.zones.all()) == [hamlet] and list(third.zones.all()) == [district]
    assert fourth.year == 2025
    return {
        "realisations": (first, second, third, fourth),
        "hamlet": hamlet,
        "district": district,
        "flood": flood,
    }


def _titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["title"] for r in response.json()["results"]]


def _page_titles(params: dict[str, str]) -> list[str]:
    """What the public page lists for the same filters."""
    response = Client().get(reverse("participation_realisations:list"), params)
    assert response.status_code == 200
    return [r.title for r in response.context["realisations"]]


# --- The list ------------------------------------------------------------------------------


def test_it_lists_realisations_with_the_public_pages_filters(cast: Cast) -> None:
    world = _four(cast)
    _first, _second, third, fourth = world["realisations"]
    client = Client()
    everything = client.get(LIST)
    assert _titles(everything) == ["Projet 1", "Projet 3", "Projet 2", "Projet 4"]
    assert everything.json()["count"] == 4
    cases: list[tuple[dict[str, str], list[str]]] = [
        ({"year": "2025"}, ["Projet 2", "Projet 4"]),
        ({"year": "2024"}, []),
        ({"zone": str(world["hamlet"].pk)}, ["Projet 1"]),
        ({"zone": str(world["district"].pk)}, ["Projet 3"]),
        ({"status": "planned"}, ["Projet 3", "Projet 4"]),
        ({"status": "delivered"}, ["Projet 2"]),
        ({"year": "2026", "status": "works"}, ["Projet 1"]),
        ({"year": "2025", "status": "planned"}, ["Projet 4"]),
    ]
    for params, expected in cases:
        assert _titles(client.get(LIST, params)) == expected, params
        # The same realisations as the public page for the same filters.
        assert _page_titles(params) == expected, params
    # The budget they come from (the page lists them all).
    assert _titles(client.get(LIST, {"budget": str(fourth.budget_id)})) == ["Projet 4"]
    assert _titles(client.get(LIST, {"budget": str(third.budget_id), "status": "planned"})) == [
        "Projet 3"
    ]


def test_it_describes_each_realisation_of_the_list(cast: Cast) -> None:
    world = _four(cast)
    first, second, *_rest = world["realisations"]
    rows = {r["title"]: r for r in Client().get(LIST).json()["results"]}
    one, two = rows["Projet 1"], rows["Projet 2"]
    assert (one["id"], one["status"], one["progress"], one["year"]) == (first.pk, "works", 45, 2026)
    assert one["status_label"] == "Works in progress"
    assert one["point"] == {"lat": 45.0, "lon": 4.0}
    assert one["zones"] == [{"id": world["hamlet"].pk, "name": "Hameau du Pré", "kind": "hamlet"}]
    assert (one["budget_planned"], one["budget_spent"], one["currency"]) == (
        "30000.00",
        "0.00",
        "EUR",
    )
    assert one["budget"]["id"] == first.budget_id and one["budget"]["process"] == "budget-2026"
    assert one["budget"]["url"].endswith(
        reverse("participation_budgets:process", args=["budget-2026"])
    )
    assert one["url"] == "https://testserver" + reverse(
        "participation_realisations:detail", args=[first.pk]
    )
    assert one["following"] is False and one["delivered_at"] is None
    assert (two["id"], two["status"], two["progress"]) == (second.pk, "delivered", 100)
    assert two["delivered_at"] == "2026-06-30"
    assert two["point"] is None and two["zones"] == []


def test_it_pages_the_list(cast: Cast) -> None:
    _four(cast)
    client = Client()
    first = client.get(LIST, {"per_page": "3"})
    body = first.json()
    assert (body["count"], body["page"], body["pages"], body["per_page"]) == (4, 1, 2, 3)
    assert _titles(first) == ["Projet 1", "Projet 3", "Projet 2"]
    second = client.get(LIST, {"per_page": "3", "page": "2"})
    assert _titles(second) == ["Projet 4"] and second.json()["page"] == 2
    beyond = client.get(LIST, {"per_page": "3", "page": "3"})
    assert _titles(beyond) == [] and beyond.json()["count"] == 4
    filtered = client.get(LIST, {"per_page": "1", "page": "2", "year": "2025"}).json()
    assert (filtered["count"], filtered["pages"]) == (2, 2)
    assert [r["title"] for r in filtered["results"]] == ["Projet 4"]
    assert client.get(LIST, {"per_page": "101"}).status_code == 422
    assert client.get(LIST, {"page": "0"}).status_code == 422


def test_it_refuses_filters_the_page_does_not_offer(cast: Cast) -> None:
    world = _four(cast)
    draft_budget = make_budget(cast, slug="brouillon", open_phase=None)
    Process.objects.filter(pk=draft_budget.process_id).update(status=Process.Status.DRAFT)
    elsewhere = make_zone(cast.other_org, "Ailleurs", 3.99, 44.99, 0.02)
    foreign_process = make_process(cast.other_org, slug="budget-ailleurs")
    foreign_budget = Budget.objects.create(
        organisation=cast.other_org, process=foreign_process, title="B", amount=Decimal(10)
    )
    client = Client()
    for params, field in (
        ({"year": "1800"}, "query.year"),
        ({"year": "deux-mille"}, "query.year"),
        ({"status": "nope"}, "query.status"),
        ({"zone": str(world["flood"].pk)}, "query.zone"),  # a flood zone: not a place
        ({"zone": str(elsewhere.pk)}, "query.zone"),
        ({"budget": str(foreign_budget.pk)}, "query.budget"),
        ({"budget": str(draft_budget.pk)}, "query.budget"),
        ({"budget": "999999"}, "query.budget"),
    ):
        response = client.get(LIST, params)
        assert response.status_code == 422, params
        body = response.json()
        assert body["detail"] == "The request is invalid." and field in body["errors"], params


def test_it_lists_in_a_constant_number_of_queries(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    world = _four(cast)
    client = Client()
    client.force_login(cast.resident)
    participant(cast.resident, cast.org)
    client.post(f"{LIST}/{world['realisations'][0].pk}/follow")
    with django_assert_max_num_queries(12) as few:
        assert len(client.get(LIST).json()["results"]) == 4
    _realised(cast, slug="budget-2024", title="Budget participatif 2024", winners=(0, 1, 2, 3))
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = client.get(LIST).json()["results"]
    assert len(rows) == 8
    assert [r["following"] for r in rows].count(True) == 1


# --- One realisation -----------------------------------------------------------------------


def test_it_describes_a_realisation_with_its_milestones_and_photos(
    cast: Cast, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    budget = make_budget(cast, open_phase=None)
    proposal = make_proposal(budget.process, None, title="Un verger partagé")
    bruno = participant(cast.resident2, cast.org)
    follow_add(proposal=proposal, participant=bruno)
    first_project = BudgetProject.objects.get(budget=budget, position=1)
    BudgetProject.objects.filter(pk=first_project.pk).update(proposal=proposal)
    outcome_publish(budget=budget, agent=cast.participation_manager, selected=[first_project.pk])
    (realisation,) = services.realisations_from_outcome(
        budget=budget, agent=cast.participation_manager
    )
    realisation = _update(
        cast,
        realisation,
        title="Le verger",
        description="Vingt arbres fruitiers.\nUn banc.",
        service="Espaces verts",
        budget_spent=Decimal("1250.50"),
        lat=45.0,
        lon=4.0,
    )
    _status(cast, realisation, "delivered", 100)
    manager = cast.participation_manager
    services.milestone_add(
        realisation=realisation,
        agent=manager,
        on=date(2026, 5, 4),
        title="Plantation",
        text="Les arbres sont en terre.",
        photos=[PhotoInput(upload=jpeg_with_gps(), alt_text="Vingt jeunes pommiers alignés")],
    )
    services.milestone_add(
        realisation=realisation, agent=manager, on=date(2026, 3, 1), title="Étude"
    )

    url = f"{LIST}/{realisation.pk}"
    anonymous = Client().get(url)
    assert anonymous.status_code == 200
    body = anonymous.json()
    assert (body["title"], body["status"], body["progress"]) == ("Le verger", "delivered", 100)
    assert body["description"] == "Vingt arbres fruitiers.\nUn banc."
    assert (body["service"], body["budget_planned"], body["budget_spent"]) == (
        "Espaces verts",
        "30000.00",
        "1250.50",
    )
    assert (body["year"], body["delivered_at"], body["abandon_reason"]) == (2026, "2026-06-30", "")
    assert body["point"] == {"lat": 45.0, "lon": 4.0}
    assert body["budget"]["id"] == budget.pk
    assert body["budget"]["title"] == "Budget participatif 2026"
    assert body["project"] == {
        "id": first_project.pk,
        "number": "1",
        "title": "Projet 1",
        "cost": "30000.00",
    }
    assert body["proposal"]["id"] == proposal.pk
    assert body["proposal"]["title"] == "Un verger partagé"
    assert body["proposal"]["url"].endswith(
        reverse("participation_proposals:detail", args=[proposal.pk])
    )
    # The proposal's follower follows the realisation from its creation.
    assert (body["followers_count"], body["following"]) == (1, False)
    assert [(m["date"], m["title"]) for m in body["milestones"]] == [
        ("2026-03-01", "Étude"),
        ("2026-05-04", "Plantation"),
    ]
    assert body["milestones_count"] == 2
    assert body["milestones"][0]["photos"] == []
    assert body["milestones"][1]["text"] == "Les arbres sont en terre."
    (photo,) = body["milestones"][1]["photos"]
    assert photo["alt_text"] == "Vingt jeunes pommiers alignés"
    assert photo["content_type"] == "image/jpeg"
    prefix = "https://testserver/participer/realisations/photos/"
    assert photo["url"] == f"{prefix}{photo['id']}/"
    served = Client().get(photo["url"].removeprefix("https://testserver"))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"

    follower = Client()
    follower.force_login(cast.resident2)
    assert follower.get(url).json()["following"] is True
    # A proposal hidden by the moderators is never linked.
    Proposal.objects.filter(pk=proposal.pk).update(hidden_at=timezone.now())
    assert Client().get(url).json()["proposal"] is None


def test_drafts_and_other_organisations_realisations_answer_404(cast: Cast) -> None:
    mine, *_rest = _realised(cast, slug="budget-2026", title="Budget 2026", winners=(0,))
    draft, *_rest = _realised(cast, slug="brouillon", title="Brouillon 2026", winners=(1,))
    Process.objects.filter(pk=draft.budget.process_id).update(status=Process.Status.DRAFT)
    # Another commune's realisation, made by its own agents.
    foreign_process = make_process(cast.other_org, slug="budget-ailleurs")
    foreign_budget = Budget.objects.create(
        organisation=cast.other_org,
        process=foreign_process,
        title="Budget d'Autreville",
        amount=Decimal(1000),
    )
    project = BudgetProject.objects.create(
        budget=foreign_budget, title="Le lavoir", cost=Decimal(500), pabulib_id="1", position=1
    )
    foreign = Realisation.objects.create(
        organisation=cast.other_org,
        budget=foreign_budget,
        project=project,
        title="Le lavoir",
        budget_planned=Decimal(500),
        year=2026,
    )
    resident = Client()
    resident.force_login(cast.resident)
    participant(cast.resident, cast.org)
    for target in (foreign, draft):
        url = f"{LIST}/{target.pk}"
        assert resident.get(url).status_code == 404
        assert resident.get(url).json() == {"detail": "Not found."}
        assert resident.post(f"{url}/follow").status_code == 404
        assert resident.delete(f"{url}/follow").status_code == 404
    assert resident.get(f"{LIST}/999999").status_code == 404
    assert not RealisationFollow.objects.exists()
    assert _titles(resident.get(LIST)) == ["Projet 1"]
    # From the other commune's host, its realisation is there, and only it.
    other = Client(HTTP_HOST="autreville.localhost")
    assert other.get(f"{LIST}/{foreign.pk}").status_code == 200
    assert _titles(other.get(LIST)) == ["Le lavoir"]
    assert other.get(f"{LIST}/{mine.pk}").status_code == 404
    # A draft's realisation is its managers' only (session or token), and never listed, as
    # on the page.
    manager = Client()
    manager.force_login(cast.participation_manager)
    assert manager.get(f"{LIST}/{draft.pk}").status_code == 200
    key = make_token(cast.participation_manager, cast.org)
    assert Client().get(f"{LIST}/{draft.pk}", **bearer(key)).status_code == 200
    assert _titles(manager.get(LIST)) == ["Projet 1"]


# --- Following -----------------------------------------------------------------------------


def _resident(cast: Cast) -> tuple[Client, Participant]:
    person = participant(cast.resident, cast.org)
    client = Client()
    client.force_login(cast.resident)
    return client, person


def test_it_follows_and_unfollows_idempotently(cast: Cast) -> None:
    realisation, *_rest = _realised(cast, slug="budget-2026", title="Budget 2026", winners=(0,))
    client, alice = _resident(cast)
    url = f"{LIST}/{realisation.pk}/follow"
    first = client.post(url)
    assert first.status_code == 200
    assert first.json() == {"following": True, "changed": True, "followers_count": 1}
    again = client.post(url)
    assert again.json() == {"following": True, "changed": False, "followers_count": 1}
    assert list(RealisationFollow.objects.values_list("realisation_id", "participant_id")) == [
        (realisation.pk, alice.pk)
    ]
    assert client.get(f"{LIST}/{realisation.pk}").json()["following"] is True
    assert client.get(LIST).json()["results"][0]["following"] is True
    # Following through the API is the service's: each new milestone is told.
    services.milestone_add(
        realisation=realisation, agent=cast.participation_manager, on=date(2026, 5, 4),
        title="Début des travaux",
    )  # fmt: skip
    told = Notification.objects.get(recipient=alice)
    assert told.kind == Notification.Kind.REALISATION and "Début des travaux" in told.title
    removed = client.delete(url)
    assert removed.json() == {"following": False, "changed": True, "followers_count": 0}
    assert client.delete(url).json() == {
        "following": False,
        "changed": False,
        "followers_count": 0,
    }
    assert not RealisationFollow.objects.exists()
    assert client.get(f"{LIST}/{realisation.pk}").json()["following"] is False


def test_it_refuses_to_follow_for_anonymous_blocked_or_unverified_callers(cast: Cast) -> None:
    realisation, *_rest = _realised(cast, slug="budget-2026", title="Budget 2026", winners=(0,))
    url = f"{LIST}/{realisation.pk}/follow"
    for send in (Client().post, Client().delete):
        anonymous = send(url)
        assert anonymous.status_code == 401
        assert anonymous["WWW-Authenticate"] == 'Bearer realm="beffroi"'
    # Unverified e-mail address: refused by the service, with its code.
    unverified = Client()
    unverified.force_login(cast.resident2)
    refused = unverified.post(url)
    assert refused.status_code == 403 and refused.json()["code"] == "email_unverified"
    # Blocked by the moderators.
    client, alice = _resident(cast)
    alice.blocked_at = timezone.now()
    alice.save(update_fields=["blocked_at"])
    refused = client.post(url)
    assert refused.status_code == 403 and refused.json()["code"] == "blocked"
    assert not RealisationFollow.objects.exists()


def test_session_follows_need_the_csrf_token(cast: Cast) -> None:
    realisation, *_rest = _realised(cast, slug="budget-2026", title="Budget 2026", winners=(0,))
    participant(cast.resident, cast.org)
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.resident)
    url = f"{LIST}/{realisation.pk}/follow"
    refused = client.post(url)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert not RealisationFollow.objects.exists()
    client.get(reverse("participation_realisations:detail", args=[realisation.pk]))
    token = client.cookies["csrftoken"].value
    assert client.post(url, HTTP_X_CSRFTOKEN=token).status_code == 200
    assert RealisationFollow.objects.count() == 1


def test_an_agents_token_and_a_person_proven_by_sms_follow(cast: Cast) -> None:
    realisation, *_rest = _realised(cast, slug="budget-2026", title="Budget 2026", winners=(0,))
    url = f"{LIST}/{realisation.pk}/follow"
    key = make_token(verified(cast.front_desk), cast.org)
    assert Client().post(url, **bearer(key)).json()["changed"] is True
    assert RealisationFollow.objects.get().participant.user == cast.front_desk
    assert Client().get(f"{LIST}/{realisation.pk}", **bearer(key)).json()["following"] is True
    other_key = make_token(cast.other_admin, cast.other_org)
    assert Client().post(url, **bearer(other_key)).status_code == 401

    home = make_address(cast.org, 4.0, 45.0)
    subscriber = make_subscriber(cast.org, home, full_name="Jeanne Durand", sms="+33612345678")
    person = participant_for_subscriber(subscriber=subscriber)
    client = Client()
    session = client.session
    session[SMS_PARTICIPANT_SESSION_KEY] = person.pk
    session.save()
    followed = client.post(url)
    assert followed.json() == {"following": True, "changed": True, "followers_count": 2}
    assert RealisationFollow.objects.filter(participant=person).exists()


# --- The OpenAPI document ------------------------------------------------------------------


def test_it_documents_the_realisations_endpoints(cast: Cast) -> None:
    served = Client().get("/api/v1/openapi.json")
    assert served.status_code == 200
    document = served.json()
    paths = document["paths"]
    listing = paths["/api/v1/participation/realisations"]
    assert set(listing) == {"get"}
    parameters = {p["name"]: p for p in listing["get"]["parameters"]}
    assert set(parameters) == {"year", "zone", "status", "budget", "page", "per_page"}
    assert all(p["in"] == "query" and not p.get("required") for p in parameters.values())
    page = listing["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert page == {"$ref": "#/components/schemas/RealisationPageOut"}
    detail = paths["/api/v1/participation/realisations/{realisation_id}"]
    assert set(detail) == {"get"} and "security" not in detail["get"]
    follow = paths["/api/v1/participation/realisations/{realisation_id}/follow"]
    assert set(follow) == {"post", "delete"}
    for operation in follow.values():
        assert operation["security"] == [{"AgentToken": []}, {"ResidentSession": []}]
        assert operation["tags"] == ["realisations"]
        assert {"200", "401", "403", "404", "422", "429"} <= set(operation["responses"])
    schemas = document["components"]["schemas"]
    assert set(schemas["MilestonePhotoOut"]["required"]) >= {"url", "alt_text"}
    assert set(schemas["RealisationOut"]["required"]) >= {
        "milestones", "followers_count", "following", "budget", "project", "proposal",
        "point", "zones", "progress", "status", "service", "budget_planned", "budget_spent",
        "year", "delivered_at",
    }  # fmt: skip
    assert schemas["RealisationSummaryOut"]["properties"]["status"]["enum"] == [
        "planned",
        "study",
        "works",
        "delivered",
        "abandoned",
    ]


schema = schemathesis.openapi.from_dict(api.get_openapi_schema()).include(
    path_regex="/participation/realisations"
)
schema.app = WSGIHandler()


@pytest.fixture
def world(cast: Cast) -> Iterator[dict[str, Any]]:
    realisation, *_rest = _realised(cast, slug="budget-2026", title="Budget 2026", winners=(0, 1))
    key = make_token(verified(cast.administrator), cast.org)
    make_zone(cast.org, "Hameau du Pré", 3.99, 44.99, 0.02)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"realisation_id": realisation.pk, "key": key}
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
def test_it_answers_every_realisations_operation_on_real_objects(
    case: Any, world: dict[str, Any]
) -> None:
    if case.path_parameters and "realisation_id" in case.path_parameters:
        case.path_parameters["realisation_id"] = world["realisation_id"]
    case.call_and_validate(checks=CHECKS)
    authenticated = case.call(headers={"Authorization": f"Bearer {world['key']}"})
    case.validate_response(authenticated, checks=CHECKS)


# --- Concurrency ---------------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite's in-memory test database runs one writer"
)
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_follow_out_of_50_concurrent_api_calls(settings: Any) -> None:
    from beffroi.testing import make_cast

    settings.API_RATE_LIMIT_PER_MINUTE = 0
    cast = make_cast()
    realisation, *_rest = _realised(cast, slug="budget-2026", title="Budget 2026", winners=(0,))
    alice = participant(cast.resident, cast.org)
    signer = Client()
    signer.force_login(cast.resident)
    cookie = signer.cookies["sessionid"].value

    def attempt(_i: int) -> Any:
        client = Client()
        client.cookies["sessionid"] = cookie
        response = client.post(f"{LIST}/{realisation.pk}/follow")
        return response.status_code, response.json()

    results = at_once(50, attempt)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    assert all(status == 200 for status, _body in results), results[:3]
    assert [body["changed"] for _status, body in results].count(True) == 1
    assert list(RealisationFollow.objects.values_list("participant_id", flat=True)) == [alice.pk]
