"""Volunteering API: the associations' directory, missions with their slots (reads, and the
organisers' writes through the missions' services), needs and offers, applications (a
volunteer's, and the organisers' decisions): the pages' own rules, another organisation's
objects answering 404, refused roles, bad input changing nothing, pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, get_args

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from beffroi.accounts.models import Role
from beffroi.alerts.tests.factories import make_zone
from beffroi.api import volunteering as api_module
from beffroi.api.api import api
from beffroi.api.tests.factories import bearer, make_token
from beffroi.core.models import AuditEvent
from beffroi.messaging.testing import smtp_server
from beffroi.testing import Cast, login_verified, make_user
from beffroi.volunteering.models import (
    Activity,
    Application,
    Association,
    Certification,
    Membership,
    Mission,
    Need,
    NeedOffer,
    Skill,
    Slot,
    VolunteerProfile,
)
from beffroi.volunteering.tests.factories import make_association, make_mission, make_profile

from .test_schema import CHECKS

BASE = "/api/v1/volunteering"
ACTIVE = (Membership.Role.OWNER, Membership.State.ACTIVE)


@pytest.fixture(autouse=True)
def _no_api_budget(settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 0


def signed_in(user: Any, **extra: Any) -> Client:
    client = Client(**extra)
    client.force_login(user)
    return client


def send(client: Client, method: str, path: str, data: Any = None, **extra: Any) -> Any:
    return getattr(client, method)(
        f"{BASE}{path}",
        data if data is not None else {},
        content_type="application/json",
        **extra,
    )


def _names(response: Any, key: str = "name") -> list[str]:
    assert response.status_code == 200, response.content
    return [row[key] for row in response.json()["results"]]


def _text(mail: Any) -> str:
    return str(mail.message.get_body(preferencelist=("plain",)).get_content())


def test_its_enumerations_are_the_models_choices() -> None:
    assert set(get_args(api_module.ActivityCode)) == set(Activity.values)
    assert set(get_args(api_module.SkillCode)) == set(Skill.values)
    assert set(get_args(api_module.CertificationCode)) == set(Certification.values)
    assert set(get_args(api_module.MissionStatusCode)) == set(Mission.Status.values)
    assert set(get_args(api_module.NeedKindCode)) == set(Need.Kind.values)
    assert set(get_args(api_module.NeedStatusCode)) == set(Need.Status.values)
    assert set(get_args(api_module.OfferStateCode)) == set(NeedOffer.State.values)
    assert set(get_args(api_module.ApplicationStateCode)) == set(Application.State.values)


# --- Associations --------------------------------------------------------------------------


@pytest.fixture
def directory(cast: Cast) -> dict[str, Association]:
    return {
        "school": make_association(
            cast.org,
            "École de Musique de Valmont",
            activities=("culture", "education"),
            purpose="Cours de piano et de solfège",
            lon=3.995,
            lat=44.995,
            email="ecole@example.org",
            rna="W551000001",
        ),
        "foot": make_association(
            cast.org,
            "AS Valmont Football",
            activities=("sport",),
            status=Association.Status.IMPORTED,
            source=Association.Source.RNA,
        ),
        "claimed": make_association(
            cast.org,
            "Randonneurs du Plateau",
            activities=("sport",),
            status=Association.Status.PENDING,
            source=Association.Source.RNA,
        ),
        "theatre": make_association(cast.org, "Théâtre sans adresse", activities=("culture",)),
        "pending": make_association(cast.org, "Chorale en attente", status="pending"),
        "refused": make_association(cast.org, "Refusée", status="refused"),
        "dissolved": make_association(
            cast.org, "Dissoute", status="imported", source="rna", dissolved_on=date(2020, 1, 1)
        ),
        "other": make_association(cast.other_org, "Musique d'Autreville"),
    }


def test_it_lists_the_public_directory_only_in_a_french_index_order(
    cast: Cast, directory: dict[str, Association]
) -> None:
    response = Client().get(f"{BASE}/associations")
    assert _names(response) == [
        "AS Valmont Football",
        "École de Musique de Valmont",
        "Randonneurs du Plateau",
        "Théâtre sans adresse",
    ]
    body = response.json()
    assert (body["count"], body["page"], body["pages"], body["per_page"]) == (4, 1, 1, 20)
    school = body["results"][1]
    assert school["id"] == directory["school"].pk
    assert school["activities"] == [
        {"code": "culture", "label": "Culture and arts"},
        {"code": "education", "label": "Education and training"},
    ]
    assert (school["status"], school["lat"], school["logo_url"]) == ("validated", 44.995, "")
    assert school["url"] == "https://testserver" + reverse(
        "volunteering_associations:detail", args=[directory["school"].pk]
    )
    # The other commune's host lists its own directory only.
    other = Client(HTTP_HOST="autreville.localhost").get(f"{BASE}/associations")
    assert _names(other) == ["Musique d'Autreville"]


def test_it_searches_the_directory_by_words_activity_and_hamlet(
    cast: Cast, directory: dict[str, Association]
) -> None:
    hamlet = make_zone(cast.org, "Hameau du Pré", 3.99, 44.99, 0.01)
    client = Client()
    cases: list[tuple[dict[str, str], list[str]]] = [
        ({"q": "ECOLE musique"}, ["École de Musique de Valmont"]),
        ({"q": "solfege"}, ["École de Musique de Valmont"]),
        ({"q": "W551000001"}, ["École de Musique de Valmont"]),
        ({"activity": "sport"}, ["AS Valmont Football", "Randonneurs du Plateau"]),
        ({"activity": "culture", "q": "theatre"}, ["Théâtre sans adresse"]),
        ({"zone": str(hamlet.pk)}, ["École de Musique de Valmont"]),
        ({"q": "chorale"}, []),
    ]
    for params, expected in cases:
        assert _names(client.get(f"{BASE}/associations", params)) == expected, params


def test_it_pages_the_directory_and_refuses_bad_filters(
    cast: Cast, directory: dict[str, Association]
) -> None:
    client = Client()
    first = client.get(f"{BASE}/associations", {"per_page": "3"})
    assert _names(first) == [
        "AS Valmont Football",
        "École de Musique de Valmont",
        "Randonneurs du Plateau",
    ]
    assert (first.json()["count"], first.json()["pages"]) == (4, 2)
    second = client.get(f"{BASE}/associations", {"per_page": "3", "page": "2"})
    assert _names(second) == ["Théâtre sans adresse"]
    assert _names(client.get(f"{BASE}/associations", {"page": "9"})) == []
    flood = make_zone(cast.org, "Zone inondable", 3.99, 44.99, 0.01, kind="flood")
    elsewhere = make_zone(cast.other_org, "Ailleurs", 3.99, 44.99, 0.01)
    for params, field in (
        ({"per_page": "101"}, "query.per_page"),
        ({"page": "0"}, "query.page"),
        ({"activity": "knitting"}, "query.activity"),
        ({"zone": str(flood.pk)}, "query.zone"),
        ({"zone": str(elsewhere.pk)}, "query.zone"),
        ({"q": "a\x00b"}, "query.q"),
    ):
        response = client.get(f"{BASE}/associations", params)
        assert response.status_code == 422, params
        body = response.json()
        assert body["detail"] == "The request is invalid." and field in body["errors"], params
    message = client.get(f"{BASE}/associations", {"zone": str(flood.pk)}).json()
    assert message["errors"]["query.zone"] == ["Choose a hamlet or a district of the commune."]


def test_it_describes_a_public_association_and_hides_the_others(
    cast: Cast, directory: dict[str, Association]
) -> None:
    school = directory["school"]
    make_mission(cast.org, association=school)
    make_mission(cast.org, "Brouillon", association=school, status=Mission.Status.DRAFT)
    response = Client().get(f"{BASE}/associations/{school.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["purpose"], body["email"]) == (
        "École de Musique de Valmont",
        "Cours de piano et de solfège",
        "ecole@example.org",
    )
    assert (body["rna"], body["open_missions"], body["wheelchair_accessible"]) == (
        "W551000001",
        1,
        False,
    )
    # Hidden profiles answer 404 to everyone, their managers and agents included: the API
    # is the public directory.
    manager = signed_in(cast.participation_manager)
    for key in ("pending", "refused", "dissolved", "other"):
        url = f"{BASE}/associations/{directory[key].pk}"
        assert Client().get(url).status_code == 404, key
        assert manager.get(url).json() == {"detail": "Not found."}, key
    assert Client().get(f"{BASE}/associations/999999").status_code == 404
    assert Client().get(f"{BASE}/associations/0").status_code == 422
    other = Client(HTTP_HOST="autreville.localhost")
    assert other.get(f"{BASE}/associations/{directory['other'].pk}").status_code == 200
    assert other.get(f"{BASE}/associations/{school.pk}").status_code == 404


# --- Missions: reads -----------------------------------------------------------------------


@pytest.fixture
def restos(cast: Cast) -> Association:
    return make_association(
        cast.org,
        "Les Restos du Cœur de Valmont",
        activities=("solidarity",),
        managers=((cast.association_manager, *ACTIVE),),
        email="restos@example.org",
    )


@pytest.fixture
def missions(cast: Cast, restos: Association) -> dict[str, Mission]:
    soon = (timezone.localtime() + timedelta(days=3)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    return {
        "food": make_mission(
            cast.org,
            "Distribution alimentaire du samedi",
            association=restos,
            activities=["solidarity"],
            skills=["cooking", "logistics"],
            street_address="2 rue des Halles",
            slots=2,
            needed=3,
            starts_at=soon + timedelta(days=7),
        ),
        "storm": make_mission(
            cast.org,
            "Déblayer après la tempête",
            activities=["civil_protection"],
            skills=["manual"],
            urgency="urgent",
            street_address="Place de la Mairie",
            starts_at=soon + timedelta(days=14),
        ),
        "phone": make_mission(
            cast.org,
            "Appels de convivialité",
            association=restos,
            activities=["elderly"],
            skills=["care"],
            remote=True,
            starts_at=soon,
        ),
        "closed": make_mission(
            cast.org,
            "Collecte de printemps",
            association=restos,
            status=Mission.Status.CLOSED,
            starts_at=soon,
        ),
        "draft": make_mission(
            cast.org, "Brouillon des Restos", association=restos, status=Mission.Status.DRAFT
        ),
        "cancelled": make_mission(
            cast.org, "Annulée", association=restos, status=Mission.Status.CANCELLED
        ),
        "other": make_mission(cast.other_org, "Mission d'Autreville"),
    }


def test_it_lists_the_public_missions_urgent_first_and_closed_last(
    cast: Cast, missions: dict[str, Mission]
) -> None:
    response = Client().get(f"{BASE}/missions")
    assert _names(response, "title") == [
        "Déblayer après la tempête",
        "Appels de convivialité",
        "Distribution alimentaire du samedi",
        "Collecte de printemps",
    ]
    rows = {r["title"]: r for r in response.json()["results"]}
    food = rows["Distribution alimentaire du samedi"]
    assert food["association"]["name"] == "Les Restos du Cœur de Valmont"
    assert food["skills"] == [
        {"code": "cooking", "label": "Cooking and food distribution"},
        {"code": "logistics", "label": "Logistics and handling"},
    ]
    assert (food["status"], food["places_left"], food["remote"]) == ("published", 6, False)
    first_slot = missions["food"].slots.order_by("starts_at").first()
    assert first_slot is not None
    assert food["next_slot"] == first_slot.starts_at.isoformat().replace("+00:00", "Z")
    assert food["url"] == "https://testserver" + reverse(
        "volunteering_missions:detail", args=[missions["food"].pk]
    )
    storm = rows["Déblayer après la tempête"]
    assert storm["association"] is None and storm["urgency"] == "urgent"
    # A closed mission takes nobody: no place left to show.
    assert rows["Collecte de printemps"]["places_left"] == 0
    other = Client(HTTP_HOST="autreville.localhost").get(f"{BASE}/missions")
    assert _names(other, "title") == ["Mission d'Autreville"]


def test_it_filters_missions_as_the_page_does(
    cast: Cast, restos: Association, missions: dict[str, Mission]
) -> None:
    client = Client()
    soon = timezone.localdate() + timedelta(days=3)
    cases: list[tuple[dict[str, str], list[str]]] = [
        ({"activity": "solidarity"}, ["Distribution alimentaire du samedi"]),
        ({"skill": "manual"}, ["Déblayer après la tempête"]),
        ({"skill": "cooking", "activity": "elderly"}, []),
        ({"urgency": "urgent"}, ["Déblayer après la tempête"]),
        ({"remote": "true"}, ["Appels de convivialité"]),
        (
            {"remote": "false", "association": str(restos.pk)},
            ["Distribution alimentaire du samedi", "Collecte de printemps"],
        ),
        ({"commune": "true"}, ["Déblayer après la tempête"]),
        (
            {"from": (soon + timedelta(days=10)).isoformat()},
            ["Déblayer après la tempête", "Distribution alimentaire du samedi"],
        ),
        (
            {"from": soon.isoformat(), "to": soon.isoformat()},
            ["Appels de convivialité", "Collecte de printemps"],
        ),
        ({"q": "TEMPETE"}, ["Déblayer après la tempête"]),
        ({"q": "halles"}, ["Distribution alimentaire du samedi"]),
    ]
    for params, expected in cases:
        assert _names(client.get(f"{BASE}/missions", params), "title") == expected, params


def test_it_pages_missions_and_refuses_bad_filters(
    cast: Cast, missions: dict[str, Mission]
) -> None:
    client = Client()
    first = client.get(f"{BASE}/missions", {"per_page": "3"}).json()
    assert (first["count"], first["pages"], len(first["results"])) == (4, 2, 3)
    second = client.get(f"{BASE}/missions", {"per_page": "3", "page": "2"})
    assert _names(second, "title") == ["Collecte de printemps"]
    foreign = make_association(cast.other_org, "Club d'Autreville")
    today = timezone.localdate()
    for params, field in (
        ({"skill": "juggling"}, "query.skill"),
        ({"activity": "knitting"}, "query.activity"),
        ({"urgency": "now"}, "query.urgency"),
        ({"from": "31/12/2026"}, "query.from"),
        ({"remote": "perhaps"}, "query.remote"),
        ({"association": str(foreign.pk)}, "query.association"),
        ({"association": "0"}, "query.association"),
        ({"from": today.isoformat(), "to": (today - timedelta(days=1)).isoformat()}, "query.to"),
        ({"per_page": "0"}, "query.per_page"),
    ):
        response = client.get(f"{BASE}/missions", params)
        assert response.status_code == 422, params
        assert field in response.json()["errors"], (params, response.json())


def test_it_describes_a_mission_with_its_slots_and_places_left(
    cast: Cast, restos: Association, missions: dict[str, Mission]
) -> None:
    mission = missions["food"]
    first, second = mission.slots.order_by("starts_at")
    Slot.objects.filter(pk=first.pk).update(accepted_count=3)
    Slot.objects.filter(pk=second.pk).update(accepted_count=1)
    past = Slot.objects.create(
        mission=mission,
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=2) + timedelta(hours=2),
        volunteers_needed=2,
    )
    cancelled = Slot.objects.create(
        mission=mission,
        starts_at=timezone.now() + timedelta(days=30),
        ends_at=timezone.now() + timedelta(days=30, hours=2),
        volunteers_needed=2,
        cancelled=True,
    )
    Mission.objects.filter(pk=mission.pk).update(
        contact_name="Sylvie",
        contact_phone="03 29 00 00 00",
        min_age=16,
        certifications=["food_hygiene"],
    )
    response = Client().get(f"{BASE}/missions/{mission.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["description"] == "Accueillir les familles et préparer les colis."
    assert [(s["id"], s["places_left"], s["cancelled"], s["started"]) for s in body["slots"]] == [
        (past.pk, 2, False, True),
        (first.pk, 0, False, False),
        (second.pk, 2, False, False),
        (cancelled.pk, 0, True, False),
    ]
    assert body["places_left"] == 2 and body["organiser"] is False
    assert body["contact"] == {"name": "Sylvie", "email": "", "phone": "03 29 00 00 00"}
    assert body["min_age"] == 16
    assert body["certifications"] == [{"code": "food_hygiene", "label": "Food hygiene (HACCP)"}]
    assert (
        signed_in(cast.association_manager).get(f"{BASE}/missions/{mission.pk}").json()["organiser"]
        is True
    )


def test_drafts_cancelled_and_other_organisations_missions_answer_404(
    cast: Cast, restos: Association, missions: dict[str, Mission]
) -> None:
    draft, cancelled, other = missions["draft"], missions["cancelled"], missions["other"]
    resident = signed_in(cast.resident)
    for mission in (draft, cancelled, other):
        url = f"{BASE}/missions/{mission.pk}"
        assert Client().get(url).status_code == 404
        assert resident.get(url).json() == {"detail": "Not found."}
    # The organisers see their draft: the association's manager, an agent by token.
    assert signed_in(cast.association_manager).get(f"{BASE}/missions/{draft.pk}").status_code == 200
    key = make_token(cast.participation_manager, cast.org)
    assert Client().get(f"{BASE}/missions/{draft.pk}", **bearer(key)).json()["organiser"] is True
    # A volunteer who had applied still reads the cancelled mission (why it was cancelled).
    alice = make_profile(cast.org, "Alice Martin", user=cast.resident)
    Application.objects.create(
        slot=cancelled.slots.get(), profile=alice, state=Application.State.CANCELLED
    )
    assert resident.get(f"{BASE}/missions/{cancelled.pk}").status_code == 200
    # Another commune's agent, on their own host, does not reach ours.
    other_key = make_token(cast.other_admin, cast.other_org)
    other_host = Client(HTTP_HOST="autreville.localhost")
    assert other_host.get(f"{BASE}/missions/{draft.pk}", **bearer(other_key)).status_code == 404
    assert other_host.get(f"{BASE}/missions/{other.pk}").status_code == 200


# --- Missions: organisers' writes ----------------------------------------------------------

MISSION = {
    "title": "Maraude du jeudi soir",
    "description": "Aller à la rencontre des personnes à la rue avec du café et des soupes.",
    "activities": ["solidarity"],
    "skills": ["care", "cooking", "care"],
    "street_address": "Place de la Gare",
    "lat": 44.99,
    "lon": 3.99,
    "contact_name": "Claire",
    "contact_email": "maraude@example.org",
}


def _slot(days: int = 5, hours: int = 3, needed: int = 2) -> dict[str, Any]:
    starts = (timezone.now() + timedelta(days=days)).replace(microsecond=0)
    return {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=hours)).isoformat(),
        "volunteers_needed": needed,
    }


def test_an_associations_manager_runs_a_mission_from_draft_to_cancellation(
    cast: Cast, restos: Association, settings: Any
) -> None:
    client = signed_in(cast.association_manager)
    created = send(client, "post", "/missions", {**MISSION, "association": restos.pk})
    assert created.status_code == 201, created.content
    body = created.json()
    mission = Mission.objects.get(pk=body["id"])
    assert (mission.status, mission.association, mission.created_by) == (
        Mission.Status.DRAFT,
        restos,
        cast.association_manager,
    )
    assert mission.skills == ["care", "cooking"] and body["status"] == "draft"
    assert not mission.reserve_only and not body["reserve_only"]
    assert body["organiser"] is True and body["slots"] == []
    # Publishing needs a coming slot: refused (409), nothing changed.
    refused = send(client, "post", f"/missions/{mission.pk}/publish")
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "Add at least one future slot before publishing the mission."
    }
    mission.refresh_from_db()
    assert mission.status == Mission.Status.DRAFT
    slot = send(client, "post", f"/missions/{mission.pk}/slots", _slot(needed=1))
    assert slot.status_code == 201, slot.content
    assert (slot.json()["volunteers_needed"], slot.json()["places_left"]) == (1, 0)
    published = send(client, "post", f"/missions/{mission.pk}/publish")
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert published.json()["slots"][0]["places_left"] == 1
    changed = send(
        client, "put", f"/missions/{mission.pk}", {**MISSION, "title": "Maraude du vendredi"}
    )
    assert changed.status_code == 200 and changed.json()["title"] == "Maraude du vendredi"
    mission.refresh_from_db()
    assert mission.title == "Maraude du vendredi" and mission.status == Mission.Status.PUBLISHED
    closed = send(client, "post", f"/missions/{mission.pk}/close")
    assert closed.json()["status"] == "closed"
    assert send(client, "post", f"/missions/{mission.pk}/close").status_code == 409
    assert send(client, "post", f"/missions/{mission.pk}/publish").json()["status"] == "published"
    # A volunteer holds the place; the cancellation tells them the reason.
    jeanne = make_profile(cast.org, "Jeanne Roux", email="jeanne@example.org")
    held = Application.objects.create(slot=mission.slots.get(), profile=jeanne)
    Slot.objects.filter(pk=held.slot_id).update(accepted_count=1)
    blank = send(client, "post", f"/missions/{mission.pk}/cancel", {"reason": "  "})
    assert blank.status_code == 422
    assert blank.json()["errors"] == {"body.payload.reason": ["This field is required."]}
    with smtp_server() as smtp:
        settings.ALERT_EMAIL_URL = smtp.url
        cancelled = send(
            client, "post", f"/missions/{mission.pk}/cancel", {"reason": "Arrêté préfectoral"}
        )
        [mail] = smtp.received
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert mail.rcpt_tos == ["jeanne@example.org"] and "Arrêté préfectoral" in _text(mail)
    held.refresh_from_db()
    assert held.state == Application.State.CANCELLED
    assert held.cancelled_by == Application.CancelledBy.ORGANISER
    again = send(client, "post", f"/missions/{mission.pk}/cancel", {"reason": "Encore"})
    assert again.status_code == 409
    assert again.json() == {"detail": "This mission is already cancelled."}
    edit = send(client, "put", f"/missions/{mission.pk}", MISSION)
    assert edit.status_code == 409
    actions = set(
        AuditEvent.objects.filter(target_id=str(mission.pk)).values_list("action", flat=True)
    )
    assert {"mission.create", "mission.published", "mission.closed", "mission.cancelled"} <= actions


def test_agents_create_the_communes_missions_and_managers_only_their_associations(
    cast: Cast, restos: Association
) -> None:
    key = make_token(cast.participation_manager, cast.org)
    commune = send(Client(), "post", "/missions", MISSION, **bearer(key))
    assert commune.status_code == 201, commune.content
    assert commune.json()["association"] is None
    assert Mission.objects.get(pk=commune.json()["id"]).created_by == cast.participation_manager
    before = Mission.objects.count()
    # As on the pages, an association's missions are created by its managers, not by the
    # agents (who then organise them too).
    by_agent = send(
        Client(), "post", "/missions", {**MISSION, "association": restos.pk}, **bearer(key)
    )
    assert by_agent.status_code == 403
    assert by_agent.json() == {"detail": "Only the association's managers create its missions."}
    manager = signed_in(cast.association_manager)
    refused = send(manager, "post", "/missions", MISSION)
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "Only the commune's agents create the commune's own missions."
    }
    club = make_association(cast.org, "Club de foot")
    refused = send(manager, "post", "/missions", {**MISSION, "association": club.pk})
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Only the association's managers create its missions."}
    # Not the association's manager any more: refused as anyone.
    Membership.objects.filter(user=cast.association_manager).update(state=Membership.State.REFUSED)
    assert (
        send(manager, "post", "/missions", {**MISSION, "association": restos.pk}).status_code == 403
    )
    # A front-desk agent does not run missions (not a community-life role).
    desk = make_token(cast.front_desk, cast.org)
    assert send(Client(), "post", "/missions", MISSION, **bearer(desk)).status_code == 403
    # Another commune's association, or one not validated: 404.
    foreign = make_association(cast.other_org, "Club d'Autreville")
    pending = make_association(cast.org, "En attente", status=Association.Status.PENDING)
    for target in (foreign, pending):
        response = send(
            Client(), "post", "/missions", {**MISSION, "association": target.pk}, **bearer(key)
        )
        assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    assert send(Client(), "post", "/missions", MISSION).status_code == 401
    assert Mission.objects.count() == before


def test_it_refuses_bad_mission_input_and_changes_nothing(
    cast: Cast, restos: Association, missions: dict[str, Mission]
) -> None:
    client = signed_in(cast.association_manager)
    before = Mission.objects.count()
    for payload, status, detail in (
        ({**MISSION, "title": "  "}, 400, "The title is required."),
        (
            {**MISSION, "lat": None},
            400,
            "Give both the latitude and the longitude, or neither.",
        ),
        (
            {**MISSION, "street_address": "", "lat": None, "lon": None},
            400,
            "Give the address of the mission, or a point on the map, or say it is remote.",
        ),
        ({**MISSION, "skills": ["juggling"]}, 422, "The request is invalid."),
        ({**MISSION, "contact_email": "pas-une-adresse"}, 422, "The request is invalid."),
        ({**MISSION, "min_age": 0}, 422, "The request is invalid."),
        ({**MISSION, "lat": 91}, 422, "The request is invalid."),
        ({"title": "Sans description"}, 422, "The request is invalid."),
    ):
        response = send(client, "post", "/missions", {**payload, "association": restos.pk})
        assert response.status_code == status, (payload, response.content)
        assert response.json()["detail"] == detail, payload
    invalid = send(
        client, "post", "/missions", {**MISSION, "contact_email": "x", "association": restos.pk}
    ).json()
    assert invalid["errors"] == {"body.payload.contact_email": ["Enter a valid e-mail address."]}
    assert send(client, "post", "/missions", "[]").status_code == 422
    assert Mission.objects.count() == before
    mission = missions["food"]
    slots = mission.slots.count()
    for payload, detail in (
        (_slot(hours=-1), "The slot must end after it starts."),
        (_slot(days=-1), "The slot must start in the future."),
        (_slot(hours=72), "A slot lasts two days at most: add several slots."),
    ):
        response = send(client, "post", f"/missions/{mission.pk}/slots", payload)
        assert response.status_code == 400 and response.json() == {"detail": detail}
    assert (
        send(
            client, "post", f"/missions/{mission.pk}/slots", {**_slot(), "volunteers_needed": 0}
        ).status_code
        == 422
    )
    assert mission.slots.count() == slots
    unchanged = send(client, "put", f"/missions/{mission.pk}", {**MISSION, "title": ""})
    assert unchanged.status_code == 400
    mission.refresh_from_db()
    assert mission.title == "Distribution alimentaire du samedi"


def test_refused_roles_cannot_organise_a_mission(
    cast: Cast, restos: Association, missions: dict[str, Mission]
) -> None:
    food, draft, storm = missions["food"], missions["draft"], missions["storm"]
    other_manager = make_user("foot@example.org", organisation=cast.org, roles=(Role.RESIDENT,))
    make_association(cast.org, "Club de foot", managers=((other_manager, *ACTIVE),))
    writes: list[tuple[str, str, Any]] = [
        ("put", "", MISSION),
        ("post", "/publish", None),
        ("post", "/close", None),
        ("post", "/cancel", {"reason": "Pluie"}),
        ("post", "/slots", _slot()),
    ]
    for user in (cast.resident, other_manager):
        client = signed_in(user)
        for method, suffix, payload in writes:
            public = send(client, method, f"/missions/{food.pk}{suffix}", payload)
            assert public.status_code == 403, (user, suffix, public.content)
            assert public.json() == {"detail": "Only the mission's organisers may do this."}
            hidden = send(client, method, f"/missions/{draft.pk}{suffix}", payload)
            assert hidden.status_code == 404, (user, suffix)
    # Nor take a slot off.
    for user in (cast.resident, other_manager):
        slot = food.slots.order_by("starts_at").first()
        assert slot is not None
        refused = signed_in(user).delete(f"{BASE}/missions/{food.pk}/slots/{slot.pk}")
        assert refused.status_code == 403
        # Nor read its applications: 404, as the applications' organiser page.
        listed = signed_in(user).get(f"{BASE}/missions/{food.pk}/applications")
        assert listed.status_code == 404
    # The association's manager does not organise the commune's own missions.
    manager = signed_in(cast.association_manager)
    assert send(manager, "post", f"/missions/{storm.pk}/close").status_code == 403
    # Another commune's missions are out of reach, whoever asks.
    key = make_token(cast.participation_manager, cast.org)
    other = missions["other"]
    for method, suffix, payload in writes:
        assert (
            send(
                Client(), method, f"/missions/{other.pk}{suffix}", payload, **bearer(key)
            ).status_code
            == 404
        )
        assert send(Client(), method, f"/missions/{food.pk}{suffix}", payload).status_code == 401
    assert (
        Client().get(f"{BASE}/missions/{other.pk}/applications", **bearer(key)).status_code == 404
    )
    food.refresh_from_db()
    assert (food.status, food.title) == (
        Mission.Status.PUBLISHED,
        "Distribution alimentaire du samedi",
    )
    assert (
        food.slots.count() == 2 and not AuditEvent.objects.filter(target_id=str(food.pk)).exists()
    )


def test_organisers_take_a_slot_off_and_agents_organise_every_mission(
    cast: Cast, restos: Association, missions: dict[str, Mission], settings: Any
) -> None:
    mission = missions["food"]
    empty, taken = mission.slots.order_by("starts_at")
    lea = make_profile(cast.org, "Léa", email="lea@example.org")
    Application.objects.create(slot=taken, profile=lea, state=Application.State.ACCEPTED)
    Slot.objects.filter(pk=taken.pk).update(accepted_count=1)
    key = make_token(cast.administrator, cast.org)
    url = f"{BASE}/missions/{mission.pk}/slots"
    deleted = Client().delete(f"{url}/{empty.pk}", **bearer(key))
    assert deleted.status_code == 200
    assert deleted.json() == {"slot": empty.pk, "deleted": True, "told": 0}
    assert not Slot.objects.filter(pk=empty.pk).exists()
    no_reason = Client().delete(f"{url}/{taken.pk}", **bearer(key))
    assert no_reason.status_code == 400
    assert no_reason.json()["detail"].startswith("Give the reason of the cancellation")
    with smtp_server() as smtp:
        settings.ALERT_EMAIL_URL = smtp.url
        removed = Client().delete(f"{url}/{taken.pk}?reason=Salle+indisponible", **bearer(key))
        [mail] = smtp.received
    assert removed.json() == {"slot": taken.pk, "deleted": False, "told": 1}
    assert mail.rcpt_tos == ["lea@example.org"] and "Salle indisponible" in _text(mail)
    again = Client().delete(f"{url}/{taken.pk}?reason=x", **bearer(key))
    assert again.status_code == 409
    foreign_slot = missions["storm"].slots.get()
    assert Client().delete(f"{url}/{foreign_slot.pk}", **bearer(key)).status_code == 404
    assert Slot.objects.filter(pk=foreign_slot.pk).exists()


def test_session_writes_need_the_csrf_token(cast: Cast, restos: Association) -> None:
    client = signed_in(cast.association_manager, enforce_csrf_checks=True)
    payload = {**MISSION, "association": restos.pk}
    refused = send(client, "post", "/missions", payload)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert not Mission.objects.exists()
    client.get(reverse("volunteering_associations:list"))
    token = client.cookies["csrftoken"].value
    assert send(client, "post", "/missions", payload, HTTP_X_CSRFTOKEN=token).status_code == 201
    # Tokens need none: no cookie, no ambient authority to abuse.
    key = make_token(cast.participation_manager, cast.org)
    assert (
        send(
            Client(enforce_csrf_checks=True), "post", "/missions", MISSION, **bearer(key)
        ).status_code
        == 201
    )


# --- Needs ---------------------------------------------------------------------------------


@pytest.fixture
def needs(cast: Cast, restos: Association) -> dict[str, Need]:
    def need(title: str, **fields: Any) -> Need:
        fields.setdefault("status", Need.Status.PUBLISHED)
        fields.setdefault("kind", Need.Kind.EQUIPMENT)
        if fields["status"] != Need.Status.DRAFT:
            fields.setdefault("published_at", timezone.now())
        fields.setdefault("organisation", cast.org)
        return Need.objects.create(title=title, description=f"{title}, merci !", **fields)

    now = timezone.now()
    return {
        "van": need(
            "Un camion pour le déménagement",
            kind="transport",
            association=restos,
            published_at=now - timedelta(days=2),
        ),
        "hall": need(
            "Une salle pour la réunion",
            kind="premises",
            urgency="urgent",
            published_at=now - timedelta(days=5),
        ),
        "tables": need("Des tables", quantity="10", published_at=now - timedelta(days=1)),
        "done": need("Des chaises", status=Need.Status.FULFILLED),
        "draft": need("Brouillon", status=Need.Status.DRAFT, association=restos),
        "cancelled": need("Annulé", status=Need.Status.CANCELLED),
        "other": need("Ailleurs", organisation=cast.other_org),
    }


def test_it_lists_and_describes_the_public_needs(cast: Cast, needs: dict[str, Need]) -> None:
    client = Client()
    listed = client.get(f"{BASE}/needs")
    # The needs taking offers, as on the page: urgent first, then the latest published.
    assert _names(listed, "title") == [
        "Une salle pour la réunion",
        "Des tables",
        "Un camion pour le déménagement",
    ]
    assert (listed.json()["count"], listed.json()["pages"]) == (3, 1)
    cases: list[tuple[dict[str, str], list[str]]] = [
        ({"kind": "transport"}, ["Un camion pour le déménagement"]),
        ({"urgency": "urgent"}, ["Une salle pour la réunion"]),
        ({"association": str(needs["van"].association_id)}, ["Un camion pour le déménagement"]),
        ({"per_page": "2", "page": "2"}, ["Un camion pour le déménagement"]),
        ({"per_page": "2", "page": "3"}, []),
    ]
    for params, expected in cases:
        assert _names(client.get(f"{BASE}/needs", params), "title") == expected, params
    for params in ({"kind": "money"}, {"per_page": "500"}, {"association": "999999"}):
        assert client.get(f"{BASE}/needs", params).status_code == 422, params
    detail = client.get(f"{BASE}/needs/{needs['tables'].pk}").json()
    assert (detail["quantity"], detail["description"], detail["status"]) == (
        "10",
        "Des tables, merci !",
        "published",
    )
    # A fulfilled need is still read by its number (a link in an e-mail).
    assert client.get(f"{BASE}/needs/{needs['done'].pk}").json()["status"] == "fulfilled"
    for key in ("draft", "cancelled", "other"):
        assert client.get(f"{BASE}/needs/{needs[key].pk}").status_code == 404, key
    # The association's manager organises its draft.
    manager = signed_in(cast.association_manager)
    assert manager.get(f"{BASE}/needs/{needs['draft'].pk}").json()["status"] == "draft"


def test_a_resident_offers_what_a_need_asks_once(
    cast: Cast, restos: Association, needs: dict[str, Need]
) -> None:
    client = signed_in(cast.resident)
    url = f"/needs/{needs['tables'].pk}/offers"
    made = send(client, "post", url, {"message": "J'ai 6 tables pliantes.", "contact": "06 12"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["state"], body["message"], body["association"]) == (
        "proposed",
        "J'ai 6 tables pliantes.",
        None,
    )
    offer = NeedOffer.objects.get()
    assert (offer.user, offer.need, offer.contact) == (cast.resident, needs["tables"], "06 12")
    second = send(client, "post", url, {"message": "Et 4 autres."})
    assert second.status_code == 409
    assert second.json() == {
        "detail": "You have already made an offer for this need: withdraw it to make another."
    }
    # Bad input: nothing written.
    for payload in (
        {"message": "   "},
        {},
        {"message": "x" * 5001},
        {"message": "a", "association": 0},
    ):
        assert send(client, "post", url, payload).status_code == 422, payload
    closed = send(client, "post", f"/needs/{needs['done'].pk}/offers", {"message": "Oui"})
    assert closed.status_code == 409
    assert closed.json() == {"detail": "This need no longer takes offers."}
    # On behalf of an association: only one the person manages.
    not_mine = send(
        signed_in(cast.resident2), "post", url, {"message": "Oui", "association": restos.pk}
    )
    assert not_mine.status_code == 409
    assert not_mine.json() == {
        "detail": "You may only offer on behalf of an association you manage."
    }
    foreign = make_association(cast.other_org, "Club d'Autreville")
    unknown = send(
        signed_in(cast.resident2), "post", url, {"message": "Oui", "association": foreign.pk}
    )
    assert unknown.status_code == 422 and "body.payload.association" in unknown.json()["errors"]
    for key in ("draft", "other"):
        response = send(client, "post", f"/needs/{needs[key].pk}/offers", {"message": "Oui"})
        assert response.status_code == 404, key
    assert send(Client(), "post", url, {"message": "Oui"}).status_code == 401
    assert NeedOffer.objects.count() == 1
    manager = signed_in(cast.association_manager)
    on_behalf = send(
        manager,
        "post",
        f"/needs/{needs['hall'].pk}/offers",
        {"message": "Notre local, le mardi.", "association": restos.pk},
    )
    assert on_behalf.status_code == 201
    assert on_behalf.json()["association"]["id"] == restos.pk


# --- Applications --------------------------------------------------------------------------


@pytest.fixture
def volunteers(cast: Cast) -> dict[str, VolunteerProfile]:
    return {
        "alice": make_profile(
            cast.org, "Alice Martin", user=cast.resident, email="alice@example.org"
        ),
        "bruno": make_profile(
            cast.org,
            "Bruno Petit",
            user=cast.resident2,
            email="bruno@example.org",
            phone="+33639980002",
        ),
    }


def _apply_url(mission: Mission, slot: Slot | None = None) -> str:
    slot = slot or mission.slots.order_by("starts_at").first()
    assert slot is not None
    return f"/missions/{mission.pk}/slots/{slot.pk}/applications"


def test_a_volunteer_applies_and_applying_again_returns_the_same_application(
    cast: Cast, missions: dict[str, Mission], volunteers: dict[str, VolunteerProfile]
) -> None:
    mission = missions["storm"]  # one slot, two places
    alice = signed_in(cast.resident)
    first = send(alice, "post", _apply_url(mission), {"message": "Je viens avec une pelle."})
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["state"], body["message"], body["mission"]["id"]) == (
        "pending",
        "Je viens avec une pelle.",
        mission.pk,
    )
    again = send(alice, "post", _apply_url(mission))
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    application = Application.objects.get()
    assert (application.profile, application.state) == (volunteers["alice"], "pending")
    slot = mission.slots.get()
    assert slot.accepted_count == 1
    # The last place goes to Bruno (by token: an agent is a volunteer too, with a profile).
    bruno = signed_in(cast.resident2)
    assert send(bruno, "post", _apply_url(mission)).json()["state"] == "pending"
    late = make_user("carla@example.org", organisation=cast.org, roles=(Role.RESIDENT,))
    make_profile(cast.org, "Carla", user=late)
    waiting = send(signed_in(late), "post", _apply_url(mission))
    assert waiting.status_code == 201 and waiting.json()["state"] == "waitlisted"
    slot.refresh_from_db()
    mission.refresh_from_db()
    assert slot.accepted_count == 2 and mission.status == Mission.Status.FULL
    key = make_token(cast.participation_manager, cast.org)
    make_profile(cast.org, "Paul", user=cast.participation_manager)
    by_token = send(Client(), "post", _apply_url(mission), **bearer(key))
    assert by_token.status_code == 201 and by_token.json()["state"] == "waitlisted"


def test_it_refuses_applications_the_rules_forbid_and_writes_nothing(
    cast: Cast, missions: dict[str, Mission], volunteers: dict[str, VolunteerProfile]
) -> None:
    alice = signed_in(cast.resident)
    closed = send(alice, "post", _apply_url(missions["closed"]))
    assert closed.status_code == 409
    assert closed.json() == {"detail": "This mission is not open to applications."}
    started = Slot.objects.create(
        mission=missions["food"],
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=1),
    )
    refused = send(alice, "post", _apply_url(missions["food"], started))
    assert refused.status_code == 409
    assert refused.json() == {"detail": "This slot has already started."}
    Mission.objects.filter(pk=missions["storm"].pk).update(min_age=18)
    VolunteerProfile.objects.filter(pk=volunteers["alice"].pk).update(
        birth_date=timezone.localdate() - timedelta(days=365 * 15)
    )
    too_young = send(alice, "post", _apply_url(missions["storm"]))
    assert too_young.status_code == 409 and "18" in too_young.json()["detail"]
    no_profile = send(signed_in(cast.moderator), "post", _apply_url(missions["food"]))
    assert no_profile.status_code == 409
    assert no_profile.json() == {
        "detail": "Create your volunteer profile on the site before applying to a mission."
    }
    # Another mission's slot, a draft, another commune's mission: 404.
    food_slot = missions["food"].slots.order_by("starts_at").first()
    assert food_slot is not None
    mixed = f"/missions/{missions['storm'].pk}/slots/{food_slot.pk}/applications"
    for path in (mixed, _apply_url(missions["draft"]), _apply_url(missions["other"])):
        assert send(alice, "post", path).status_code == 404, path
    too_long = send(alice, "post", _apply_url(missions["food"]), {"message": "x" * 2001})
    assert too_long.json()["errors"] == {"body.payload.message": ["This value is too long."]}
    assert send(Client(), "post", _apply_url(missions["food"])).status_code == 401
    assert not Application.objects.exists()
    assert all(s.accepted_count == 0 for s in Slot.objects.all())


def test_a_volunteer_lists_and_cancels_their_own_applications(
    cast: Cast,
    missions: dict[str, Mission],
    volunteers: dict[str, VolunteerProfile],
    settings: Any,
) -> None:
    food = missions["food"]
    first, second = food.slots.order_by("starts_at")
    alice = signed_in(cast.resident)
    for slot in (second, first):
        assert send(alice, "post", _apply_url(food, slot)).status_code == 201
    send(alice, "post", _apply_url(missions["phone"]))
    bruno_app = send(signed_in(cast.resident2), "post", _apply_url(missions["storm"])).json()
    mine = alice.get(f"{BASE}/applications/mine")
    assert mine.status_code == 200
    body = mine.json()
    assert body["count"] == 3
    assert [(r["mission"]["title"], r["slot"]["id"]) for r in body["results"]] == [
        ("Appels de convivialité", missions["phone"].slots.get().pk),
        ("Distribution alimentaire du samedi", first.pk),
        ("Distribution alimentaire du samedi", second.pk),
    ]
    paged = alice.get(f"{BASE}/applications/mine", {"per_page": "2", "page": "2"}).json()
    assert (paged["pages"], len(paged["results"])) == (2, 1)
    mine_first = body["results"][1]["id"]
    with smtp_server() as smtp:
        settings.ALERT_EMAIL_URL = smtp.url
        cancelled = send(alice, "post", f"/applications/{mine_first}/cancel", {"reason": "Malade"})
        [mail] = smtp.received
    assert cancelled.status_code == 200, cancelled.content
    assert (cancelled.json()["state"], cancelled.json()["cancelled_by"]) == (
        "cancelled",
        "volunteer",
    )
    # The organiser is told (the mission's contact, else the association's address).
    assert mail.rcpt_tos == ["restos@example.org"] and "Malade" in _text(mail)
    first.refresh_from_db()
    assert first.accepted_count == 0
    assert Application.objects.get(pk=mine_first).state == Application.State.CANCELLED
    again = send(alice, "post", f"/applications/{mine_first}/cancel")
    assert again.status_code == 409
    assert again.json() == {"detail": "This application is no longer open."}
    filtered = alice.get(f"{BASE}/applications/mine", {"state": "cancelled"}).json()
    assert [r["id"] for r in filtered["results"]] == [mine_first]
    # Someone else's application is not there.
    assert send(alice, "post", f"/applications/{bruno_app['id']}/cancel").status_code == 404
    assert Application.objects.get(pk=bruno_app["id"]).state == Application.State.PENDING
    assert signed_in(cast.moderator).get(f"{BASE}/applications/mine").json()["count"] == 0
    # Applying again after cancelling oneself reopens the application: a new one (201).
    reopened = send(alice, "post", _apply_url(food, first))
    assert reopened.status_code == 201 and reopened.json()["id"] == mine_first
    assert reopened.json()["state"] == "pending"
    assert Client().get(f"{BASE}/applications/mine").status_code == 401
    assert alice.get(f"{BASE}/applications/mine", {"state": "lost"}).status_code == 422


def test_organisers_see_only_names_states_and_slots_and_decide(
    cast: Cast,
    missions: dict[str, Mission],
    volunteers: dict[str, VolunteerProfile],
    settings: Any,
) -> None:
    mission = missions["storm"]
    Slot.objects.filter(mission=mission).update(volunteers_needed=1)
    alice_app = send(signed_in(cast.resident), "post", _apply_url(mission)).json()
    bruno_app = send(signed_in(cast.resident2), "post", _apply_url(mission)).json()
    assert (alice_app["state"], bruno_app["state"]) == ("pending", "waitlisted")
    key = make_token(cast.participation_manager, cast.org)
    listed = Client().get(f"{BASE}/missions/{mission.pk}/applications", **bearer(key))
    assert listed.status_code == 200, listed.content
    rows = listed.json()["results"]
    assert [(r["volunteer_name"], r["state"]) for r in rows] == [
        ("Alice Martin", "pending"),
        ("Bruno Petit", "waitlisted"),
    ]
    # No e-mail, phone, address, birth date or message: only what organising needs.
    assert set(rows[0]) == {"id", "volunteer_name", "state", "state_label", "slot"}
    assert "alice@example.org" not in listed.content.decode()
    slot = mission.slots.get()
    by_state = Client().get(
        f"{BASE}/missions/{mission.pk}/applications",
        {"state": "waitlisted", "slot": str(slot.pk)},
        **bearer(key),
    )
    assert [r["volunteer_name"] for r in by_state.json()["results"]] == ["Bruno Petit"]
    paged = (
        Client()
        .get(
            f"{BASE}/missions/{mission.pk}/applications",
            {"per_page": "1", "page": "2"},
            **bearer(key),
        )
        .json()
    )
    assert (paged["count"], paged["pages"]) == (2, 2)
    assert [r["volunteer_name"] for r in paged["results"]] == ["Bruno Petit"]
    foreign_slot = missions["food"].slots.order_by("starts_at").first()
    assert foreign_slot is not None
    wrong = Client().get(
        f"{BASE}/missions/{mission.pk}/applications", {"slot": str(foreign_slot.pk)}, **bearer(key)
    )
    assert wrong.status_code == 422 and "query.slot" in wrong.json()["errors"]
    # Bruno waits: the slot is full.
    full = send(Client(), "post", f"/applications/{bruno_app['id']}/accept", **bearer(key))
    assert full.status_code == 409
    assert full.json()["detail"].startswith("This slot is full")
    assert (
        send(
            Client(),
            "post",
            f"/applications/{alice_app['id']}/decline",
            {"reason": ""},
            **bearer(key),
        ).status_code
        == 422
    )
    assert Application.objects.get(pk=alice_app["id"]).state == Application.State.PENDING
    with smtp_server() as smtp:
        settings.ALERT_EMAIL_URL = smtp.url
        declined = send(
            Client(),
            "post",
            f"/applications/{alice_app['id']}/decline",
            {"reason": "Il faut savoir conduire un tracteur."},
            **bearer(key),
        )
        accepted = send(Client(), "post", f"/applications/{bruno_app['id']}/accept", **bearer(key))
        received = {m.rcpt_tos[0]: _text(m) for m in smtp.received}
    assert declined.status_code == 200
    assert set(declined.json()) == {"id", "volunteer_name", "state", "state_label", "slot"}
    assert declined.json()["state"] == "declined"
    assert accepted.json()["state"] == "accepted"
    assert "Il faut savoir conduire un tracteur." in received["alice@example.org"]
    assert "accepted" in received["bruno@example.org"]
    alice = Application.objects.get(pk=alice_app["id"])
    assert (alice.state, alice.decline_reason, alice.decided_by) == (
        "declined",
        "Il faut savoir conduire un tracteur.",
        cast.participation_manager,
    )
    # The volunteer reads the reason in their own list.
    mine = signed_in(cast.resident).get(f"{BASE}/applications/mine").json()["results"]
    assert mine[0]["decline_reason"] == "Il faut savoir conduire un tracteur."


def test_only_a_missions_organisers_decide_on_its_applications(
    cast: Cast,
    restos: Association,
    missions: dict[str, Mission],
    volunteers: dict[str, VolunteerProfile],
) -> None:
    food = missions["food"]
    application = send(signed_in(cast.resident), "post", _apply_url(food)).json()
    other_manager = make_user("foot@example.org", organisation=cast.org, roles=(Role.RESIDENT,))
    make_association(cast.org, "Club de foot", managers=((other_manager, *ACTIVE),))
    desk = make_token(cast.front_desk, cast.org)
    for client, extra in (
        (signed_in(cast.resident), {}),  # the volunteer themself
        (signed_in(cast.resident2), {}),
        (signed_in(other_manager), {}),
        (Client(), bearer(desk)),
    ):
        for action in ("accept", "decline"):
            response = send(
                client,
                "post",
                f"/applications/{application['id']}/{action}",
                {"reason": "Non"},
                **extra,
            )
            assert response.status_code == 404, (action, response.content)
        listed = client.get(f"{BASE}/missions/{food.pk}/applications", **extra)
        assert listed.status_code == 404 and listed.json() == {"detail": "Not found."}
    # Another commune's agent, on their host: 404 (their token is refused on ours: 401).
    other_key = make_token(cast.other_admin, cast.other_org)
    other_host = Client(HTTP_HOST="autreville.localhost")
    assert (
        send(
            other_host, "post", f"/applications/{application['id']}/accept", **bearer(other_key)
        ).status_code
        == 404
    )
    assert (
        send(
            Client(), "post", f"/applications/{application['id']}/accept", **bearer(other_key)
        ).status_code
        == 401
    )
    assert Application.objects.get(pk=application["id"]).state == Application.State.PENDING
    # The association's manager decides (session).
    manager = signed_in(cast.association_manager)
    assert manager.get(f"{BASE}/missions/{food.pk}/applications").json()["count"] == 1
    accepted = send(manager, "post", f"/applications/{application['id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"


def test_slot_moments_without_an_offset_are_the_communes_local_time(
    cast: Cast, missions: dict[str, Mission]
) -> None:
    key = make_token(cast.participation_manager, cast.org)
    mission = missions["storm"]
    day = timezone.localdate() + timedelta(days=9)
    naive = {
        "starts_at": f"{day.isoformat()}T14:00:00",
        "ends_at": f"{day.isoformat()}T17:30:00",
        "volunteers_needed": 4,
    }
    added = send(Client(), "post", f"/missions/{mission.pk}/slots", naive, **bearer(key))
    assert added.status_code == 201, added.content
    slot = Slot.objects.get(pk=added.json()["id"])
    local = timezone.localtime(slot.starts_at)
    assert (local.date(), local.hour, slot.volunteers_needed) == (day, 14, 4)
    for starts_at in ("0001-01-01T00:00:00", "9999-12-31T23:59:59+00:00"):
        refused = send(
            Client(),
            "post",
            f"/missions/{mission.pk}/slots",
            {**naive, "starts_at": starts_at},
            **bearer(key),
        )
        assert refused.status_code == 422
        assert refused.json()["errors"] == {
            "body.payload.starts_at": ["Enter a date between 2000 and 2100."]
        }
    assert mission.slots.count() == 2


# --- Fuzzing on real objects ---------------------------------------------------------------

schema = schemathesis.openapi.from_dict(api.get_openapi_schema()).include(
    path_regex="/volunteering/"
)
schema.app = WSGIHandler()


@pytest.fixture
def world(
    cast: Cast,
    restos: Association,
    missions: dict[str, Mission],
    needs: dict[str, Need],
    settings: Any,
) -> Iterator[dict[str, Any]]:
    """Paths naming real objects, so that generated queries and bodies reach the services;
    the token's agent organises every mission and has a volunteer profile."""
    make_profile(cast.org, "Anne Admin", user=cast.administrator)
    alice = make_profile(cast.org, "Alice Martin", user=cast.resident)
    mission = missions["food"]
    slot = mission.slots.order_by("starts_at").first()
    assert slot is not None
    application = Application.objects.create(slot=slot, profile=alice)
    Slot.objects.filter(pk=slot.pk).update(accepted_count=1)
    key = make_token(cast.administrator, cast.org, name="schemathesis")
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {
            "ids": {
                "association_id": restos.pk,
                "mission_id": mission.pk,
                "slot_id": slot.pk,
                "need_id": needs["tables"].pk,
                "application_id": application.pk,
            },
            "key": key,
        }
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_it_answers_every_volunteering_operation_on_real_objects(
    case: Any, world: dict[str, Any]
) -> None:
    for name, value in world["ids"].items():
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = value
    case.call_and_validate(checks=CHECKS)
    authenticated = case.call(headers={"Authorization": f"Bearer {world['key']}"})
    case.validate_response(authenticated, checks=CHECKS)


