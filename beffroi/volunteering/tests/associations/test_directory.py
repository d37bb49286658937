"""The public directory: search, filters, the clustered map, and escaping."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.territory.services import zone_create
from beffroi.testing import Cast
from beffroi.volunteering.associations.selectors import DirectoryFilters, directory_map
from beffroi.volunteering.models import Association
from beffroi.volunteering.tests.factories import make_association

pytestmark = pytest.mark.django_db

LIST = reverse("volunteering_associations:list")
MAP = reverse("volunteering_associations:map")


def _names(response: object) -> list[str]:
    return [a.name for a in response.context["associations"]]  # type: ignore[attr-defined]


@pytest.fixture
def directory(cast: Cast) -> dict[str, Association]:
    return {
        "school": make_association(
            cast.org,
            "École de Musique de Valmont",
            activities=("culture", "education"),
            purpose="Cours de piano et de solfège",
            lon=5.530,
            lat=48.500,
        ),
        "foot": make_association(
            cast.org,
            "AS Valmont Football",
            activities=("sport",),
            status=Association.Status.IMPORTED,
            source=Association.Source.RNA,
            lon=5.5302,
            lat=48.5001,
        ),
        "far": make_association(
            cast.org, "Les Randonneurs du Plateau", activities=("sport",), lon=5.60, lat=48.56
        ),
        "nowhere": make_association(cast.org, "Théâtre sans adresse", activities=("culture",)),
        "pending": make_association(cast.org, "Chorale en attente", status="pending"),
        "refused": make_association(cast.org, "Refusée", status="refused"),
        "dissolved": make_association(cast.org, "Dissoute", status="imported", source="rna",
                                      dissolved_on="2020-01-01"),
        "other": make_association(cast.other_org, "Musique d'Autreville", lon=5.53, lat=48.5),
    }  # fmt: skip


def test_it_lists_only_public_profiles_of_the_organisation(
    cast: Cast, directory: dict[str, Association]
) -> None:
    response = Client().get(LIST)
    assert response.status_code == 200
    assert _names(response) == [
        "AS Valmont Football",
        "École de Musique de Valmont",
        "Les Randonneurs du Plateau",
        "Théâtre sans adresse",
    ]
    assert response.context["without_place"] == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ecole", ["École de Musique de Valmont"]),
        ("ÉCOLE musique", ["École de Musique de Valmont"]),
        ("solfege", ["École de Musique de Valmont"]),
        ("theatre", ["Théâtre sans adresse"]),
        ("valmont", ["AS Valmont Football", "École de Musique de Valmont"]),
        ("chorale", []),
        ("autreville", []),
    ],
)
def test_the_search_ignores_accents_and_case(
    directory: dict[str, Association], query: str, expected: list[str]
) -> None:
    assert _names(Client().get(LIST, {"q": query})) == expected


def test_it_filters_by_activity_and_by_zone(cast: Cast, directory: dict[str, Association]) -> None:
    assert _names(Client().get(LIST, {"activity": "sport"})) == [
        "AS Valmont Football",
        "Les Randonneurs du Plateau",
    ]
    plateau = zone_create(
        organisation=cast.org,
        name="Le Plateau",
        kind="hamlet",
        geometry={
            "type": "Polygon",
            "coordinates": [
                [[5.58, 48.54], [5.62, 48.54], [5.62, 48.58], [5.58, 48.58], [5.58, 48.54]]
            ],
        },
    )
    response = Client().get(LIST, {"zone": plateau.pk})
    assert _names(response) == ["Les Randonneurs du Plateau"]
    assert _names(Client().get(LIST, {"zone": plateau.pk, "activity": "culture"})) == []
    # Unknown values are ignored: the whole list.
    assert len(_names(Client().get(LIST, {"zone": "999999", "activity": "x"}))) == 4


def test_the_map_clusters_close_points_and_splits_them_when_zoomed_in(
    cast: Cast, directory: dict[str, Association]
) -> None:
    far_out = directory_map(organisation=cast.org, filters=DirectoryFilters(), zoom=6)
    clusters = [f for f in far_out["features"] if f["properties"].get("cluster")]
    assert len(clusters) == 1 and clusters[0]["properties"]["count"] == 3
    assert clusters[0]["properties"]["bbox"] == [5.53, 48.5, 5.6, 48.56]

    middle = directory_map(organisation=cast.org, filters=DirectoryFilters(), zoom=14)
    counts = sorted(f["properties"].get("count", 1) for f in middle["features"])
    assert counts == [1, 2]  # the school and the club share the square

    close = json.loads(Client().get(MAP, {"zoom": "19"}).content)
    names = sorted(f["properties"]["name"] for f in close["features"])
    assert names == [
        "AS Valmont Football",
        "Les Randonneurs du Plateau",
        "École de Musique de Valmont",
    ]
    assert close["bbox"] == [5.53, 48.5, 5.6, 48.56]
    school = next(f for f in close["features"] if f["id"] == directory["school"].pk)
    assert school["geometry"]["coordinates"] == [5.53, 48.5]
    assert school["properties"]["url"] == f"/associations/{directory['school'].pk}/"


def test_the_map_follows_the_filters_and_reads_any_zoom(
    directory: dict[str, Association],
) -> None:
    response = Client().get(MAP, {"activity": "sport", "zoom": "19"})
    assert response["Content-Type"] == "application/geo+json"
    names = sorted(f["properties"]["name"] for f in json.loads(response.content)["features"])
    assert names == ["AS Valmont Football", "Les Randonneurs du Plateau"]
    for zoom in ("", "abc", "-4", "99"):
        assert Client().get(MAP, {"zoom": zoom}).status_code == 200
    empty = json.loads(Client().get(MAP, {"q": "nothing like this"}).content)
    assert empty == {"type": "FeatureCollection", "features": []}


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_every_text_field_is_rendered_escaped(cast: Cast) -> None:
    text_fields = (
        "short_name", "purpose", "street_address", "address_complement", "city",
        "contact_name", "opening_hours", "public_served", "accessibility",
        "refusal_reason",
    )  # fmt: skip
    association = make_association(
        cast.org,
        XSS,
        **{name: XSS for name in text_fields},
        phone="<script>alert(1)</script>",  # 40 characters at most
        email="x@example.org",
        website='https://example.org/"><script>alert(1)</script>',
        lon=5.53,
        lat=48.5,
    )
    from beffroi.volunteering.models import Membership

    Membership.objects.create(
        association=association, user=cast.resident, state="active", message=XSS
    )
    agent = Client()
    agent.force_login(cast.participation_manager)
    resident = Client()
    resident.force_login(cast.resident)
    pages = [
        Client().get(LIST),
        Client().get(LIST, {"q": XSS}),
        Client().get(reverse("volunteering_associations:detail", args=[association.pk])),
        resident.get(reverse("volunteering_associations:mine")),
        resident.get(reverse("volunteering_associations:edit", args=[association.pk])),
        agent.get(reverse("volunteering_associations_backoffice:list")),
        agent.get(reverse("volunteering_associations_backoffice:detail", args=[association.pk])),
    ]
    for response in pages:
        body = response.content.decode()
        assert response.status_code == 200
        assert "<script>alert" not in body
        assert "<img src=x" not in body
        assert "&lt;script&gt;" in body
    geojson = Client().get(MAP, {"zoom": "19"})
    # JSON data, drawn by the script with textContent: never HTML.
    assert json.loads(geojson.content)["features"][0]["properties"]["name"] == XSS
