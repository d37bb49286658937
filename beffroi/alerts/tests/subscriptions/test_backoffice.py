"""Agents' pages for registrations: list and search, register a resident on the phone,
edit; each organisation sees only its own residents; GDPR export and erasure."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.accounts import gdpr
from beffroi.alerts.models import Subscriber
from beffroi.alerts.subscriptions import services as services
from beffroi.alerts.tests.factories import (
    INSIDE,
    Territory,
    register_subscriber,
    registration_data,
    territory,
)
from beffroi.core.models import AuditEvent
from beffroi.territory.models import Address
from beffroi.testing import login_verified

__all__ = ["territory"]

LIST = reverse("subscribers_backoffice:list")


def test_agents_list_and_search_residents(client: Client, territory: Territory) -> None:
    register_subscriber(territory)
    register_subscriber(
        territory,
        full_name="Paul Petit",
        email="paul@example.org",
        sms_number="",
        channels=["email"],
    )
    login_verified(client, territory.cast.front_desk)
    response = client.get(LIST)
    assert response.status_code == 200
    assert "Jeanne Durand" in response.content.decode()
    assert "Paul Petit" in response.content.decode()
    by_number = client.get(LIST, {"q": "06 12 34 56 78"}).content.decode()
    assert "Jeanne Durand" in by_number and "Paul Petit" not in by_number
    by_name = client.get(LIST, {"q": "petit"}).content.decode()
    assert "Paul Petit" in by_name and "Jeanne Durand" not in by_name


def test_residents_and_moderators_cannot_see_the_list(client: Client, territory: Territory) -> None:
    register_subscriber(territory)
    client.force_login(territory.cast.resident)
    assert client.get(LIST).status_code == 403
    login_verified(client, territory.cast.moderator)
    assert client.get(LIST).status_code == 403


def test_another_organisations_agent_sees_none_of_them(
    client: Client, territory: Territory
) -> None:
    subscriber = register_subscriber(territory)
    login_verified(client, territory.cast.other_admin)
    # On Valmont's host the other commune's administrator holds no role.
    assert client.get(LIST).status_code == 403
    detail = reverse("subscribers_backoffice:detail", args=[subscriber.pk])
    assert client.get(detail).status_code == 403
    # On their own host, Valmont's resident does not exist.
    response = client.get(LIST, HTTP_HOST="autreville.localhost")
    assert response.status_code == 200
    assert "Jeanne" not in response.content.decode()
    assert client.get(detail, HTTP_HOST="autreville.localhost").status_code == 404
    response = client.post(detail, {"action": "unsubscribe"}, HTTP_HOST="autreville.localhost")
    assert response.status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is None


def test_an_agent_registers_a_resident_on_the_phone(client: Client, territory: Territory) -> None:
    login_verified(client, territory.cast.front_desk)
    response = client.post(
        reverse("subscribers_backoffice:register"),
        registration_data(
            address=str(territory.mairie_14.pk),
            email="",
            channels=["sms"],
            sms_number="0693 12 34 56",
            confirmed_on_phone="on",
        ),
    )
    subscriber = Subscriber.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("subscribers_backoffice:detail", args=[subscriber.pk])
    assert subscriber.source == "agent"
    assert subscriber.registered_by == territory.cast.front_desk
    assert subscriber.user is None
    assert str(subscriber.sms_number) == "+262693123456"
    assert subscriber.sms_verified_at is not None
    assert AuditEvent.objects.filter(
        action="alerts.subscriber_register", actor=territory.cast.front_desk
    ).exists()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Registered by an agent" in page.content.decode()


def test_an_unconfirmed_number_registered_by_an_agent_stays_unverified(
    client: Client, territory: Territory
) -> None:
    login_verified(client, territory.cast.alert_author)
    client.post(
        reverse("subscribers_backoffice:register"),
        registration_data(address=str(territory.mairie_14.pk)),
    )
    subscriber = Subscriber.objects.get()
    assert subscriber.sms_verified_at is None and subscriber.email_verified_at is None


def test_an_agent_edits_a_resident(client: Client, territory: Territory) -> None:
    subscriber = register_subscriber(territory)
    login_verified(client, territory.cast.social_agent)
    url = reverse("subscribers_backoffice:detail", args=[subscriber.pk])
    response = client.post(
        url,
        {
            "action": "update",
            "full_name": "Jeanne Durand",
            "email": "jeanne@example.org",
            "sms_number": "0698765432",
            "voice_number": "01 40 00 00 01",
            "channels": ["sms", "voice"],
            "topics": ["heat"],
            "language": "fr",
        },
    )
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert str(subscriber.sms_number) == "+33698765432"
    assert subscriber.sms_verified_at is None  # a changed number is verified again
    assert subscriber.channels == ["sms", "voice"]
    lon, lat = INSIDE
    response = client.post(url, {"action": "add_place", "kind": "work", "lat": lat, "lon": lon})
    assert response.status_code == 302
    assert subscriber.places.count() == 2


def test_it_exports_and_erases_a_users_subscriptions(territory: Territory) -> None:
    resident = territory.cast.resident
    lon, lat = INSIDE
    subscriber = register_subscriber(
        territory,
        user=resident,
        places=[services.PlaceInput(lon=lon, lat=lat)],
    )
    point = subscriber.places.get().address_id
    exported = gdpr.exporters()["alert_subscriptions"](resident)
    assert exported[0]["email"] == "jeanne@example.org"
    assert exported[0]["sms_number"] == "+33612345678"
    assert exported[0]["consent_version"] == services.CONSENT_VERSION
    assert exported[0]["places"][0]["lon"] == lon
    gdpr.erasers()["alert_subscriptions"](resident)
    assert not Subscriber.objects.filter(pk=subscriber.pk).exists()
    assert not Address.objects.filter(pk=point).exists()
    assert gdpr.exporters()["alert_subscriptions"](resident) == []


def test_the_home_page_and_the_dashboard_lead_to_registration(
    client: Client, territory: Territory
) -> None:
    home = client.get("/").content.decode()
    assert reverse("subscriptions:register") in home
    login_verified(client, territory.cast.front_desk)
    dashboard = client.get(reverse("backoffice:home")).content.decode()
    assert LIST in dashboard


@pytest.mark.french
def test_the_list_names_channels_and_status_in_words(client: Client, territory: Territory) -> None:
    register_subscriber(territory, channels=["email", "sms", "voice"], voice_number="0140000000")
    login_verified(client, territory.cast.front_desk)
    body = client.get(LIST).content.decode()
    row = body.split("Jeanne Durand", 1)[1].split("</tr>", 1)[0]
    assert "<td>E-mail, SMS, Appel vocal</td>" in row or "<td>E-mail, SMS, Appel" in row
    assert "email, sms" not in row
    assert "<td>Actif</td>" in row


@pytest.mark.french
def test_the_page_of_a_resident_speaks_to_the_agent(client: Client, territory: Territory) -> None:
    subscriber = register_subscriber(territory)
    login_verified(client, territory.cast.front_desk)
    body = client.get(reverse("subscribers_backoffice:detail", args=[subscriber.pk]))
    text = body.content.decode()
    assert "Plus aucune alerte ne sera envoyée à cet habitant" in text
    assert "ne vous sera envoyée" not in text
    assert "Vous pourrez vous réinscrire" not in text and "pourrez vous réinscrire" not in text
    assert "Comment prévenir l&#x27;habitant ?" in text
    assert "Vérifier le numéro" in text and "Vérifier mon numéro" not in text


def test_the_unverified_notice_shows_only_while_a_channel_is_unverified(
    client: Client, territory: Territory
) -> None:
    subscriber = register_subscriber(territory)
    login_verified(client, territory.cast.front_desk)
    url = reverse("subscribers_backoffice:detail", args=[subscriber.pk])
    notice = "Until a channel is verified"
    assert notice in client.get(url).content.decode()
    Subscriber.objects.filter(pk=subscriber.pk).update(
        email_verified_at=subscriber.created_at, sms_verified_at=subscriber.created_at
    )
    assert notice not in client.get(url).content.decode()
