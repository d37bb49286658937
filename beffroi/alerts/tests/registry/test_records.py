"""Registering, editing, reconfirming and removing persons, with validation."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.alerts.models import VulnerablePerson
from beffroi.alerts.tests.factories import address, load_valmont, make_person, years_ago
from beffroi.core.models import AuditEvent
from beffroi.territory.models import Address
from beffroi.testing import Cast, login_verified


@pytest.fixture
def agent_client(client: Client, cast: Cast) -> Client:
    load_valmont(cast)
    login_verified(client, cast.social_agent)
    return client


def valid_post(where: Address, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "last_name": "Martin",
        "first_name": "Louise",
        "birth_date": years_ago(82).isoformat(),
        "situation": "elderly",
        "address_query": "1 rue de la mairie",
        "address": where.pk,
        "address_complement": "2e étage, code 1234",
        "phone": "04 75 12 34 56",
        "email": "",
        "preferred_channel": "landline",
        "lives_alone": "on",
        "electricity_dependent": "on",
        "contact_name": "Paul Martin",
        "contact_relation": "Fils",
        "contact_phone": "0692 12 34 56",
        "home_help": "ADMR Valmont",
        "home_help_phone": "+33 4 75 99 99 99",
        "requested_on": timezone.localdate().isoformat(),
        "request_source": "self",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_it_registers_a_person_with_phones_in_e164(agent_client: Client, cast: Cast) -> None:
    mairie = address(cast.org, "Rue de la Mairie", "1")
    response = agent_client.post(reverse("registry:create"), valid_post(mairie))
    person = VulnerablePerson.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:detail", args=[person.pk])
    assert person.organisation == cast.org
    assert person.address == mairie
    assert str(person.phone) == "+33475123456"
    # A Réunion mobile typed the national way gets its own country code.
    assert str(person.contact_phone) == "+262692123456"
    assert str(person.home_help_phone) == "+33475999999"
    assert person.lives_alone and person.electricity_dependent and not person.reduced_mobility
    assert person.registered_by == cast.social_agent
    assert person.last_confirmed_on == timezone.localdate()
    event = AuditEvent.objects.get(action="registry.create")
    assert event.actor == cast.social_agent
    assert event.target_id == str(person.pk)
    assert event.organisation == cast.org
    detail = agent_client.get(response["Location"]).content.decode()
    assert "MARTIN Louise" in detail
    assert "04 75 12 34 56" in detail
    assert "0692 12 34 56" in detail


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phone": "12345"}, "phone", "Enter a valid phone number"),
        ({"contact_phone": "06 12"}, "contact_phone", "Enter a valid phone number"),
        ({"last_name": "  "}, "last_name", "This field is required."),
        (
            {"birth_date": years_ago(50).isoformat()},
            "birth_date",
            "must be at least 65 years old on the date of the request",
        ),
        (
            {"birth_date": years_ago(62).isoformat(), "situation": "elderly_unfit"},
            None,
            None,
        ),
        (
            {"hearing_impaired": "on", "preferred_channel": "landline"},
            "preferred_channel",
            "A person with a hearing impairment may not hear a call",
        ),
        (
            {"visually_impaired": "on", "preferred_channel": "email", "email": "l@example.org"},
            "preferred_channel",
            "A person with a visual impairment may not read a written message",
        ),
        (
            {"preferred_channel": "sms"},
            "preferred_channel",
            "This phone number cannot receive SMS.",
        ),
        ({"preferred_channel": "email"}, "email", "address to reach them by e-mail"),
        (
            {"phone": "", "preferred_channel": "mobile"},
            "phone",
            "number to reach them by phone or SMS",
        ),
        (
            {"request_source": "third_party", "requested_by": ""},
            "requested_by",
            "Enter the name and capacity of the person who made the request.",
        ),
        (
            {"requested_on": (timezone.localdate() + timedelta(days=2)).isoformat()},
            "requested_on",
            "The date of the request cannot be in the future.",
        ),
        ({"contact_phone": ""}, "contact_phone", "Enter both the name and the phone"),
        ({"situation": "king"}, "situation", "Select a valid choice."),
    ],
)
def test_it_refuses_invalid_data_and_saves_nothing(
    agent_client: Client, cast: Cast, changes: dict[str, Any], field: str | None, message: str
) -> None:
    mairie = address(cast.org, "Rue de la Mairie", "1")
    response = agent_client.post(reverse("registry:create"), valid_post(mairie, **changes))
    if field is None:  # the control case: 62 and unfit for work is allowed
        assert response.status_code == 302
        assert VulnerablePerson.objects.count() == 1
        return
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem with the form" in html
    assert message in html
    assert f'href="#id_{field}' in html
    assert not VulnerablePerson.objects.exists()
    assert not AuditEvent.objects.filter(action="registry.create").exists()


def test_it_refuses_a_duplicate_registration(agent_client: Client, cast: Cast) -> None:
    mairie = address(cast.org, "Rue de la Mairie", "1")
    assert agent_client.post(reverse("registry:create"), valid_post(mairie)).status_code == 302
    response = agent_client.post(reverse("registry:create"), valid_post(mairie, last_name="MARTIN"))
    assert response.status_code == 200
    assert "This person is already in the registry." in response.content.decode()
    assert VulnerablePerson.objects.count() == 1


def test_it_finds_the_address_without_javascript(agent_client: Client, cast: Cast) -> None:
    data = valid_post(address(cast.org, "Rue de la Mairie", "1"), address=None)
    data["address_query"] = "11 r de la mairi"
    data["find_address"] = "1"
    response = agent_client.post(reverse("registry:create"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" not in html
    eleven = address(cast.org, "Rue de la Mairie", "11")
    assert f'value="{eleven.pk}"' in html
    assert "11 Rue de la Mairie" in html
    # What the agent typed is kept.
    assert 'value="Louise"' in html
    assert not VulnerablePerson.objects.exists()
    # Saving without choosing asks for the address, at the search box.
    del data["find_address"]
    response = agent_client.post(reverse("registry:create"), data)
    html = response.content.decode()
    assert "Search the address, then choose it in the list." in html
    assert not VulnerablePerson.objects.exists()
    data["address"] = eleven.pk
    assert agent_client.post(reverse("registry:create"), data).status_code == 302
    assert VulnerablePerson.objects.get().address == eleven


def test_it_suggests_addresses_as_the_agent_types(agent_client: Client, cast: Cast) -> None:
    response = agent_client.get(
        reverse("registry:address_suggest"),
        {"address_query": "place de la mairie"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'name="address"' in html
    assert "1 Place de la Mairie" in html
    empty = agent_client.get(reverse("registry:address_suggest"), {"address_query": "zzzz qqq"})
    assert "No address of the commune matches" in empty.content.decode()


def test_it_updates_a_registration_and_audits_field_names_only(
    agent_client: Client, cast: Cast
) -> None:
    person = make_person(cast.org, address(cast.org, "Rue de la Mairie", "1"))
    form = agent_client.get(reverse("registry:update", args=[person.pk]))
    assert form.status_code == 200
    assert 'value="Dupont"' in form.content.decode()
    assert AuditEvent.objects.get(action="registry.view").data == {"purpose": "edit"}
    data = valid_post(
        person.address,
        last_name="Dupont",
        first_name="Jeanne",
        birth_date=person.birth_date.isoformat(),
        reduced_mobility="on",
        phone="06 11 22 33 44",
        preferred_channel="sms",
    )
    response = agent_client.post(reverse("registry:update", args=[person.pk]), data)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.reduced_mobility
    assert str(person.phone) == "+33611223344"
    assert person.preferred_channel == "sms"
    event = AuditEvent.objects.get(action="registry.update")
    assert event.target_id == str(person.pk)
    assert "phone" in event.data["fields"]
    assert "reduced_mobility" in event.data["fields"]
    assert "last_name" not in event.data["fields"]
    assert "611223344" not in json.dumps(event.data)


def test_it_records_reconfirmations_and_lists_those_due(agent_client: Client, cast: Cast) -> None:
    mairie = address(cast.org, "Rue de la Mairie", "1")
    old = make_person(cast.org, mairie, last_name="Ancien", last_confirmed_on=years_ago(1, days=3))
    recent = make_person(
        cast.org, mairie, last_name="Recent", last_confirmed_on=years_ago(0, days=300)
    )
    html = agent_client.get(reverse("registry:list"), {"to_reconfirm": "on"}).content.decode()
    assert "ANCIEN" in html
    assert "RECENT" not in html
    assert "to be reconfirmed" in html
    response = agent_client.post(reverse("registry:confirm", args=[old.pk]))
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.last_confirmed_on == timezone.localdate()
    assert AuditEvent.objects.filter(action="registry.confirm", target_id=str(old.pk)).exists()
    html = agent_client.get(reverse("registry:list"), {"to_reconfirm": "on"}).content.decode()
    assert "ANCIEN" not in html
    assert agent_client.get(reverse("registry:confirm", args=[recent.pk])).status_code == 405


def test_it_removes_a_person_leaving_no_personal_data(agent_client: Client, cast: Cast) -> None:
    person = make_person(
        cast.org,
        address(cast.org, "Rue de la Mairie", "3"),
        last_name="Lefebvre",
        first_name="Odette",
        phone="+33475445566",
        contact_name="Marc Voisin",
        contact_phone="+33612345678",
        notes="Chien dans le jardin",
    )
    # Every kind of read first, so that the trail holds every kind of row.
    agent_client.get(reverse("registry:detail", args=[person.pk]))
    agent_client.get(reverse("registry:list"), {"q": "Lefebvre"})
    agent_client.get(reverse("registry:export"))
    remove_url = reverse("registry:remove", args=[person.pk])
    assert agent_client.get(remove_url).status_code == 200
    # A reason is required, and a note naming the person is refused.
    response = agent_client.post(remove_url, {"reason": ""})
    assert response.status_code == 200
    assert 'href="#id_reason">Reason for the removal: This field is required.' in (
        response.content.decode()
    )
    response = agent_client.post(
        remove_url, {"reason": "other", "note": "Mme lefebvre part chez sa fille"}
    )
    assert "do not write the person&#x27;s name" in response.content.decode()
    response = agent_client.post(remove_url, {"reason": "other", "note": ""})
    assert "Explain the reason for the removal." in response.content.decode()
    assert VulnerablePerson.objects.filter(pk=person.pk).exists()

    response = agent_client.post(remove_url, {"reason": "at_request", "note": "Appel du 12"})
    assert response.status_code == 302
    assert not VulnerablePerson.objects.filter(pk=person.pk).exists()
    event = AuditEvent.objects.get(action="registry.remove")
    assert event.target_id == str(person.pk)
    assert event.reason == "at_request: Appel du 12"
    assert event.actor == cast.social_agent
    trail = json.dumps(
        list(
            AuditEvent.objects.values(
                "action", "target_type", "target_id", "reason", "data", "actor_label"
            )
        ),
        default=str,
    ).lower()
    for secret in ("lefebvre", "odette", "445566", "345678", "voisin", "chien"):
        assert secret not in trail, secret
    assert agent_client.get(reverse("registry:detail", args=[person.pk])).status_code == 404
