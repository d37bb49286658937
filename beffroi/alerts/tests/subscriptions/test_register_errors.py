"""The registration form says everything wrong in one answer, one error per field, in a
summary that names each field shortly; the address search preselects an unambiguous best
match."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from beffroi.alerts.models import Subscriber
from beffroi.alerts.subscriptions.services import consent_text
from beffroi.alerts.subscriptions.views import _unambiguous
from beffroi.alerts.tests.factories import Territory, registration_data, territory
from beffroi.territory.selectors import AddressMatch

__all__ = ["territory"]

URL = reverse("subscriptions:register")


def _summary(body: str) -> list[str]:
    """The error summary's entries, as text."""
    match = re.search(r"data-error-summary.*?</ul>", body, re.S)
    assert match, "no error summary"
    items = re.findall(r"<li>(.*?)</li>", match.group(0), re.S)
    return [re.sub(r"<[^>]+>", "", item).strip() for item in items]


def _errors_of(body: str, field: str) -> list[str]:
    match = re.search(rf'<p class="error-text" id="id_{field}_error">(.*?)</p>', body, re.S)
    return re.findall(r"Error:</span> ([^<]*)", match.group(1)) if match else []


def test_it_reports_every_error_in_one_answer(client: Client, territory: Territory) -> None:
    # Before: the first answer named only the topics and the consent; the phone number,
    # the e-mail and the address came round after round.
    data = registration_data(
        email="", sms_number="06 12", topics=None, consent=None, q="rue de la mairie"
    )
    response = client.post(URL, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert _summary(body) == [
        "E-mail address: Enter the e-mail address to warn.",
        "Mobile number for SMS: This is not a valid phone number. Check the digits, for "
        "instance 06 12 34 56 78.",
        "Topics: Choose at least one topic.",
        "Address: Choose your address in the list below.",
        "Consent: Tick the box to agree to the use of your details.",
    ]
    # The addresses to choose from are there, none ticked: two numbers of one street.
    assert f'value="{territory.mairie_12.pk}"' in body
    assert f'value="{territory.mairie_14.pk}"' in body
    assert "checked" not in body.split('id="address-suggestions"')[1].split("</fieldset>")[0]
    assert not Subscriber.objects.exists()


def test_it_gives_one_error_per_field(client: Client, territory: Territory) -> None:
    response = client.post(
        URL, registration_data(address=str(territory.mairie_12.pk), sms_number="06 12")
    )
    body = response.content.decode()
    # Not also "Enter the mobile number for SMS", which only follows from the first.
    assert _errors_of(body, "sms_number") == [
        "This is not a valid phone number. Check the digits, for instance 06 12 34 56 78."
    ]
    assert len(_summary(body)) == 1


def test_it_names_half_a_point_once_on_the_missing_field(
    client: Client, territory: Territory
) -> None:
    response = client.post(URL, registration_data(lat="45.002"))
    body = response.content.decode()
    assert _summary(body) == ["Longitude: Give both the latitude and the longitude of the point."]
    assert 'href="#id_lon"' in body


def test_it_names_fields_shortly_in_the_error_summary(client: Client, territory: Territory) -> None:
    data = registration_data(address=str(territory.mairie_12.pk), channels=None, consent=None)
    body = client.post(URL, data).content.decode()
    assert _summary(body) == [
        "Ways to be warned: Choose at least one way to be warned.",
        "Consent: Tick the box to agree to the use of your details.",
    ]
    summary = body.split("data-error-summary")[1].split("</div>")[0]
    assert consent_text()[:40] not in summary
    # The box itself keeps the whole text the resident agrees to.
    assert consent_text() in body


def test_it_preselects_an_unambiguous_suggestion(client: Client, territory: Territory) -> None:
    response = client.get(URL, {"suggest": "1", "q": "12 rue de la mairie"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert re.search(rf'value="{territory.mairie_12.pk}" id="address-\d+" checked', body)
    street = client.get(URL, {"suggest": "1", "q": "rue de la mairie"}, HTTP_HX_REQUEST="true")
    assert "checked" not in street.content.decode()


def test_it_keeps_the_focus_in_the_search_field_without_javascript(
    client: Client, territory: Territory
) -> None:
    response = client.post(URL, registration_data(q="12 rue de la mairie", action="search"))
    body = response.content.decode()
    assert re.search(r'<input type="search" name="q"[^>]* autofocus', body)
    assert re.search(rf'value="{territory.mairie_12.pk}" id="address-\d+" checked', body)
    assert "data-error-summary" not in body
    # A registration answered with errors does not take the focus there: the summary has it.
    errors = client.post(URL, registration_data()).content.decode()
    assert not re.search(r'<input type="search" name="q"[^>]* autofocus', errors)


def _match(address_id: int, score: float) -> AddressMatch:
    return AddressMatch(address_id=address_id, label="", lon=0.0, lat=0.0, score=score)


def test_it_leaves_look_alike_matches_to_the_resident() -> None:
    assert _unambiguous([]) is None
    assert _unambiguous([_match(1, 70.0)]) == 1
    assert _unambiguous([_match(1, 100.0), _match(2, 90.0)]) == 1
    assert _unambiguous([_match(1, 99.0), _match(2, 99.0)]) is None
    assert _unambiguous([_match(1, 96.0), _match(2, 93.0)]) is None


def test_a_mobile_number_without_sms_ticked_is_an_error_not_ignored(
    client: Client, territory: Territory
) -> None:
    data = registration_data(address=str(territory.mairie_12.pk), channels=["email"])
    assert data["sms_number"]
    response = client.post(URL, data)
    body = response.content.decode()
    assert _errors_of(body, "channels") == [
        "A mobile number is given: tick “SMS” to be warned on it, or remove it."
    ]
    assert not Subscriber.objects.exists()
    # Either choice is accepted: without the number…
    response = client.post(URL, {**data, "sms_number": ""})
    assert response.status_code == 302
    subscriber = Subscriber.objects.get()
    assert subscriber.channels == ["email"] and not subscriber.sms_number
