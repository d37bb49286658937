"""Unsubscription: the link (GET confirms, POST acts), RFC 8058 one-click without CSRF
token, and "STOP" replies by SMS."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from beffroi.alerts.subscriptions import services as services
from beffroi.alerts.tests.factories import Territory, register_subscriber, territory
from beffroi.alerts.texts import sms_stop_instructions
from beffroi.core.models import AuditEvent
from beffroi.territory.models import OrganisationHost

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
    assert "Do you want to stop receiving the alerts" in response.content.decode()
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
