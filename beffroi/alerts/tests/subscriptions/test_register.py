"""Resident registration on the site: with and without an account, addresses from the BAN
search or a point on the map, and every validation error."""

from __future__ import annotations

import hashlib

from django.test import Client
from django.urls import reverse

from beffroi.alerts.models import Place, Subscriber
from beffroi.alerts.subscriptions.services import (
    CONSENT_VERSION,
    consent_text,
    management_token,
)
from beffroi.alerts.tests.factories import (
    INSIDE,
    INSIDE_RIVER,
    OUTSIDE,
    RunOnCommit,
    Territory,
    gateways,
    registration_data,
    sent,
    territory,
)
from beffroi.territory.models import Address

__all__ = ["gateways", "sent", "territory"]

URL = reverse("subscriptions:register")


def test_it_shows_the_registration_form_to_anyone(client: Client, territory: Territory) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Get alerts" in body
    assert 'name="consent"' in body
    assert 'hx-get="/alertes/inscription/?suggest=1"' in body


def test_it_registers_an_anonymous_resident_at_a_ban_address(
    client: Client, territory: Territory
) -> None:
    data = registration_data(address=str(territory.mairie_12.pk), sms_number="0692 12 34 56")
    response = client.post(URL, data)
    subscriber = Subscriber.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "subscriptions:manage", args=[management_token(subscriber)]
    )
    assert subscriber.organisation == territory.cast.org
    assert subscriber.user is None
    assert subscriber.email == "jeanne@example.org"
    assert str(subscriber.sms_number) == "+262692123456"
    assert subscriber.channels == ["email", "sms"]
    assert subscriber.topics == ["flood", "heat"]
    assert subscriber.source == Subscriber.Source.SELF
    assert subscriber.email_verified_at is None and subscriber.sms_verified_at is None
    assert subscriber.consent_version == CONSENT_VERSION
    assert subscriber.consent_text_hash == hashlib.sha256(consent_text().encode()).hexdigest()
    assert subscriber.consent_at is not None
    [place] = subscriber.places.all()
    assert place.address == territory.mairie_12 and place.kind == "home"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Rue de la Mairie" in page.content.decode()


def test_it_finds_addresses_without_javascript(client: Client, territory: Territory) -> None:
    response = client.post(URL, registration_data(q="12 rue de la mairie", action="search"))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'value="{territory.mairie_12.pk}"' in body
    assert "12 Rue de la Mairie" in body
    assert not Subscriber.objects.exists()


def test_it_asks_to_choose_when_only_text_is_typed(client: Client, territory: Territory) -> None:
    response = client.post(URL, registration_data(q="rue de la mairie"))
    assert response.status_code == 200
    assert "Choose your address in the list below." in response.content.decode()
    assert not Subscriber.objects.exists()


