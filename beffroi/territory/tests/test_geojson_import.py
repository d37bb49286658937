from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from beffroi.core.imports import ImportRefused
from beffroi.core.models import AuditEvent
from beffroi.territory.models import Zone, ZoneMembership
from beffroi.territory.services import zones_import_geojson
from beffroi.territory.tests.factories import DATA, collection, feature, square
from beffroi.testing import Cast

BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[4.0, 45.0], [4.01, 45.01], [4.01, 45.0], [4.0, 45.01], [4.0, 45.0]]],
}
UNCLOSED = {
    "type": "Polygon",
    "coordinates": [[[4.0, 45.0], [4.01, 45.0], [4.01, 45.01], [4.0, 45.01]]],
}
TOO_FEW = {"type": "Polygon", "coordinates": [[[4.0, 45.0], [4.01, 45.0], [4.0, 45.0]]]}
LAMBERT = {
    "type": "Polygon",
    "coordinates": [[[843000, 6520000], [844000, 6520000], [844000, 6521000], [843000, 6520000]]],
}
POINT = {"type": "Point", "coordinates": [4.0, 45.0]}

BAD_FILES: dict[str, tuple[bytes, str]] = {
    "not json": (b"{not json", "not valid JSON"),
    "not utf-8": (
        '{"type": "FeatureCollection", "features": [], "name": "é"}'.encode("latin-1"),
        "UTF-8",
    ),
    "not geojson": (b'{"hello": "world"}', "not a GeoJSON"),
    "a json list": (b"[1, 2]", "not a GeoJSON"),
    "no features": (collection(), "no feature"),
    "a point": (
        collection(feature("Mairie", POINT)),
        "Feature 1 (“Mairie”): the geometry is a Point",
    ),
    "self-intersecting": (
        collection(feature("Noeud", BOWTIE)),
        "Feature 1 (“Noeud”): the geometry is invalid: Self-intersection",
    ),
    "unclosed ring": (
        collection(feature("Ouvert", UNCLOSED)),
        "Feature 1 (“Ouvert”): the outer ring is not closed",
    ),
    "too few points": (collection(feature("Plat", TOO_FEW)), "at least 4"),
    "lambert-93 coordinates": (collection(feature("Lambert", LAMBERT)), "Lambert-93"),
    "projected crs": (
        collection(
            feature("A", square(4.0, 45.0, 0.01)),
            crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
        ),
        "EPSG::2154",
    ),
    "missing name": (
        collection(feature(None, square(4.0, 45.0, 0.01), code="X")),
        "Feature 1: no “name” or “nom” property",
    ),
    "empty name": (collection(feature("  ", square(4.0, 45.0, 0.01))), "Feature 1: no “name”"),
    "duplicate names": (
        collection(
            feature("Haut", square(4.0, 45.0, 0.01)), feature("haut", square(4.1, 45.0, 0.01))
        ),
        "Feature 2 (“haut”): the name is also used by feature 1",
    ),
    "nan coordinates": (
        b'{"type": "Polygon", "coordinates": [[[NaN, 45], [4, 45], [4, 46], [NaN, 45]]]}',
        "not valid JSON",
    ),
    "too many features": (
        collection(*[feature(f"Z{i}", square(4.0, 45.0, 0.01)) for i in range(2001)]),
        "2001 features",
    ),
    "no geometry": (
        collection({"type": "Feature", "properties": {"name": "Vide"}, "geometry": None}),
        "has no geometry",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_it_refuses_a_bad_file_and_writes_nothing(cast: Cast, case: str) -> None:
    data, expected = BAD_FILES[case]
    before = list(Zone.objects.values_list("id", "name"))
    with pytest.raises(ImportRefused) as caught:
        zones_import_geojson(organisation=cast.org, data=data, kind="hamlet")
    assert any(expected in error for error in caught.value.messages), caught.value.messages
    assert list(Zone.objects.values_list("id", "name")) == before


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_the_command_exits_non_zero_on_a_bad_file(cast: Cast, case: str, tmp_path: Path) -> None:
    data, expected = BAD_FILES[case]
    path = tmp_path / "zones.geojson"
    path.write_bytes(data)
    with pytest.raises(CommandError) as caught:
        call_command("import_zones", str(path), "--kind", "hamlet", stdout=StringIO())
    assert expected in str(caught.value)
    assert Zone.objects.count() == 0


def test_it_reports_all_errors_not_just_the_first(cast: Cast) -> None:
    data = collection(
        feature("Bon", square(4.0, 45.0, 0.01)),
        feature("Noeud", BOWTIE),
        feature("Ouvert", UNCLOSED),
        feature(None, square(4.2, 45.0, 0.01)),
    )
    with pytest.raises(ImportRefused) as caught:
        zones_import_geojson(organisation=cast.org, data=data, kind="flood")
    errors = caught.value.messages
    assert len(errors) == 3
    assert errors[0].startswith("Feature 2 (“Noeud”)")
    assert errors[1].startswith("Feature 3 (“Ouvert”)")
    assert errors[2].startswith("Feature 4:")
    assert Zone.objects.count() == 0


def test_it_refuses_a_file_over_the_size_limit(cast: Cast) -> None:
    data = collection(feature("Gros", square(4.0, 45.0, 0.01), padding="x" * (11 * 1024 * 1024)))
    with pytest.raises(ImportRefused) as caught:
        zones_import_geojson(organisation=cast.org, data=data, kind="hamlet")
    assert "MB" in caught.value.messages[0]


def test_it_refuses_too_many_vertices(cast: Cast) -> None:
    ring: list[list[float]] = [[4.0 + i * 1e-6, 45.0] for i in range(210_000)]
    ring += [[4.3, 45.1], [4.0, 45.0]]
    data = collection(feature("Dense", {"type": "Polygon", "coordinates": [ring]}))
    with pytest.raises(ImportRefused) as caught:
        zones_import_geojson(organisation=cast.org, data=data, kind="hamlet")
    assert "vertices" in caught.value.messages[0]


def test_it_imports_a_qgis_file_with_a_name_property(addresses: Cast) -> None:
    data = (DATA / "zones-hamlets.geojson").read_bytes()
    report = zones_import_geojson(
        organisation=addresses.org, data=data, kind="hamlet", name_property="NOM"
    )
    zones = report.zones

    assert (report.lines, report.created, report.updated, report.written) == (2, 2, 0, True)
    assert [z.name for z in zones] == ["Le Bourg", "Les Écarts"]
    bourg, ecarts = zones
    assert bourg.geometry["type"] == "Polygon"
    assert ecarts.geometry["type"] == "MultiPolygon"
    assert (bourg.min_lon, bourg.min_lat, bourg.max_lon, bourg.max_lat) == (
        4.0,
        45.0,
        4.005,
        45.005,
    )
    # ~ 397 m × 556 m at latitude 45°
    assert 210_000 < bourg.area_m2 < 230_000
    assert bourg.memberships.count() == 16
    assert ecarts.memberships.count() == 3
    event = AuditEvent.objects.get(action="zone.import")
    assert event.data["created"] == 2


def test_it_needs_the_name_property_when_given(cast: Cast) -> None:
    data = (DATA / "zones-hamlets.geojson").read_bytes()
    with pytest.raises(ImportRefused) as caught:
        zones_import_geojson(organisation=cast.org, data=data, kind="hamlet", name_property="name")
    assert caught.value.messages == [
        "Feature 1: the property “name” holding the name is missing or empty.",
        "Feature 2: the property “name” holding the name is missing or empty.",
    ]


def test_it_refuses_duplicates_of_existing_zones_unless_replacing(addresses: Cast) -> None:
    first = collection(feature("Le Bourg", square(4.0, 45.0, 0.001)))
    [zone] = zones_import_geojson(organisation=addresses.org, data=first, kind="hamlet").zones
    small = zone.memberships.count()

    bigger = collection(
        feature("Le Bourg", square(4.0, 45.0, 0.005)), feature("Nouveau", square(4.1, 45.1, 0.01))
    )
    with pytest.raises(ImportRefused) as caught:
        zones_import_geojson(organisation=addresses.org, data=bigger, kind="hamlet")
    assert "already exists" in caught.value.messages[0]
    assert Zone.objects.count() == 1

    # The same name in another kind is another zone.
    zones_import_geojson(organisation=addresses.org, data=first, kind="flood")

    report = zones_import_geojson(
        organisation=addresses.org, data=bigger, kind="hamlet", replace=True
    )
    zones = report.zones
    assert (report.created, report.updated) == (1, 1)
    assert zones[0].pk == zone.pk
    zone.refresh_from_db()
    assert zone.max_lon == pytest.approx(4.005)
    assert zone.memberships.count() == 16 > small
    assert Zone.objects.filter(kind="hamlet").count() == 2


def test_it_accepts_a_bare_geometry_feature_and_wgs84_crs_names(cast: Cast) -> None:
    for index, crs in enumerate(["EPSG:4326", "urn:ogc:def:crs:EPSG::4326", "OGC:CRS84"]):
        data = json.dumps(
            {
                **feature(f"Zone {index}", square(4.0, 45.0, 0.01)),
                "crs": {"type": "name", "properties": {"name": crs}},
            }
        ).encode()
        zones_import_geojson(organisation=cast.org, data=data, kind="custom")
    assert Zone.objects.count() == 3


def test_the_command_imports_a_valid_file(addresses: Cast) -> None:
    out, err = StringIO(), StringIO()
    call_command(
        "import_zones",
        str(DATA / "zones-hamlets.geojson"),
        "--kind",
        "hamlet",
        "--name-property",
        "NOM",
        stdout=out,
        stderr=err,
    )
    assert "2 zone(s) imported" in out.getvalue()
    assert "100.0%" in err.getvalue()  # the progress bar's milestones (stderr is not a tty)
    assert "Le Bourg: 16 address(es)" in out.getvalue()
    assert ZoneMembership.objects.count() == 19


def test_the_command_refuses_a_bad_kind(cast: Cast) -> None:
    with pytest.raises(CommandError):
        call_command("import_zones", str(DATA / "zones-hamlets.geojson"), "--kind", "volcano")
    assert Zone.objects.count() == 0