def test_it_lists_missions_in_a_constant_number_of_queries(
    cast: Cast,
    restos: Association,
    missions: dict[str, Mission],
    django_assert_max_num_queries: Any,
) -> None:
    client = Client()
    with django_assert_max_num_queries(10) as few:
        assert client.get(f"{BASE}/missions").json()["count"] == 4
    for number in range(6):
        make_mission(cast.org, f"Mission {number}", association=restos, slots=3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"{BASE}/missions").json()["count"] == 10


def test_organisers_move_a_slot_but_never_below_the_places_held(
    cast: Cast, restos: Association, missions: dict[str, Mission]
) -> None:
    mission = missions["food"]
    first, _second = mission.slots.order_by("starts_at")
    Slot.objects.filter(pk=first.pk).update(accepted_count=2)
    manager = signed_in(cast.association_manager)
    url = f"/missions/{mission.pk}/slots/{first.pk}"
    below = send(manager, "put", url, _slot(days=20, needed=1))
    assert below.status_code == 400
    assert below.json() == {"detail": "2 places are already held on this slot: ask for 2 or more."}
    moved = send(manager, "put", url, _slot(days=20, hours=4, needed=5))
    assert moved.status_code == 200, moved.content
    assert (moved.json()["volunteers_needed"], moved.json()["places_left"]) == (5, 3)
    first.refresh_from_db()
    assert first.volunteers_needed == 5 and first.ends_at - first.starts_at == timedelta(hours=4)
    # Another mission's slot through this mission: 404; a resident: 403.
    other_slot = missions["storm"].slots.get()
    assert (
        send(manager, "put", f"/missions/{mission.pk}/slots/{other_slot.pk}", _slot()).status_code
        == 404
    )
    assert send(signed_in(cast.resident), "put", url, _slot()).status_code == 403
    Slot.objects.filter(pk=first.pk).update(cancelled=True)
    cancelled = send(manager, "put", url, _slot(days=21))
    assert cancelled.status_code == 409 and cancelled.json() == {
        "detail": "This slot is cancelled."
    }
    first.refresh_from_db()
    assert first.volunteers_needed == 5


