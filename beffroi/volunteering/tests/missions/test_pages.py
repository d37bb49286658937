"""Missions' pages: the public list, filters and map, a mission's page, the managers' pages
and the back office, and who is refused."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.core.models import AuditEvent
from beffroi.testing import Cast, login_verified
from beffroi.volunteering.models import Application, Association, Mission, Slot
from beffroi.volunteering.tests.factories import make_association, make_mission, make_profile

pytestmark = pytest.mark.django_db

PUBLIC = "volunteering_missions"
BO = "volunteering_missions_backoffice"


def _client(user: object = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)  # type: ignore[arg-type]
    return client


def _comite(cast: Cast) -> Association:
    return make_association(
        cast.org,
        "Comité des fêtes",
        managers=((cast.association_manager, "owner", "active"),),
    )


def _mission_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Tenir la buvette de la brocante",
        "description": "Servir les boissons, tenir la caisse.",
        "activities": ["leisure"],
        "skills": ["cooking"],
        "street_address": "12 rue de la Mairie",
        "urgency": "normal",
        "min_age": "16",
        "certifications": ["food_hygiene"],
    }
    data.update(overrides)
    return data


def _text(response: Any) -> str:
    return str(response.content.decode())


def test_the_list_shows_public_missions_urgent_first_with_filters(cast: Cast) -> None:
    comite = _comite(cast)
    soon = timezone.now() + timedelta(days=2)
    make_mission(cast.org, "Brocante de mai", association=comite, starts_at=soon, lat=49.1, lon=5.4)
    make_mission(
        cast.org,
        "Sacs de sable",
        urgency="urgent",
        starts_at=soon + timedelta(days=5),
        lat=49.1,
        lon=5.401,
    )
    make_mission(cast.org, "Soutien numérique", remote=True, skills=["digital"])
    make_mission(cast.org, "Brouillon caché", status=Mission.Status.DRAFT)
    make_mission(cast.org, "Annulée cachée", status=Mission.Status.CANCELLED)
    make_mission(cast.other_org, "Mission d'Autreville")
    page = _text(_client().get(reverse(f"{PUBLIC}:list")))
    assert page.index("Sacs de sable") < page.index("Brocante de mai")
    assert "Soutien numérique" in page
    for hidden in ("Brouillon caché", "Annulée cachée", "Autreville"):
        assert hidden not in page
    page = _text(_client().get(reverse(f"{PUBLIC}:list"), {"remote": "yes"}))
    assert "Soutien numérique" in page and "Brocante" not in page
    page = _text(_client().get(reverse(f"{PUBLIC}:list"), {"skill": "digital"}))
    assert "Soutien numérique" in page and "Sacs" not in page
    page = _text(_client().get(reverse(f"{PUBLIC}:list"), {"association": comite.pk}))
    assert "Brocante de mai" in page and "Sacs" not in page
    day = timezone.localdate(soon + timedelta(days=5)).isoformat()
    page = _text(_client().get(reverse(f"{PUBLIC}:list"), {"from": day, "to": day}))
    assert "Sacs de sable" in page and "Brocante" not in page
    page = _text(_client().get(reverse(f"{PUBLIC}:list"), {"q": "SABLE", "urgency": "urgent"}))
    assert "Sacs de sable" in page and "Brocante" not in page
    # Unreadable filters are ignored.
    response = _client().get(reverse(f"{PUBLIC}:list"), {"from": "hier", "skill": "x"})
    assert response.status_code == 200 and "Brocante de mai" in _text(response)


def test_the_map_clusters_missions_and_follows_the_filters(cast: Cast) -> None:
    make_mission(cast.org, "A", lat=49.1, lon=5.4)
    make_mission(cast.org, "B", lat=49.1001, lon=5.4001, urgency="urgent")
    make_mission(cast.org, "Distance", remote=True)
    url = reverse(f"{PUBLIC}:map")
    far = json.loads(_client().get(url, {"zoom": "10"}).content)
    assert len(far["features"]) == 1 and far["features"][0]["properties"]["count"] == 2
    near = json.loads(_client().get(url, {"zoom": "19"}).content)
    names = {f["properties"]["name"]: f["properties"] for f in near["features"]}
    assert set(names) == {"A", "B"}
    assert names["B"]["city"].startswith("Urgent")
    only = json.loads(_client().get(url, {"zoom": "19", "urgency": "urgent"}).content)
    assert [f["properties"]["name"] for f in only["features"]] == ["B"]


def test_the_page_of_a_mission_gives_slots_in_words_and_links(cast: Cast) -> None:
    comite = _comite(cast)
    mission = make_mission(
        cast.org,
        "Marché de Noël",
        association=comite,
        slots=2,
        needed=2,
        min_age=18,
        certifications=["psc1"],
        lat=49.1,
        lon=5.4,
    )
    first = mission.slots.order_by("starts_at").first()
    assert first is not None
    Slot.objects.filter(pk=first.pk).update(accepted_count=1)
    detail = reverse(f"{PUBLIC}:detail", args=[mission.pk])
    page = _text(_client(cast.resident).get(detail))
    assert "1 place left" in page and "2 places left" in page
    assert "Aged 18 or more" in page and "PSC1" in page
    assert reverse("volunteering_applications:apply", args=[mission.pk]) in page
    assert reverse("volunteering_associations:detail", args=[comite.pk]) in page
    applications = reverse("volunteering_applications:organiser_mission", args=[mission.pk])
    assert f'href="{applications}"' not in page
    page = _text(_client(cast.association_manager).get(detail))
    assert f'href="{applications}"' in page
    assert reverse("volunteering_matching:volunteers_for_mission", args=[mission.pk]) in page
    assert reverse(f"{PUBLIC}:manage", args=[mission.pk]) in page


def test_drafts_and_cancelled_missions_are_hidden_but_from_those_concerned(cast: Cast) -> None:
    comite = _comite(cast)
    draft = make_mission(cast.org, "Brouillon", association=comite, status="draft")
    cancelled = make_mission(cast.org, "Annulée", status="cancelled")
    profile = make_profile(cast.org, user=cast.resident2)
    Application.objects.create(
        slot=cancelled.slots.get(),
        profile=profile,
        state=Application.State.CANCELLED,
        cancelled_by="organiser",
    )
    for user in (None, cast.resident):
        client = _client(user)
        assert client.get(reverse(f"{PUBLIC}:detail", args=[draft.pk])).status_code == 404
        assert client.get(reverse(f"{PUBLIC}:detail", args=[cancelled.pk])).status_code == 404
    manager = _client(cast.association_manager)
    assert manager.get(reverse(f"{PUBLIC}:detail", args=[draft.pk])).status_code == 200
    response = _client(cast.resident2).get(reverse(f"{PUBLIC}:detail", args=[cancelled.pk]))
    assert response.status_code == 200
    assert "This mission is cancelled" in _text(response)
    assert "volunteering_applications" not in _text(response)
    assert reverse("volunteering_applications:apply", args=[cancelled.pk]) not in _text(response)


def test_a_manager_creates_schedules_and_publishes_a_mission(cast: Cast) -> None:
    comite = _comite(cast)
    manager = _client(cast.association_manager)
    assert manager.get(reverse(f"{PUBLIC}:mine")).status_code == 200
    response = manager.post(reverse(f"{PUBLIC}:create", args=[comite.pk]), _mission_form())
    mission = Mission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(f"{PUBLIC}:manage", args=[mission.pk])
    assert (mission.association, mission.status, mission.created_by) == (
        comite,
        "draft",
        cast.association_manager,
    )
    assert mission.skills == ["cooking"] and mission.min_age == 16
    assert manager.get(reverse(f"{PUBLIC}:manage", args=[mission.pk])).status_code == 200
    start = timezone.localdate() + timedelta(days=1)
    response = manager.post(
        reverse(f"{PUBLIC}:schedule", args=[mission.pk]),
        {
            "schedule-weekdays": ["5"],
            "schedule-start": "09:00",
            "schedule-end": "12:00",
            "schedule-from_date": start.isoformat(),
            "schedule-until_date": (start + timedelta(days=20)).isoformat(),
            "schedule-needed": "4",
        },
    )
    assert response.status_code == 302
    assert mission.slots.count() == 3
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = manager.post(
        reverse(f"{PUBLIC}:slot_add", args=[mission.pk]),
        {"slot-day": day, "slot-start": "14:00", "slot-end": "17:30", "slot-needed": "2"},
    )
    assert response.status_code == 302 and mission.slots.count() == 4
    response = manager.post(reverse(f"{PUBLIC}:publish", args=[mission.pk]))
    mission.refresh_from_db()
    assert response.status_code == 302 and mission.status == "published"
    manage = _text(manager.get(reverse(f"{PUBLIC}:manage", args=[mission.pk])))
    assert "Saturday" in manage and "4 places left" in manage
    response = manager.post(
        reverse(f"{PUBLIC}:edit", args=[mission.pk]),
        _mission_form(title="Buvette et caisse", remote="on"),
    )
    mission.refresh_from_db()
    assert response.status_code == 302
    assert mission.title == "Buvette et caisse" and mission.remote and mission.street_address == ""
    assert AuditEvent.objects.filter(action="mission.update", target_id=mission.pk).exists()


def test_bad_input_is_refused_with_a_message_and_nothing_changes(cast: Cast) -> None:
    comite = _comite(cast)
    manager = _client(cast.association_manager)
    response = manager.post(
        reverse(f"{PUBLIC}:create", args=[comite.pk]),
        _mission_form(street_address="", title="", min_age="0"),
    )
    page = _text(response)
    assert response.status_code == 400
    assert "This field is required." in page
    assert "Give the address of the mission, or a point on the map" in page
    assert not Mission.objects.exists()
    mission = make_mission(cast.org, association=comite, status="draft", slots=0)
    response = manager.post(reverse(f"{PUBLIC}:publish", args=[mission.pk]), follow=True)
    assert "Add at least one future slot" in _text(response)
    mission.refresh_from_db()
    assert mission.status == "draft"
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = manager.post(
        reverse(f"{PUBLIC}:slot_add", args=[mission.pk]),
        {"slot-day": yesterday, "slot-start": "09:00", "slot-end": "10:00", "slot-needed": "2"},
    )
    assert response.status_code == 400 and "must start in the future" in _text(response)
    response = manager.post(reverse(f"{PUBLIC}:cancel", args=[mission.pk]), {"cancel-reason": ""})
    assert response.status_code == 400 and "This field is required." in _text(response)
    mission.refresh_from_db()
    assert mission.status == "draft" and not mission.slots.exists()


def test_a_slot_edit_refuses_fewer_places_than_held(cast: Cast) -> None:
    comite = _comite(cast)
    mission = make_mission(cast.org, association=comite, needed=3)
    slot = mission.slots.get()
    Slot.objects.filter(pk=slot.pk).update(accepted_count=2)
    manager = _client(cast.association_manager)
    url = reverse(f"{PUBLIC}:slot_edit", args=[mission.pk, slot.pk])
    assert manager.get(url).status_code == 200
    local = timezone.localtime(slot.starts_at)
    response = manager.post(
        url,
        {
            "slot-day": local.date().isoformat(),
            "slot-start": "09:00",
            "slot-end": "12:00",
            "slot-needed": "1",
        },
    )
    assert response.status_code == 400 and "2 places are already held" in _text(response)
    slot.refresh_from_db()
    assert slot.volunteers_needed == 3


def test_other_people_cannot_run_an_associations_missions(cast: Cast) -> None:
    comite = _comite(cast)
    mission = make_mission(cast.org, association=comite, status="draft")
    other = make_association(cast.org, "Autre club", managers=((cast.resident, "owner", "active"),))
    pending = make_association(
        cast.org,
        "En attente",
        status=Association.Status.PENDING,
        managers=((cast.resident2, "owner", "pending"),),
    )
    for user in (cast.resident, cast.resident2, cast.participation_manager):
        client = _client(user)
        assert client.get(reverse(f"{PUBLIC}:manage", args=[mission.pk])).status_code == 404
        assert client.get(reverse(f"{PUBLIC}:edit", args=[mission.pk])).status_code == 404
        assert client.post(reverse(f"{PUBLIC}:publish", args=[mission.pk])).status_code == 404
        assert (
            client.post(reverse(f"{PUBLIC}:create", args=[comite.pk]), _mission_form()).status_code
            == 404
        )
    assert (
        _client(cast.resident2).get(reverse(f"{PUBLIC}:create", args=[pending.pk])).status_code
        == 404
    )
    assert (
        _client(cast.resident).get(reverse(f"{PUBLIC}:create", args=[other.pk])).status_code == 200
    )
    anonymous = _client().get(reverse(f"{PUBLIC}:manage", args=[mission.pk]))
    assert anonymous.status_code == 302 and "/compte/" in anonymous["Location"]
    mission.refresh_from_db()
    assert mission.status == "draft" and Mission.objects.count() == 1


def test_another_organisations_mission_is_a_404(cast: Cast) -> None:
    elsewhere = make_mission(cast.other_org, "Mission d'Autreville")
    slot = elsewhere.slots.get()
    assert _client().get(reverse(f"{PUBLIC}:detail", args=[elsewhere.pk])).status_code == 404
    agent = _client(cast.participation_manager)
    for name in ("manage", "edit"):
        assert agent.get(reverse(f"{BO}:{name}", args=[elsewhere.pk])).status_code == 404
    assert agent.post(reverse(f"{BO}:close", args=[elsewhere.pk])).status_code == 404
    assert agent.get(reverse(f"{BO}:slot_edit", args=[elsewhere.pk, slot.pk])).status_code == 404
    admin = Client()
    login_verified(admin, cast.administrator)
    assert admin.post(reverse(f"{BO}:publish", args=[elsewhere.pk])).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.status == "published"
    # A slot of another mission through this one's address: 404 too.
    mine = make_mission(cast.org)
    url = reverse(f"{BO}:slot_edit", args=[mine.pk, slot.pk])
    assert agent.get(url).status_code == 404
    other = Client(HTTP_HOST="autreville.localhost")
    login_verified(other, cast.other_admin)
    assert other.get(reverse(f"{BO}:manage", args=[elsewhere.pk])).status_code == 200


def test_agents_run_the_communes_missions_in_the_back_office(cast: Cast) -> None:
    comite = _comite(cast)
    theirs = make_mission(cast.org, "Brocante", association=comite)
    agent = _client(cast.participation_manager)
    page = _text(agent.get(reverse(f"{BO}:list")))
    assert "Brocante" in page
    assert "Brocante" in _text(agent.get(reverse(f"{BO}:list"), {"association": comite.pk}))
    assert "Brocante" not in _text(agent.get(reverse(f"{BO}:list"), {"association": "commune"}))
    assert "Brocante" not in _text(agent.get(reverse(f"{BO}:list"), {"status": "draft"}))
    response = agent.post(
        reverse(f"{BO}:create"),
        _mission_form(title="Sacs de sable", urgency="urgent", certifications=[]),
    )
    mission = Mission.objects.get(title="Sacs de sable")
    assert response.status_code == 302
    assert mission.association is None and mission.urgency == "urgent"
    # Agents edit any mission, an association's too.
    response = agent.post(
        reverse(f"{BO}:edit", args=[theirs.pk]), _mission_form(title="Brocante de mai")
    )
    theirs.refresh_from_db()
    assert response.status_code == 302 and theirs.title == "Brocante de mai"
    assert agent.post(reverse(f"{BO}:close", args=[theirs.pk])).status_code == 302
    theirs.refresh_from_db()
    assert theirs.status == "closed"
    response = agent.post(reverse(f"{BO}:urgency", args=[theirs.pk]), {"urgency": "urgent"})
    theirs.refresh_from_db()
    assert response.status_code == 302 and theirs.urgency == "urgent"
    response = agent.post(
        reverse(f"{BO}:cancel", args=[theirs.pk]), {"cancel-reason": "Pluie annoncée"}
    )
    theirs.refresh_from_db()
    assert response.status_code == 302 and theirs.status == "cancelled"
    slot = theirs.slots.get()
    assert slot.cancelled
    event = AuditEvent.objects.get(action="mission.cancelled", target_id=theirs.pk)
    assert event.reason == "Pluie annoncée"


def test_the_back_office_refuses_other_roles(cast: Cast) -> None:
    mission = make_mission(cast.org)
    for user in (cast.resident, cast.association_manager, cast.front_desk, cast.alert_author):
        client = _client(user)
        assert client.get(reverse(f"{BO}:list")).status_code == 403
        assert client.post(reverse(f"{BO}:create"), _mission_form()).status_code == 403
        assert client.post(reverse(f"{BO}:close", args=[mission.pk])).status_code == 403
    mission.refresh_from_db()
    assert mission.status == "published" and Mission.objects.count() == 1
