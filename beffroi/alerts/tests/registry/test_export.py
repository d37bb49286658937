"""The CSV export: opens in Excel (UTF-8 with BOM, ``;``), follows the filters, is audited."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.alerts.models import VulnerablePerson
from beffroi.alerts.tests.factories import address, load_valmont, make_person
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
            address(cast.org, "Rue de l'Église", "4"),
            last_name="Hervé",
            first_name="Éloïse",
            age=88,
            phone="+262262123456",
            electricity_dependent=True,
            contact_name="Zoé Hervé",
            contact_phone="+33612345678",
            request_source="third_party",
            requested_by="Dr Morel, médecin traitant",
        ),
        make_person(
            cast.org,
            address(cast.org, "Route de Lyon", "10"),
            last_name="=HYPERLINK(1)",
            first_name="Test",
        ),
    ]


def export_rows(response: object) -> list[list[str]]:
    content: bytes = response.content  # type: ignore[attr-defined]
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_it_exports_the_registry_as_csv_for_excel(
    client: Client, cast: Cast, persons: list[VulnerablePerson]
) -> None:
    login_verified(client, cast.social_agent)
    response = client.get(reverse("registry:export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate()
    assert response["Content-Disposition"] == (
        f'attachment; filename="registre-valmont-{today:%Y-%m-%d}.csv"'
    )
    assert "no-store" in response["Cache-Control"]
    rows = export_rows(response)
    header, *body = rows
    assert header[:7] == [
        "Record",
        "Last name",
        "First name",
        "Date of birth",
        "Age",
        "Registered as",
        "Address",
    ]
    assert len(body) == 2
    # Sorted by name: "=HYPERLINK" sorts before "Hervé".
    formula, herve = body
    record = dict(zip(header, herve, strict=True))
    assert record["Record"] == str(persons[0].pk)
    assert record["Last name"] == "Hervé"
    assert record["First name"] == "Éloïse"
    assert record["Age"] == "88"
    assert record["Registered as"] == "Aged 65 or over"
    assert record["Address"] == "4 Rue de l'Église, 99100 Valmont"
    # Numbers as dialled from France (overseas departments included): no "+" that a
    # spreadsheet would read as a formula.
    assert record["Phone"] == "0262 12 34 56"
    assert record["Contact phone"] == "06 12 34 56 78"
    assert record["Electricity-dependent medical equipment"] == "yes"
    assert record["Reduced mobility"] == "no"
    assert record["Request made by"].startswith("A third party")
    assert record["Third party"] == "Dr Morel, médecin traitant"
    assert record["Last confirmed on"] == today.isoformat()
    # A value a spreadsheet would run as a formula is neutralised.
    assert formula[1] == "'=HYPERLINK(1)"
    assert b"\r\n" in response.content
    event = AuditEvent.objects.get(action="registry.export")
    assert event.actor == cast.social_agent
    assert event.data["count"] == 2


def test_it_exports_only_the_filtered_persons(
    client: Client, cast: Cast, zones: dict[str, Zone], persons: list[VulnerablePerson]
) -> None:
    login_verified(client, cast.social_agent)
    response = client.get(reverse("registry:export"), {"zone": zones["lyon"].pk})
    rows = export_rows(response)
    assert [row[0] for row in rows[1:]] == [str(persons[1].pk)]
    response = client.get(reverse("registry:export"), {"needs": "electricity_dependent"})
    assert [row[0] for row in export_rows(response)[1:]] == [str(persons[0].pk)]
    counts = list(
        AuditEvent.objects.filter(action="registry.export")
        .order_by("id")
        .values_list("data__count", flat=True)
    )
    assert counts == [1, 1]