def test_it_suggests_addresses_with_htmx(client: Client, territory: Territory) -> None:
    response = client.get(URL, {"suggest": "1", "q": "lilas"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Allée des Lilas" in body
    assert 'type="radio" name="address"' in body
    assert "<html" not in body


def test_it_registers_a_point_placed_on_the_map(client: Client, territory: Territory) -> None:
    lon, lat = INSIDE_RIVER
    response = client.post(
        URL,
        registration_data(lat=str(lat), lon=str(lon), kind="relative", email="", channels="sms"),
    )
    assert response.status_code == 302
    place = Place.objects.select_related("address").get()
    assert place.kind == "relative"
    assert place.address.street is None
    assert place.address.commune == territory.commune
    assert (place.address.lon, place.address.lat) == (lon, lat)
    # Alert targeting sees the point like any address.
    assert list(place.address.zones.all()) == [territory.river]


def test_it_refuses_a_point_outside_the_territory(client: Client, territory: Territory) -> None:
    lon, lat = OUTSIDE
    addresses = Address.objects.count()
    response = client.post(URL, registration_data(lat=str(lat), lon=str(lon)))
    assert response.status_code == 200
    assert "outside the territory covered (Commune de Valmont)" in response.content.decode()
    assert not Subscriber.objects.exists()
    assert Address.objects.count() == addresses


def test_it_refuses_a_bad_mobile_number(client: Client, territory: Territory) -> None:
    response = client.post(
        URL, registration_data(address=str(territory.mairie_12.pk), sms_number="06 12")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "This is not a valid phone number" in body
    assert 'href="#id_sms_number"' in body  # the error summary links to the field
    assert not Subscriber.objects.exists()


def test_it_refuses_a_landline_for_sms(client: Client, territory: Territory) -> None:
    response = client.post(
        URL, registration_data(address=str(territory.mairie_12.pk), sms_number="01 40 00 00 00")
    )
    assert "cannot receive SMS" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_it_refuses_a_registration_without_channel(client: Client, territory: Territory) -> None:
    data = registration_data(address=str(territory.mairie_12.pk))
    del data["channels"]
    response = client.post(URL, data)
    assert "Choose at least one way to be warned." in response.content.decode()
    assert not Subscriber.objects.exists()


def test_it_refuses_a_channel_without_its_contact(client: Client, territory: Territory) -> None:
    response = client.post(
        URL, registration_data(address=str(territory.mairie_12.pk), email="", channels=["email"])
    )
    assert "Enter the e-mail address to warn." in response.content.decode()
    assert not Subscriber.objects.exists()


def test_it_refuses_a_registration_without_consent(client: Client, territory: Territory) -> None:
    data = registration_data(address=str(territory.mairie_12.pk))
    del data["consent"]
    response = client.post(URL, data)
    assert "Tick the box to agree" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_it_refuses_a_registration_without_place(client: Client, territory: Territory) -> None:
    response = client.post(URL, registration_data())
    assert "Search for your address, or place a point on the map." in response.content.decode()
    assert not Subscriber.objects.exists()


def test_it_refuses_an_address_of_another_organisation(
    client: Client, territory: Territory
) -> None:
    response = client.post(
        URL,
        registration_data(address=str(territory.mairie_12.pk)),
        HTTP_HOST="autreville.localhost",
    )
    assert response.status_code == 200
    assert "not one of the commune" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_it_links_a_logged_in_residents_registration_to_their_account(
    client: Client, territory: Territory
) -> None:
    resident = territory.cast.resident
    resident.email_verified_at = resident.date_joined
    resident.save()
    client.force_login(resident)
    form = client.get(URL)
    assert 'value="alice@example.org"' in form.content.decode()
    response = client.post(
        URL,
        registration_data(
            email="alice@example.org", sms_number="", channels="email", address=territory.lilas_3.pk
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("subscriptions:mine")
    subscriber = Subscriber.objects.get()
    assert subscriber.user == resident
    # The account's address is already proven: no second verification.
    assert subscriber.email_verified_at is not None
    page = client.get(reverse("subscriptions:mine"))
    assert page.status_code == 200
    assert "Allée des Lilas" in page.content.decode()
    # Coming back to the form leads to the registration, not to a second one.
    assert client.get(URL)["Location"] == reverse("subscriptions:mine")


def test_it_sends_an_existing_registration_its_link_instead_of_a_duplicate(
    client: Client, territory: Territory, sent: RunOnCommit, gateways: tuple[object, object]
) -> None:
    smtp = gateways[0]
    client.post(
        URL,
        registration_data(address=str(territory.mairie_12.pk), sms_number="", channels="email"),
    )
    with sent():
        response = client.post(
            URL,
            registration_data(
                address=str(territory.lilas_3.pk),
                sms_number="",
                channels="email",
                full_name="Someone Else",
            ),
        )
    assert response.status_code == 200
    assert "already registered" in response.content.decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.full_name == "Jeanne Durand"
    assert subscriber.places.count() == 1
    [mail] = smtp.received  # type: ignore[attr-defined]
    assert mail.rcpt_tos == ["jeanne@example.org"]
    body = mail.message.get_content()
    assert reverse("subscriptions:manage", args=[management_token(subscriber)]) in body


def test_it_adds_and_removes_places_from_the_management_page(
    client: Client, territory: Territory
) -> None:
    lon, lat = INSIDE
    client.post(URL, registration_data(address=str(territory.mairie_12.pk)))
    subscriber = Subscriber.objects.get()
    url = reverse("subscriptions:manage", args=[management_token(subscriber)])
    response = client.post(url, {"action": "add_place", "kind": "work", "lat": lat, "lon": lon})
    assert response.status_code == 302
    point = subscriber.places.get(kind="work")
    assert point.address.street is None
    response = client.post(url, {"action": "remove_place", "place": point.pk})
    assert response.status_code == 302
    assert not subscriber.places.filter(kind="work").exists()
    # The hand-placed point located someone's workplace: it goes with the place.
    assert not Address.objects.filter(pk=point.address_id).exists()


def test_it_updates_choices_from_the_management_page(client: Client, territory: Territory) -> None:
    client.post(URL, registration_data(address=str(territory.mairie_12.pk)))
    subscriber = Subscriber.objects.get()
    url = reverse("subscriptions:manage", args=[management_token(subscriber)])
    response = client.post(
        url,
        {
            "action": "update",
            "full_name": "Jeanne D.",
            "email": "jeanne@example.org",
            "sms_number": "0612345678",
            "channels": ["sms"],
            "topics": ["storm"],
            "language": "en",
        },
    )
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.channels == ["sms"]
    assert subscriber.topics == ["storm"]
    assert subscriber.language == "en"
    bad = client.post(url, {"action": "update", "channels": [], "topics": [], "language": "en"})
    assert "Choose at least one way to be warned." in bad.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.channels == ["sms"]


def test_it_refuses_a_forged_management_link(client: Client, territory: Territory) -> None:
    response = client.get(reverse("subscriptions:manage", args=["forged-token"]))
    assert response.status_code == 404
