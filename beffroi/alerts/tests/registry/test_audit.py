"""Every read of the registry leaves an audit row (who, what, with which filter)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.alerts.models import VulnerablePerson
from beffroi.alerts.tests.factories import address, load_valmont, make_alert, make_person
from beffroi.core.models import AuditEvent
from beffroi.territory.models import Zone
from beffroi.testing import Cast, login_verified


@pytest.fixture
def zones(cast: Cast) -> dict[str, Zone]:
    return load_valmont(cast)


@pytest.fixture
def persons(cast: Cast, zones: dict[str, Zone]) -> list[VulnerablePerson]:
    return [
        make_person(
            cast.org,
            address(cast.org, "Rue de la Mairie", "2"),
            last_name="Bernard",
            electricity_dependent=True,
        ),
        make_person(cast.org, address(cast.org, "Route de Lyon", "10"), last_name="Roux"),
    ]


def only(action: str) -> AuditEvent:
    return AuditEvent.objects.get(action=action)


def test_it_audits_a_filtered_listing_without_the_search_text(
    client: Client, cast: Cast, zones: dict[str, Zone], persons: list[VulnerablePerson]
) -> None:
    login_verified(client, cast.social_agent)
    response = client.get(
        reverse("registry:list"),
        {"q": "bern", "needs": ["electricity_dependent"], "zone": zones["bourg"].pk},
    )
    html = response.content.decode()
    assert "BERNARD" in html
    assert "ROUX" not in html
    event = only("registry.list")
    assert event.actor == cast.social_agent
    assert event.organisation == cast.org
    assert event.ip_address == "127.0.0.1"
    assert event.data == {
        "filter": {
            "search": True,
            "needs": ["electricity_dependent"],
            "zone": zones["bourg"].pk,
            "situation": "",
            "to_reconfirm": False,
            "address": None,
        },
        "page": 1,
        "count": 1,
        "shown": [persons[0].pk],
    }
    assert "bern" not in str(event.data)


def test_it_audits_the_list_of_an_address_from_the_map(
    client: Client, cast: Cast, persons: list[VulnerablePerson]
) -> None:
    login_verified(client, cast.social_agent)
    lyon = persons[1].address
    html = client.get(reverse("registry:at_address", args=[lyon.pk])).content.decode()
    assert "ROUX" in html and "BERNARD" not in html
    event = only("registry.list")
    assert event.data["filter"]["address"] == lyon.pk
    assert event.data["shown"] == [persons[1].pk]


def test_it_audits_viewing_a_record(
    client: Client, cast: Cast, persons: list[VulnerablePerson]
) -> None:
    login_verified(client, cast.social_agent)
    client.get(reverse("registry:detail", args=[persons[0].pk]))
    event = only("registry.view")
    assert (event.target_type, event.target_id) == ("alerts.vulnerableperson", str(persons[0].pk))
    assert event.data == {"purpose": "detail"}
    client.get(reverse("registry:remove", args=[persons[0].pk]))
    assert AuditEvent.objects.filter(action="registry.view", data__purpose="remove").count() == 1


def test_it_audits_the_export_with_its_count(
    client: Client, cast: Cast, persons: list[VulnerablePerson]
) -> None:
    login_verified(client, cast.social_agent)
    client.get(reverse("registry:export"))
    assert only("registry.export").data["count"] == 2
    client.get(reverse("registry:export"), {"needs": "electricity_dependent"})
    latest = AuditEvent.objects.filter(action="registry.export").order_by("-id").first()
    assert latest is not None
    assert latest.data["count"] == 1
    assert latest.data["filter"]["needs"] == ["electricity_dependent"]


def test_it_audits_the_call_sheet_and_the_map(
    client: Client, cast: Cast, zones: dict[str, Zone], persons: list[VulnerablePerson]
) -> None:
    alert = make_alert(cast.org, cast.alert_author, zones["bourg"])
    login_verified(client, cast.social_agent)
    client.get(reverse("registry:call_sheet", args=[alert.pk]))
    event = only("registry.call_sheet")
    assert (event.target_type, event.target_id) == ("alerts.alert", str(alert.pk))
    assert event.data == {"count": 1, "shown": [persons[0].pk]}
    client.get(reverse("registry:map"))
    assert only("registry.map").data == {"count": 2, "addresses": 2}


def test_it_audits_nothing_for_a_refused_request(
    client: Client, cast: Cast, persons: list[VulnerablePerson]
) -> None:
    login_verified(client, cast.administrator)
    client.get(reverse("registry:list"))
    client.get(reverse("registry:export"))
    assert not AuditEvent.objects.filter(action__startswith="registry.").exists()