def test_agents_sessions_organise_only_behind_their_second_factor(
    cast: Cast, restos: Association, missions: dict[str, Mission]
) -> None:
    # The administrator's role asks for a second factor, as the back office does.
    unproven = signed_in(cast.administrator)
    refused = send(unproven, "post", "/missions", MISSION)
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "Prove your second factor on the site first (or use an API token) to act "
        "as an agent."
    }
    food = missions["food"]
    assert send(unproven, "post", f"/missions/{food.pk}/close").status_code == 403
    food.refresh_from_db()
    assert food.status == Mission.Status.PUBLISHED and Mission.objects.count() == 7
    proven = Client()
    login_verified(proven, cast.administrator)
    assert send(proven, "post", "/missions", MISSION).status_code == 201
    assert send(proven, "post", f"/missions/{food.pk}/close").json()["status"] == "closed"
    # A participation manager's role asks for none.
    manager = signed_in(cast.participation_manager)
    assert send(manager, "post", f"/missions/{food.pk}/publish").json()["status"] == "published"
    # Deciding on applications: as the applications' organiser pages, behind the factor
    # too; an API token was created behind it.
    alice = make_profile(cast.org, "Alice Martin", user=cast.resident)
    application = Application.objects.create(
        slot=food.slots.order_by("starts_at")[0], profile=alice
    )
    listing = f"{BASE}/missions/{food.pk}/applications"
    assert unproven.get(listing).status_code == 404
    assert send(unproven, "post", f"/applications/{application.pk}/accept").status_code == 404
    assert proven.get(listing).json()["count"] == 1
    key = make_token(cast.administrator, cast.org)
    assert Client().get(listing, **bearer(key)).json()["count"] == 1
    accepted = send(Client(), "post", f"/applications/{application.pk}/accept", **bearer(key))
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
