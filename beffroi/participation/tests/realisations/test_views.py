"""Realisations' pages: the public list's filters, the map's GeoJSON and the exports, a
realisation's page (escaped text, follow), the back office and who may reach it."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

from django.test import Client
from django.urls import reverse

from beffroi.alerts.tests.factories import make_zone
from beffroi.core.models import AuditEvent
from beffroi.participation.models import (
    Milestone,
    MilestonePhoto,
    Process,
    Realisation,
    RealisationFollow,
)
from beffroi.participation.realisations import services
from beffroi.participation.realisations.services import RealisationInput
from beffroi.participation.tests.factories import participant
from beffroi.participation.tests.proposals.helpers import XSS_PAYLOADS, jpeg_with_gps
from beffroi.participation.tests.realisations.helpers import budget_with_outcome, realisations_of
from beffroi.testing import Cast, login_verified

PUBLIC = "participation_realisations"
BO = "participation_realisations_backoffice"


def _client(user: Any = None, host: str = "testserver") -> Client:
    client = Client(HTTP_HOST=host)
    if user is not None:
        login_verified(client, user)
    return client


def _three(cast: Cast) -> list[Realisation]:
    """Projects 1, 2 and 3 realised: 1 in the hamlet (2026, works), 2 unplaced (2025,
    delivered), 3 outside the hamlet (2026, planned)."""
    hamlet = make_zone(cast.org, "Hameau du Pré", 3.99, 44.99, 0.02)
    first, second, third = realisations_of(cast, budget_with_outcome(cast, winners=(0, 1, 2)))
    manager = cast.participation_manager

    def update(realisation: Realisation, **fields: Any) -> Realisation:
        values: dict[str, Any] = {
            "title": realisation.title,
            "budget_planned": realisation.budget_planned,
            "year": realisation.year,
        }
        values.update(fields)
        return services.realisation_update(
            realisation=realisation, agent=manager, data=RealisationInput(**values)
        )

    first = update(first, lat=45.0, lon=4.0)
    assert list(first.zones.all()) == [hamlet]
    services.realisation_status_set(realisation=first, agent=manager, status="works", progress=45)
    second = update(second, year=2025)
    services.realisation_status_set(
        realisation=second, agent=manager, status="delivered", progress=100
    )
    third = update(third, lat=45.5, lon=4.5)
    return [first, second, third]


def _titles(response: Any) -> list[str]:
    return sorted(r.title for r in response.context["realisations"])


def test_it_filters_the_public_list_by_year_district_and_status(cast: Cast) -> None:
    first, _second, _third = _three(cast)
    hamlet = first.zones.get()
    client = _client()
    url = reverse(f"{PUBLIC}:list")
    response = client.get(url)
    assert response.status_code == 200
    assert _titles(response) == ["Projet 1", "Projet 2", "Projet 3"]
    page = response.content.decode()
    assert "Works in progress" in page and "Progress: 45 %" in page
    assert _titles(client.get(url, {"year": "2025"})) == ["Projet 2"]
    assert _titles(client.get(url, {"zone": str(hamlet.pk)})) == ["Projet 1"]
    assert _titles(client.get(url, {"status": "planned"})) == ["Projet 3"]
    assert _titles(client.get(url, {"year": "2026", "status": "works"})) == ["Projet 1"]
    # Unreadable filters are ignored, not an error.
    assert _titles(client.get(url, {"year": "x", "zone": "999999", "status": "<b>"})) == [
        "Projet 1",
        "Projet 2",
        "Projet 3",
    ]


def test_it_serves_the_map_and_the_geojson_export(cast: Cast) -> None:
    _three(cast)
    client = _client()
    document = json.loads(client.get(reverse(f"{PUBLIC}:geojson")).content)
    placed = {f["properties"]["name"]: f for f in document["features"]}
    assert set(placed) == {"Projet 1", "Projet 3"}
    assert placed["Projet 1"]["geometry"] == {"type": "Point", "coordinates": [4.0, 45.0]}
    assert placed["Projet 1"]["properties"]["progress"] == 45
    filtered = json.loads(client.get(reverse(f"{PUBLIC}:geojson"), {"status": "planned"}).content)
    assert [f["properties"]["name"] for f in filtered["features"]] == ["Projet 3"]

    response = client.get(reverse(f"{PUBLIC}:export_geojson"))
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Disposition"].startswith("attachment")
    exported = {f["properties"]["name"]: f for f in json.loads(response.content)["features"]}
    assert set(exported) == {"Projet 1", "Projet 2", "Projet 3"}
    assert exported["Projet 2"]["geometry"] is None
    assert exported["Projet 2"]["properties"]["delivered_at"] is not None
    assert exported["Projet 1"]["properties"]["zones"] == ["Hameau du Pré"]


def test_it_exports_csv_with_formulas_neutralised(cast: Cast) -> None:
    first, _second, _third = _three(cast)
    services.realisation_update(
        realisation=first,
        agent=cast.participation_manager,
        data=RealisationInput(
            title='=HYPERLINK("https://evil.example","clic")',
            service="@SUM(A1)",
            budget_planned=first.budget_planned,
            year=first.year,
            lat=45.0,
            lon=4.0,
        ),
    )
    response = _client().get(reverse(f"{PUBLIC}:export_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Id", "Title", "Budget"] and len(rows) == 4
    evil = next(r for r in rows if "HYPERLINK" in r[1])
    assert evil[1].startswith("'=") and evil[6] == "'@SUM(A1)"
    assert evil[4] == "Works in progress" and evil[5] == "45"


def test_it_keeps_titles_and_milestones_inert(cast: Cast, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    realisation = realisations_of(cast, budget_with_outcome(cast, winners=(0,)))[0]
    payload = " ".join(XSS_PAYLOADS)
    realisation = services.realisation_update(
        realisation=realisation,
        agent=cast.participation_manager,
        data=RealisationInput(
            title=payload[:300], budget_planned=realisation.budget_planned, year=2026
        ),
    )
    services.milestone_add(
        realisation=realisation,
        agent=cast.participation_manager,
        on=date(2026, 5, 4),
        title="<script>alert('m')</script>",
        text=payload,
    )
    for url in (
        reverse(f"{PUBLIC}:list"),
        reverse(f"{PUBLIC}:detail", args=[realisation.pk]),
    ):
        page = _client().get(url).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<svg onload" not in page and "<iframe" not in page
    backoffice = _client(cast.participation_manager).get(
        reverse(f"{BO}:detail", args=[realisation.pk])
    )
    assert "<script>alert" not in backoffice.content.decode()


def test_it_lets_a_resident_follow_and_unfollow(cast: Cast) -> None:
    realisation = realisations_of(cast, budget_with_outcome(cast, winners=(0,)))[0]
    detail = reverse(f"{PUBLIC}:detail", args=[realisation.pk])
    anonymous = _client().post(reverse(f"{PUBLIC}:follow", args=[realisation.pk]))
    assert anonymous.status_code == 302 and "next=" in anonymous["Location"]
    assert not RealisationFollow.objects.exists()
    person = participant(cast.resident, cast.org)
    client = _client(cast.resident)
    response = client.post(reverse(f"{PUBLIC}:follow", args=[realisation.pk]))
    assert response.status_code == 302 and response["Location"] == detail
    assert RealisationFollow.objects.filter(realisation=realisation, participant=person).exists()
    assert "Stop following" in client.get(detail).content.decode()
    client.post(reverse(f"{PUBLIC}:unfollow", args=[realisation.pk]))
    assert not RealisationFollow.objects.exists()
    assert client.get(reverse(f"{PUBLIC}:follow", args=[realisation.pk])).status_code == 405


def test_it_guards_the_back_office_and_other_organisations(cast: Cast) -> None:
    budget = budget_with_outcome(cast, winners=(0,))
    realisation = realisations_of(cast, budget)[0]
    pages = [
        reverse(f"{BO}:list"),
        reverse(f"{BO}:create"),
        reverse(f"{BO}:detail", args=[realisation.pk]),
        reverse(f"{BO}:update", args=[realisation.pk]),
        reverse(f"{BO}:status", args=[realisation.pk]),
        reverse(f"{BO}:milestone", args=[realisation.pk]),
    ]
    resident = _client(cast.resident)
    for url in pages:
        assert resident.get(url).status_code == 403, url
    assert resident.post(reverse(f"{BO}:from_outcome", args=[budget.pk])).status_code == 403
    manager = _client(cast.participation_manager)
    for url in pages:
        assert manager.get(url).status_code == 200, url
    other = _client(cast.other_admin, host="autreville.localhost")
    for url in pages[2:]:
        assert other.get(url).status_code == 404, url
    assert other.post(reverse(f"{BO}:from_outcome", args=[budget.pk])).status_code == 404
    foreign = Client(HTTP_HOST="autreville.localhost")
    assert foreign.get(reverse(f"{PUBLIC}:detail", args=[realisation.pk])).status_code == 404
    assert json.loads(foreign.get(reverse(f"{PUBLIC}:geojson")).content)["features"] == []
    # A draft process's realisations are its managers' only.
    Process.objects.filter(pk=budget.process_id).update(status=Process.Status.DRAFT)
    assert _client().get(reverse(f"{PUBLIC}:detail", args=[realisation.pk])).status_code == 404
    assert "Projet 1" not in _client().get(reverse(f"{PUBLIC}:list")).content.decode()
    assert manager.get(reverse(f"{PUBLIC}:detail", args=[realisation.pk])).status_code == 200


def test_it_runs_the_back_office_from_outcome_to_milestone(
    cast: Cast, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    budget = budget_with_outcome(cast, winners=(0, 2))
    manager = _client(cast.participation_manager)
    listing = manager.get(reverse(f"{BO}:list")).content.decode()
    assert reverse(f"{BO}:from_outcome", args=[budget.pk]) in listing
    response = manager.post(reverse(f"{BO}:from_outcome", args=[budget.pk]))
    assert response.status_code == 302
    assert Realisation.objects.filter(budget=budget).count() == 2
    manager.post(reverse(f"{BO}:from_outcome", args=[budget.pk]))
    assert Realisation.objects.filter(budget=budget).count() == 2
    realisation = Realisation.objects.get(budget=budget, title="Projet 1")

    status_url = reverse(f"{BO}:status", args=[realisation.pk])
    refused = manager.post(status_url, {"status": "abandoned", "progress": "10", "reason": ""})
    assert refused.status_code == 200 and "residents read it" in refused.content.decode()
    refused = manager.post(status_url, {"status": "works", "progress": "120"})
    assert "between 0 and 100" in refused.content.decode()
    assert manager.post(status_url, {"status": "works", "progress": "30"}).status_code == 302
    realisation.refresh_from_db()
    assert (realisation.status, realisation.progress) == ("works", 30)

    update = manager.post(
        reverse(f"{BO}:update", args=[realisation.pk]),
        {
            "title": "Éclairage du stade",
            "description": "Des mâts LED.",
            "service": "Services techniques",
            "budget_planned": "30000",
            "budget_spent": "1250.50",
            "year": "2026",
            "lat": "45.01",
            "lon": "4.01",
        },
    )
    assert update.status_code == 302
    realisation.refresh_from_db()
    assert realisation.title == "Éclairage du stade" and str(realisation.budget_spent) == "1250.50"

    milestone_url = reverse(f"{BO}:milestone", args=[realisation.pk])
    missing_alt = manager.post(
        milestone_url, {"date": "2026-05-04", "title": "Travaux", "photo_1": jpeg_with_gps()}
    )
    page = missing_alt.content.decode()
    assert missing_alt.status_code == 200 and "Describe the photo for people" in page
    # Told once, by the description's own field (not "Photo 1: Photo 1: …").
    assert page.count("Describe the photo for people") == 2  # the summary and the field
    assert 'id="id_alt_1"' in page and 'aria-invalid="true"' in page
    assert not Milestone.objects.exists()
    added = manager.post(
        milestone_url,
        {
            "date": "2026-05-04",
            "title": "Travaux",
            "text": "Les mâts sont posés.",
            "photo_1": jpeg_with_gps(),
            "alt_1": "Deux mâts neufs au bord du terrain",
        },
    )
    assert added.status_code == 302
    photo = MilestonePhoto.objects.get()
    page = _client().get(reverse(f"{PUBLIC}:detail", args=[realisation.pk])).content.decode()
    assert 'alt="Deux mâts neufs au bord du terrain"' in page and "Progress: 30 %" in page
    served = _client().get(reverse(f"{PUBLIC}:photo", args=[photo.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "participation.realisations_from_outcome",
        "participation.realisation_status",
        "participation.realisation_update",
        "participation.realisation_milestone",
    } <= actions
