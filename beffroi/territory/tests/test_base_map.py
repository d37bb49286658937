"""The base map drawn when no tile server is configured, and the settings maps read."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from beffroi.territory.basemap import base_map, street_line
from beffroi.territory.models import Commune
from beffroi.territory.services import ban_import
from beffroi.territory.tests.factories import ban_line, write_ban
from beffroi.testing import Cast, login_verified

BASE_MAP = reverse("territory:base_map")


def by_layer(collection: dict[str, Any], layer: str) -> dict[str, dict[str, Any]]:
    return {
        f["properties"]["name"]: f["geometry"]
        for f in collection["features"]
        if f["properties"]["layer"] == layer
    }


def test_it_draws_each_street_through_its_addresses(addresses: Cast) -> None:
    streets = by_layer(base_map(organisation=addresses.org), "street")
    # Rue de la Mairie: 21 addresses at 45.002 (one "bis" beside number 12) from 4.0005 to 4.01.
    mairie = streets["Rue de la Mairie"]
    assert mairie["type"] == "LineString"
    lons = [point[0] for point in mairie["coordinates"]]
    assert lons == sorted(lons) or lons == sorted(lons, reverse=True)
    assert min(lons) < 4.0015 and max(lons) > 4.009
    assert all(abs(lat - 45.002) < 0.0001 for _lon, lat in mairie["coordinates"])
    # A street whose addresses share one spot is a point; every BAN street is there once.
    assert streets["Route de Lyon"] == {"type": "Point", "coordinates": [4.03, 45.03]}
    assert set(streets) == {
        "Avenue du Général de Gaulle",
        "Chemin des Écoliers",
        "Impasse Saint-Exupéry",
        "Place de la Mairie",
        "Route de Lyon",
        "Rue de l'Église",
        "Rue de la Mairie",
    }


def test_it_names_the_lieux_dits_and_the_commune(addresses: Cast) -> None:
    collection = base_map(organisation=addresses.org)
    # "Le Bourg" is a lieu-dit addressed without a street: one place label, no street label.
    assert by_layer(collection, "place") == {
        "Le Bourg": {"type": "Point", "coordinates": [4.0025, 45.0025]}
    }
    communes = by_layer(collection, "commune")
    assert list(communes) == ["Valmont"]
    assert communes["Valmont"]["type"] == "Point"
    assert by_layer(collection, "boundary") == {}


def test_it_puts_the_communes_name_inside_its_outline(addresses: Cast) -> None:
    outline = {
        "type": "Polygon",
        "coordinates": [[[3.9, 44.9], [4.1, 44.9], [4.1, 45.1], [3.9, 45.1], [3.9, 44.9]]],
    }
    Commune.objects.filter(organisation=addresses.org).update(boundary=outline)
    collection = base_map(organisation=addresses.org)
    assert by_layer(collection, "boundary") == {"Valmont": outline}
    lon, lat = by_layer(collection, "commune")["Valmont"]["coordinates"]
    assert 3.9 < lon < 4.1 and 44.9 < lat < 45.1


def test_it_follows_the_roadway_between_the_two_sides_of_a_street() -> None:
    # Odd numbers 9 m north of the road, even ones 9 m south, along a street going north-east.
    along = np.arange(20) * 12.0
    side = np.where(np.arange(20) % 2, 9.0, -9.0)
    angle = math.radians(35)
    x = along * math.cos(angle) - side * math.sin(angle)
    y = along * math.sin(angle) + side * math.cos(angle)
    metres_per_degree = 111_320.0
    lats = 45.0 + y / metres_per_degree
    lons = 4.0 + x / (metres_per_degree * math.cos(math.radians(45.0)))
    line = street_line(lons, lats)
    assert len(line) == 8
    stations = []
    for lon, lat in line:
        # Back to metres: every vertex lies on the road's axis (within 2 m), not on a side.
        px = (lon - 4.0) * metres_per_degree * math.cos(math.radians(45.0))
        py = (lat - 45.0) * metres_per_degree
        distance = abs(-px * math.sin(angle) + py * math.cos(angle))
        assert distance < 2.0, (px, py, distance)
        stations.append(px * math.cos(angle) + py * math.sin(angle))
    # From the first house (0 m) to the last (228 m), in order.
    if stations[0] > stations[-1]:
        stations.reverse()
    assert stations == sorted(stations)
    assert abs(stations[0]) < 2.0 and abs(stations[-1] - 228.0) < 2.0, stations


def test_it_serves_the_organisations_own_base_map(addresses: Cast, tmp_path: Any) -> None:
    other_file = write_ban(
        tmp_path / "adresses-99002.csv",
        ban_line("99002_0010_00001", "1", "Rue d'Autreville", "5.0", "46.0", insee="99002"),
    )
    ban_import(organisation=addresses.other_org, path=other_file)
    response = Client().get(BASE_MAP)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "public" in response["Cache-Control"]
    names = {f["properties"]["name"] for f in response.json()["features"]}
    assert "Rue de la Mairie" in names
    assert "Rue d'Autreville" not in names
    other = Client(HTTP_HOST="autreville.localhost").get(BASE_MAP).json()
    assert {f["properties"]["name"] for f in other["features"]} >= {"Rue d'Autreville"}
    assert "Rue de la Mairie" not in {f["properties"]["name"] for f in other["features"]}


def test_it_refuses_to_write_to_the_base_map(addresses: Cast) -> None:
    assert Client().post(BASE_MAP).status_code == 405


def test_it_gives_only_the_communes_name_before_the_ban_is_imported(cast: Cast) -> None:
    collection = base_map(organisation=cast.org)
    assert [f["properties"]["layer"] for f in collection["features"]] in (["commune"], [])


def map_settings(*, draw: bool = False) -> dict[str, Any]:
    request = RequestFactory().get("/")
    html = Template(
        "{% load territory_maps %}{% map_settings draw=draw as s %}{{ s|json_script:'s' }}"
    ).render(Context({"draw": draw, "request": request}))
    payload = html.split(">", 1)[1].rsplit("</script>", 1)[0]
    result: dict[str, Any] = json.loads(payload)
    return result


@pytest.mark.parametrize("tile_url", ["/tiles/{z}/{x}/{y}.png", ""])
def test_it_asks_maps_to_draw_the_streets_without_a_tile_server(
    settings: Any, tile_url: str
) -> None:
    settings.TILE_URL = tile_url
    assert map_settings()["baseMapUrl"] == BASE_MAP


def test_it_leaves_the_streets_to_a_configured_tile_server(settings: Any) -> None:
    settings.TILE_URL = "https://{s}.tile.openstreetmap.fr/osmfr/{z}/{x}/{y}.png"
    assert map_settings()["baseMapUrl"] == ""


def test_it_translates_the_drawing_tools_only_where_there_are_some() -> None:
    assert "draw" not in map_settings()
    with translation.override("fr"):
        strings = map_settings(draw=True)
    assert strings["zoomIn"] == "Zoomer"
    assert strings["draw"]["draw"]["toolbar"]["buttons"]["polygon"] == "Dessiner un polygone"
    assert strings["draw"]["edit"]["toolbar"]["buttons"]["editDisabled"] == (
        "Aucune forme à modifier"
    )

    # Every string Leaflet.draw 1.0.4 shows on a zone map has its translation.
    def leaves(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [leaf for item in value.values() for leaf in leaves(item)]
        return [value]

    with translation.override("en"):
        english = leaves(map_settings(draw=True)["draw"])
    french = leaves(strings["draw"])
    assert len(english) == len(french) == 38
    assert all(fr != en for fr, en in zip(french, english, strict=True))


@pytest.mark.parametrize("name", ["zone_list", "zone_create"])
def test_it_gives_zone_maps_their_settings(addresses: Cast, name: str) -> None:
    client = Client()
    login_verified(client, addresses.administrator)
    response = client.get(reverse(f"territory_backoffice:{name}"))
    html = response.content.decode()
    assert 'id="beffroi-map-settings"' in html
    assert "beffroi/css/map.css" in html
    assert ('"draw":' in html) is (name == "zone_create")


def test_it_computes_the_drawing_once_per_state_of_the_address_base(
    addresses: Cast, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Public and costly (every address is read): an anonymous visitor asking again and
    again gets the drawing already made, until an address is added."""
    from beffroi.territory import basemap

    computed: list[int] = []
    real = basemap.base_map

    def counting(*, organisation: Any) -> Any:
        computed.append(organisation.pk)
        return real(organisation=organisation)

    monkeypatch.setattr(basemap, "base_map", counting)
    first = Client().get(BASE_MAP).json()
    for _ in range(3):
        assert Client().get(BASE_MAP).json() == first
    assert len(computed) == 1

    more = write_ban(
        tmp_path / "more.csv",
        ban_line("99001_0999_00001", "1", "Impasse Neuve", "4.0001", "45.0001"),
    )
    ban_import(organisation=addresses.org, path=more)
    names = {f["properties"]["name"] for f in Client().get(BASE_MAP).json()["features"]}
    assert "Impasse Neuve" in names
    assert len(computed) == 2
