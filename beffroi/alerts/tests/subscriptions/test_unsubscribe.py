"""Unsubscription: the link (GET confirms, POST acts), RFC 8058 one-click without CSRF
token, and "STOP" replies by SMS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.alerts.models import Subscriber
from beffroi.alerts.subscriptions import services as services
from beffroi.alerts.tests.factories import Territory, register_subscriber, territory
from beffroi.alerts.texts import sms_stop_instructions
from beffroi.core.models import AuditEvent
from beffroi.territory.models import OrganisationHost
from beffroi.testing import login_verified

__all__ = ["territory"]


def test_it_builds_an_absolute_https_link_on_the_primary_host(territory: Territory) -> None:
    subscriber = register_subscriber(territory)
    OrganisationHost.objects.create(
        organisation=territory.cast.org, host="alertes.valmont.fr", is_primary=False
    )
    url = services.unsubscribe_url(subscriber)
    assert url == (
        f"https://testserver/alertes/inscription/desinscription/{subscriber.unsubscribe_token}/"
    )
    assert sms_stop_instructions("en") == "To stop: reply STOP"


def test_it_uses_the_configured_scheme_and_port(territory: Territory, settings: object) -> None:
    settings.PUBLIC_URL_SCHEME = "http"  # type: ignore[attr-defined]
    settings.PUBLIC_URL_PORT = 8000  # type: ignore[attr-defined]
    assert services.unsubscribe_url(register_subscriber(territory)).startswith(
        "http://testserver:8000/"
    )


def test_it_asks_for_confirmation_before_unsubscribing(
    client: Client, territory: Territory
) -> None:
    subscriber = register_subscriber(territory)
    url = reverse("subscriptions:unsubscribe", args=[subscriber.unsubscribe_token])
    response = client.get(url)
    assert response.status_code == 200
    assert "Do you want to stop receiving these alerts" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is None
    response = client.post(url)
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is not None
    assert subscriber.unsubscribe_reason == "unsubscribe link"
    assert AuditEvent.objects.filter(action="alerts.subscriber_unsubscribe").exists()


def test_it_unsubscribes_in_one_click_without_csrf_token(territory: Territory) -> None:
    subscriber = register_subscriber(territory)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("subscriptions:unsubscribe", args=[subscriber.unsubscribe_token]),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is not None
    assert subscriber.unsubscribe_reason == "one-click (RFC 8058)"


def test_it_answers_404_to_an_unknown_or_foreign_token(territory: Territory) -> None:
    subscriber = register_subscriber(territory)
    client = Client()
    assert client.post(reverse("subscriptions:unsubscribe", args=["nope"])).status_code == 404
    response = client.post(
        reverse("subscriptions:unsubscribe", args=[subscriber.unsubscribe_token]),
        HTTP_HOST="autreville.localhost",
    )
    assert response.status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is None


def test_it_stops_sms_when_the_resident_replies_stop(territory: Territory) -> None:
    subscriber = register_subscriber(territory)
    other = register_subscriber(territory, email="autre@example.org", sms_number="0698765432")
    # As SMSCs give it: international digits without "+".
    count = services.subscriber_unsubscribe_by_number(
        organisation=territory.cast.org, number="33612345678"
    )
    assert count == 1
    subscriber.refresh_from_db()
    assert subscriber.channels == ["email"]
    assert subscriber.unsubscribed_at is None  # still warned by e-mail
    other.refresh_from_db()
    assert other.channels == ["email", "sms"]
    # The number of another organisation's resident is not touched.
    assert (
        services.subscriber_unsubscribe_by_number(
            organisation=territory.cast.other_org, number="+33698765432"
        )
        == 0
    )
    assert (
        services.subscriber_unsubscribe_by_number(
            organisation=territory.cast.org, number="not a number"
        )
        == 0
    )


def test_it_ends_the_registration_when_stop_removes_the_last_channel(
    territory: Territory,
) -> None:
    subscriber = register_subscriber(territory, email="", channels=["sms"])
    assert (
        services.subscriber_unsubscribe_by_number(
            organisation=territory.cast.org, number="06 12 34 56 78"
        )
        == 1
    )
    subscriber.refresh_from_db()
    assert subscriber.channels == []
    assert subscriber.unsubscribed_at is not None
    assert subscriber.unsubscribe_reason == "STOP SMS"


def _manage_url(subscriber: object) -> str:
    return reverse("subscriptions:manage", args=[services.management_token(subscriber)])  # type: ignore[arg-type]


def test_it_confirms_before_ending_everything_from_the_management_page(
    client: Client, territory: Territory
) -> None:
    subscriber = register_subscriber(territory)
    url = _manage_url(subscriber)
    response = client.post(url, {"action": "unsubscribe"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Do you want to stop receiving these alerts" in body
    assert 'name="confirm" value="yes"' in body
    assert f'href="{url}"' in body  # a way back
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is None
    response = client.post(url, {"action": "unsubscribe", "confirm": "yes"})
    unsubscribe = reverse("subscriptions:unsubscribe", args=[subscriber.unsubscribe_token])
    assert response.status_code == 302 and response["Location"] == unsubscribe
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is not None
    assert subscriber.unsubscribe_reason == "manage page"
    page = client.get(unsubscribe).content.decode()
    assert "You are unsubscribed" in page
    assert 'name="action" value="resubscribe"' in page


def test_it_restores_the_registration_as_it_was_on_undo(
    client: Client, territory: Territory
) -> None:
    subscriber = register_subscriber(territory, topics=["flood", "storm"])
    before = (subscriber.channels, subscriber.topics, list(subscriber.places.all()))
    url = reverse("subscriptions:unsubscribe", args=[subscriber.unsubscribe_token])
    client.post(url)
    response = client.post(url, {"action": "resubscribe"})
    assert response.status_code == 302
    assert response["Location"] == _manage_url(subscriber)
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is None and subscriber.unsubscribe_reason == ""
    assert (subscriber.channels, subscriber.topics, list(subscriber.places.all())) == before
    assert AuditEvent.objects.filter(action="alerts.subscriber_resubscribe").exists()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "You are registered again" in page.content.decode()


def test_it_offers_the_undo_only_for_a_limited_time(client: Client, territory: Territory) -> None:
    subscriber = register_subscriber(territory)
    services.subscriber_unsubscribe(subscriber=subscriber, reason="test")
    Subscriber.objects.filter(pk=subscriber.pk).update(
        unsubscribed_at=timezone.now() - services.RESUBSCRIBE_WINDOW - timedelta(minutes=1)
    )
    url = reverse("subscriptions:unsubscribe", args=[subscriber.unsubscribe_token])
    page = client.get(url).content.decode()
    assert 'value="resubscribe"' not in page
    assert reverse("subscriptions:register") in page
    response = client.post(url, {"action": "resubscribe"})
    assert response.status_code == 409
    assert "can no longer be restored" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is not None


def test_it_refuses_the_undo_when_the_contact_was_taken_meanwhile(
    client: Client, territory: Territory
) -> None:
    subscriber = register_subscriber(territory)
    url = reverse("subscriptions:unsubscribe", args=[subscriber.unsubscribe_token])
    client.post(url)
    register_subscriber(territory, sms_number="", channels=["email"], full_name="Other")
    response = client.post(url, {"action": "resubscribe"})
    assert response.status_code == 409
    assert "already registered with this e-mail address" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is not None


def test_it_offers_no_undo_when_stop_took_the_last_channel(territory: Territory) -> None:
    subscriber = register_subscriber(territory, email="", channels=["sms"])
    services.subscriber_unsubscribe(subscriber=subscriber, channel="sms", reason="STOP")
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is not None
    assert services.resubscribe_deadline(subscriber) is None


def test_an_agent_confirms_before_ending_a_registration(
    client: Client, territory: Territory
) -> None:
    subscriber = register_subscriber(territory)
    login_verified(client, territory.cast.front_desk)
    detail = reverse("subscribers_backoffice:detail", args=[subscriber.pk])
    response = client.post(detail, {"action": "unsubscribe"})
    assert response.status_code == 200
    assert "End the registration of Jeanne Durand?" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is None
    response = client.post(detail, {"action": "unsubscribe", "confirm": "yes"})
    assert response["Location"] == reverse("subscribers_backoffice:list")
    subscriber.refresh_from_db()
    assert subscriber.unsubscribe_reason == "agent"


@pytest.mark.french
def test_the_unsubscribe_pages_read_naturally_in_french(
    client: Client, territory: Territory
) -> None:
    subscriber = register_subscriber(territory)
    url = reverse("subscriptions:unsubscribe", args=[subscriber.unsubscribe_token])
    question = client.get(url).content.decode()
    assert "Commune de Valmont" in question and "de Commune de" not in question
    done = client.post(url).content.decode()
    assert "de Commune de" not in done
    # The text and its button say the same thing.
    assert "vous réinscrire" in done and "Me réinscrire" in done
    assert "réabonner" not in done
