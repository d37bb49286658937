"""The crisis cell runs missions in the back office; closed missions leave the public map."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.accounts.models import User
from beffroi.testing import Cast, login_verified
from beffroi.volunteering.models import Mission
from beffroi.volunteering.tests.factories import make_association, make_mission

pytestmark = pytest.mark.django_db

BO = "volunteering_missions_backoffice"


def _client(user: User) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def _form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Remplir des sacs de sable",
        "description": "Crue de l'Aulne : remplir et poser des sacs devant les maisons.",
        "activities": ["environment"],
        "street_address": "Place de la Mairie",
        "urgency": "urgent",
        "min_age": "16",
    }
    data.update(overrides)
    return data


def test_it_lets_the_crisis_cell_run_missions_in_the_back_office(cast: Cast) -> None:
    comite = make_association(
        cast.org, "Comité des fêtes", managers=((cast.association_manager, "owner", "active"),)
    )
    theirs = make_mission(cast.org, "Brocante", association=comite)
    crisis = _client(cast.alert_approver)
    response = crisis.get(reverse(f"{BO}:list"))
    assert response.status_code == 200 and "Brocante" in response.content.decode()
    response = crisis.post(reverse(f"{BO}:create"), _form())
    assert response.status_code == 302, response.content.decode()[:2000]
    mission = Mission.objects.get(title="Remplir des sacs de sable")
    assert mission.association is None and mission.organisation == cast.org
    assert crisis.get(reverse(f"{BO}:manage", args=[mission.pk])).status_code == 200
    response = crisis.post(reverse(f"{BO}:edit", args=[theirs.pk]), _form(title="Brocante d'été"))
    theirs.refresh_from_db()
    assert response.status_code == 302 and theirs.title == "Brocante d'été"
    assert crisis.post(reverse(f"{BO}:close", args=[theirs.pk])).status_code == 302
    theirs.refresh_from_db()
    assert theirs.status == "closed"
    # Another commune's mission stays out of reach.
    elsewhere = make_mission(cast.other_org, "Ailleurs")
    assert crisis.get(reverse(f"{BO}:manage", args=[elsewhere.pk])).status_code == 404
    # The alert author alone is not the crisis cell.
    assert _client(cast.alert_author).get(reverse(f"{BO}:list")).status_code == 403


def test_it_keeps_closed_missions_off_the_public_map(cast: Cast) -> None:
    make_mission(cast.org, "Ouverte", lat=49.1, lon=5.4)
    make_mission(cast.org, "Complète", lat=49.2, lon=5.5, status=Mission.Status.FULL)
    make_mission(cast.org, "Clôturée", lat=49.3, lon=5.6, status=Mission.Status.CLOSED)
    response = Client().get(reverse("volunteering_missions:map"), {"zoom": "18"})
    assert response.status_code == 200
    names = {f["properties"].get("name") for f in json.loads(response.content)["features"]}
    assert names == {"Ouverte", "Complète"}
