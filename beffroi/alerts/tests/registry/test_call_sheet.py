"""The registered persons in an alert's target, the most at risk first, and the call sheet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.alerts.models import Alert, VulnerablePerson
from beffroi.alerts.registry.selectors import registry_call_list
from beffroi.alerts.tests.factories import (
    address,
    load_valmont,
    make_address,
    make_alert,
    make_person,
)
from beffroi.territory.models import Zone
from beffroi.testing import Cast, login_verified


@pytest.fixture
def zones(cast: Cast) -> dict[str, Zone]:
    return load_valmont(cast)


@pytest.fixture
def people(cast: Cast, zones: dict[str, Zone]) -> dict[str, VulnerablePerson]:
    bourg = address(cast.org, "Rue de la Mairie", "4")
    place = address(cast.org, "Place de la Mairie", "1")
    return {
        "old": make_person(cast.org, bourg, last_name="Aubert", age=97),
        "young": make_person(cast.org, place, last_name="Blanc", age=66),
        "alone": make_person(cast.org, bourg, last_name="Carre", age=70, lives_alone=True),
        "mobility": make_person(cast.org, place, last_name="Dumas", age=68, reduced_mobility=True),
        "oxygen": make_person(
            cast.org,
            bourg,
            last_name="Esnault",
            age=65,
            electricity_dependent=True,
            contact_name="Hugo Esnault",
            contact_relation="Petit-fils",
            contact_phone="+33612345678",
            home_help="SSIAD du canton",
            address_complement="Bâtiment B",
        ),
        "both": make_person(
            cast.org,
            place,
            last_name="Fabre",
            age=75,
            reduced_mobility=True,
            lives_alone=True,
        ),
        "outside": make_person(cast.org, address(cast.org, "Route de Lyon", "10"), last_name="Gil"),
        "nowhere": make_person(
            cast.org, address(cast.org, "Chemin des Écoliers", "3"), last_name="Hamon"
        ),
    }


def names(persons: list[VulnerablePerson]) -> list[str]:
    return [p.last_name for p in persons]


def test_it_lists_persons_in_the_target_zones_by_priority(
    cast: Cast, zones: dict[str, Zone], people: dict[str, VulnerablePerson]
) -> None:
    alert = make_alert(cast.org, cast.alert_author, zones["bourg"])
    # Electricity-dependent first, then reduced mobility (living alone first), then living
    # alone, then the oldest.
    assert names(registry_call_list(alert=alert)) == [
        "Esnault",
        "Fabre",
        "Dumas",
        "Carre",
        "Aubert",
        "Blanc",
    ]
    union = make_alert(cast.org, cast.alert_author, zones["bourg"], zones["lyon"])
    assert "Gil" in names(registry_call_list(alert=union))
    assert "Hamon" not in names(registry_call_list(alert=union))
    only_lyon = make_alert(cast.org, cast.alert_author, zones["lyon"])
    assert names(registry_call_list(alert=only_lyon)) == ["Gil"]
    no_target = make_alert(cast.org, cast.alert_author, whole_territory=False)
    assert registry_call_list(alert=no_target) == []


def test_it_lists_everyone_for_the_whole_territory_and_no_other_organisation(
    cast: Cast, people: dict[str, VulnerablePerson]
) -> None:
    foreign = make_person(
        cast.other_org,
        make_address(cast.other_org, 4.001, 45.001, "Ferme isolée"),
        last_name="Ailleurs",
    )
    alert = make_alert(cast.org, cast.alert_author, whole_territory=True)
    listed = registry_call_list(alert=alert)
    assert len(listed) == len(people)
    assert foreign not in listed
    assert names(listed)[:2] == ["Esnault", "Fabre"]


def test_it_follows_zone_changes(
    cast: Cast, zones: dict[str, Zone], people: dict[str, VulnerablePerson]
) -> None:
    from beffroi.alerts.tests.factories import square
    from beffroi.territory.services import zone_update

    alert = make_alert(cast.org, cast.alert_author, zones["lyon"])
    zone_update(zone=zones["lyon"], geometry=square(4.019, 45.019, 0.002))
    assert names(registry_call_list(alert=alert)) == ["Hamon"]


def test_it_prints_a_call_sheet_with_blank_columns(
    client: Client, cast: Cast, zones: dict[str, Zone], people: dict[str, VulnerablePerson]
) -> None:
    alert = make_alert(
        cast.org,
        cast.alert_author,
        zones["bourg"],
        topic="heat",
        headline="Canicule : vigilance rouge",
        cap_status="Exercise",
    )
    login_verified(client, cast.social_agent)
    response = client.get(reverse("registry:call_sheet", args=[alert.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Call sheet: Canicule : vigilance rouge" in html
    assert "EXERCISE" in html
    assert "Le Bourg" in html
    for heading in ("Name", "Address", "Phone", "Person to contact", "Needs"):
        assert f'<th scope="col">{heading}</th>' in html
    assert '<th scope="col" class="number">Age</th>' in html
    for blank in ("Called at", "Outcome", "Action taken"):
        assert f'<th scope="col" class="blank">{blank}</th>' in html
    rows = re.findall(r'<th scope="row" data-label="Name">([^<]+)</th>', html)
    assert rows == [
        "ESNAULT Jeanne",
        "FABRE Jeanne",
        "DUMAS Jeanne",
        "CARRE Jeanne",
        "AUBERT Jeanne",
        "BLANC Jeanne",
    ]
    assert html.count('<td class="blank" data-label=') == 3 * 6
    assert "4 Rue de la Mairie, 99100 Valmont<br>Bâtiment B" in html
    assert "Hugo Esnault (Petit-fils)" in html
    # Numbers are dialled from the sheet on a phone: tel: links to the E.164 number.
    assert '<a href="tel:+33475000001">04 75 00 00 01</a>' in html  # the person
    assert '<a class="nowrap" href="tel:+33612345678">06 12 34 56 78</a>' in html  # contact
    # No technical identifier: the agent knows the alert by its headline and its date.
    assert alert.identifier not in html
    assert "Alert not sent yet" in html
    assert "SSIAD du canton" in html
    assert "Electricity-dependent medical equipment" in html
    assert "Landline call" in html
    assert "97</td>" in html
    assert "GIL" not in html and "HAMON" not in html
    assert "alerts/registry/registry.css" in html
    css = (Path(__file__).parents[2] / "static/alerts/registry/registry.css").read_text()
    assert "size: A4 landscape" in css
    assert "display: table-header-group" in css
    # On a phone the rows become labelled cards (checked at 375 px by the browser tests).
    assert "@media screen and (max-width: 60rem)" in css
    assert "content: attr(data-label)" in css
    base_css = (Path(__file__).parents[3] / "core/static/beffroi/css/beffroi.css").read_text()
    assert ".skip-link, .alert-banner { display: none; }" in base_css


def test_it_says_so_when_nobody_is_in_the_target(client: Client, cast: Cast) -> None:
    zones = load_valmont(cast)
    alert = make_alert(cast.org, cast.alert_author, zones["lyon"])
    login_verified(client, cast.social_agent)
    html = client.get(reverse("registry:call_sheet", args=[alert.pk])).content.decode()
    assert "No registered person lives in the target of this alert." in html


def test_it_lists_alerts_with_a_call_sheet_on_the_registry_page(
    client: Client, cast: Cast, zones: dict[str, Zone]
) -> None:
    wanted = make_alert(
        cast.org,
        cast.alert_author,
        zones["bourg"],
        status=Alert.Status.APPROVED,
        include_vulnerable=True,
        headline="Crue",
    )
    make_alert(
        cast.org,
        cast.alert_author,
        zones["bourg"],
        status=Alert.Status.DRAFT,
        include_vulnerable=True,
        headline="Brouillon",
    )
    make_alert(
        cast.org,
        cast.alert_author,
        zones["bourg"],
        status=Alert.Status.APPROVED,
        include_vulnerable=False,
        headline="Sans registre",
    )
    login_verified(client, cast.social_agent)
    html = client.get(reverse("registry:list")).content.decode()
    assert reverse("registry:call_sheet", args=[wanted.pk]) in html
    assert "Brouillon" not in html and "Sans registre" not in html
