"""Subscriptions API: a resident's own registration (session) and agents' access to their
organisation's registrations (token)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from beffroi.alerts.models import Place
from beffroi.alerts.subscriptions import services as services
from beffroi.alerts.tests.factories import (
    INSIDE,
    OUTSIDE,
    Territory,
    register_subscriber,
    territory,
)
from beffroi.api.tests.factories import make_token

__all__ = ["territory"]

BASE = "/api/v1/subscriptions"
OTHER_HOST = "autreville.localhost"


def _auth(key: str, *, host: str = "testserver") -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Host": host}


@pytest.fixture(autouse=True)
def _no_rate_limit(settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 0


def test_a_resident_reads_and_changes_their_registration(
    client: Client, territory: Territory
) -> None:
    subscriber = register_subscriber(territory, user=territory.cast.resident)
    client.force_login(territory.cast.resident)
    response = client.get(f"{BASE}/me")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == subscriber.pk
    assert body["sms_number"] == "+33612345678"
    assert body["places"][0]["address_id"] == territory.mairie_12.pk
    response = client.put(
        f"{BASE}/me",
        {
            "channels": ["sms"],
            "topics": ["heat", "storm"],
            "language": "en",
            "sms_number": "0692 12 34 56",
        },
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["sms_number"] == "+262692123456"
    subscriber.refresh_from_db()
    assert subscriber.channels == ["sms"]
    assert subscriber.topics == ["storm", "heat"]
    assert subscriber.language == "en"


def test_it_answers_422_with_field_messages(client: Client, territory: Territory) -> None:
    subscriber = register_subscriber(territory, user=territory.cast.resident)
    client.force_login(territory.cast.resident)
    response = client.put(
        f"{BASE}/me",
        {"channels": ["sms"], "topics": ["flood"], "sms_number": "06 12"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "not a valid phone number" in response.json()["errors"]["sms_number"][0]
    response = client.put(
        f"{BASE}/me", {"channels": ["fax"], "topics": []}, content_type="application/json"
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) >= {"body.payload.channels.0", "body.payload.topics"}
    subscriber.refresh_from_db()
    assert subscriber.channels == ["email", "sms"]


def test_anonymous_and_unregistered_callers_are_told_so(
    client: Client, territory: Territory
) -> None:
    assert client.get(f"{BASE}/me").status_code == 401
    client.force_login(territory.cast.resident2)
    response = client.get(f"{BASE}/me")
    assert response.status_code == 404
    assert "not registered" in response.json()["detail"]


def test_session_writes_need_the_csrf_token(territory: Territory) -> None:
    register_subscriber(territory, user=territory.cast.resident)
    client = Client(enforce_csrf_checks=True)
    client.force_login(territory.cast.resident)
    response = client.put(
        f"{BASE}/me", {"channels": ["sms"], "topics": ["flood"]}, content_type="application/json"
    )
    assert response.status_code == 403


def test_a_resident_adds_and_removes_places(client: Client, territory: Territory) -> None:
    subscriber = register_subscriber(territory, user=territory.cast.resident)
    client.force_login(territory.cast.resident)
    lon, lat = INSIDE
    response = client.post(
        f"{BASE}/me/places", {"kind": "work", "lat": lat, "lon": lon},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201
    assert response.json()["on_map"] is True
    place_id = response.json()["id"]
    response = client.post(
        f"{BASE}/me/places", {"kind": "relative", "address_id": territory.lilas_3.pk},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201
    assert len(client.get(f"{BASE}/me/places").json()) == 3
    lon, lat = OUTSIDE
    response = client.post(
        f"{BASE}/me/places", {"lat": lat, "lon": lon}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "outside the territory" in response.json()["errors"]["point"][0]
    response = client.post(f"{BASE}/me/places", {"kind": "home"}, content_type="application/json")
    assert response.status_code == 422
    assert client.delete(f"{BASE}/me/places/{place_id}").status_code == 204
    assert Place.objects.filter(subscriber=subscriber).count() == 2
    assert client.delete(f"{BASE}/me/places/{place_id}").status_code == 404


def test_agents_manage_their_organisations_residents_with_a_token(
    client: Client, territory: Territory
) -> None:
    subscriber = register_subscriber(territory, full_name="Alice Martin", email="alice@example.org")
    key = make_token(territory.cast.front_desk, territory.cast.org)
    response = client.get(f"{BASE}/subscribers", {"q": "alice"}, headers=_auth(key))
    assert response.status_code == 200
    assert [s["id"] for s in response.json()] == [subscriber.pk]
    response = client.put(
        f"{BASE}/subscribers/{subscriber.pk}",
        {"channels": ["email"], "topics": ["roads"], "language": "fr"},
        content_type="application/json",
        headers=_auth(key),
    )
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.topics == ["roads"]
    response = client.post(
        f"{BASE}/subscribers/{subscriber.pk}/places",
        {"address_id": territory.lilas_3.pk},
        content_type="application/json",
        headers=_auth(key),
    )
    assert response.status_code == 201
    places = client.get(f"{BASE}/subscribers/{subscriber.pk}/places", headers=_auth(key)).json()
    assert len(places) == 2
    response = client.delete(
        f"{BASE}/subscribers/{subscriber.pk}/places/{places[0]['id']}", headers=_auth(key)
    )
    assert response.status_code == 204


def test_a_moderators_token_cannot_read_residents(client: Client, territory: Territory) -> None:
    subscriber = register_subscriber(territory)
    key = make_token(territory.cast.moderator, territory.cast.org)
    assert client.get(f"{BASE}/subscribers", headers=_auth(key)).status_code == 403
    assert client.get(f"{BASE}/subscribers/{subscriber.pk}", headers=_auth(key)).status_code == 403


def test_another_organisations_token_sees_none_of_them(
    client: Client, territory: Territory
) -> None:
    subscriber = register_subscriber(territory)
    key = make_token(territory.cast.other_admin, territory.cast.other_org)
    response = client.get(f"{BASE}/subscribers", headers=_auth(key, host=OTHER_HOST))
    assert response.status_code == 200 and response.json() == []
    assert (
        client.get(
            f"{BASE}/subscribers/{subscriber.pk}", headers=_auth(key, host=OTHER_HOST)
        ).status_code
        == 404
    )
    response = client.put(
        f"{BASE}/subscribers/{subscriber.pk}",
        {"channels": ["email"], "topics": ["roads"]},
        content_type="application/json",
        headers=_auth(key, host=OTHER_HOST),
    )
    assert response.status_code == 404
    # Used on Valmont's host, the token is not valid at all.
    assert client.get(f"{BASE}/subscribers", headers=_auth(key)).status_code == 401
    subscriber.refresh_from_db()
    assert subscriber.topics == ["flood"]


def test_out_of_range_ids_are_refused_cleanly(client: Client, territory: Territory) -> None:
    key = make_token(territory.cast.administrator, territory.cast.org)
    response = client.get(f"{BASE}/subscribers/{2**63}", headers=_auth(key))
    assert response.status_code == 422, response.content
