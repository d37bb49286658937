"""The demo commune's geography, generated in code from a fixed seed.

Everything is built in a local metric plane (metres east and north of the town hall) and
converted to WGS84 at the end, rounded to 7 decimals (about a centimetre): the same seed
always gives byte-identical GeoJSON, so two loads of the demo can be compared exactly.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import transform

from beffroi.demo import constants as c

_METRES_PER_DEGREE_LAT = 111_320.0


def _metres_per_degree_lon() -> float:
    return _METRES_PER_DEGREE_LAT * math.cos(math.radians(c.CENTRE_LAT))


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    lon = c.CENTRE_LON + x / _metres_per_degree_lon()
    lat = c.CENTRE_LAT + y / _METRES_PER_DEGREE_LAT
    return round(lon, 7), round(lat, 7)


def _geometry_to_lonlat(geometry: BaseGeometry) -> BaseGeometry:
    def project(xs: Any, ys: Any, zs: Any = None) -> tuple[Any, Any]:
        pairs = [to_lonlat(x, y) for x, y in zip(xs, ys, strict=True)]
        return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)

    return transform(project, geometry)


@dataclass(frozen=True)
class Place:
    """A hamlet or district: where it is, and the zone drawn around it."""

    name: str
    kind: str  # "hamlet" or "district"
    x: float
    y: float
    radius: float
    description: str


@dataclass
class Geography:
    boundary: Polygon
    river: LineString
    places: list[Place]
    zones: dict[str, list[tuple[Place | None, str, Polygon, str]]] = field(default_factory=dict)

    def place(self, name: str) -> Place:
        return next(p for p in self.places if p.name == name)


# Name, kind, position (m from the town hall), radius of the zone, description (data of a
# French commune, so in French like a real commune's own files).
PLACES: tuple[Place, ...] = (
    Place("le Bourg", "district", 0, 0, 520, "Centre-bourg : mairie, école, commerces."),
    Place(
        "la Croix-Blanche",
        "district",
        900,
        650,
        420,
        "Quartier pavillonnaire au nord-est du bourg.",
    ),
    Place("le Champ de Foire", "district", -950, 520, 380, "Stade et lotissement récent."),
    Place("le Moulin", "hamlet", -1350, -700, 380, "Ancien moulin sur l'Aulne."),
    Place("les Granges", "hamlet", 1900, -450, 420, "Fermes du plateau."),
    Place(
        "la Haute-Borne",
        "hamlet",
        350,
        2050,
        400,
        "Hameau de la colline, point culminant de la commune.",
    ),
    Place("Saint-Firmin", "hamlet", -2150, 1250, 380, "Hameau groupé autour de sa chapelle."),
    Place("les Aulnaies", "hamlet", 1250, -1750, 380, "Hameau des prés de l'Aulne."),
)


def _boundary(rng: random.Random) -> Polygon:
    """An irregular, roughly 3 km radius outline (communes are rarely round)."""
    points = []
    vertices = 36
    for i in range(vertices):
        angle = 2 * math.pi * i / vertices
        radius = 2900 + 350 * math.sin(3 * angle + 0.4) + rng.uniform(-180, 180)
        points.append((radius * math.cos(angle), radius * math.sin(angle) * 0.92))
    return Polygon(points)


def _river(rng: random.Random) -> LineString:
    """The Aulne: a meandering line from west to east, passing just south of the centre."""
    points = []
    for i in range(41):
        x = -4200 + i * 210
        y = -330 + 260 * math.sin(x / 900) - 0.18 * x + rng.uniform(-25, 25)
        points.append((x, y))
    return LineString(points)


def _place_zones(boundary: Polygon, river: LineString) -> list[tuple[Place, Polygon]]:
    """A disc around each place, cut by the Voronoi cells of the places so none overlap."""
    seeds = MultiPoint([(p.x, p.y) for p in PLACES])
    cells = shapely.voronoi_polygons(seeds, extend_to=boundary.buffer(2000))
    result = []
    for place in PLACES:
        origin = Point(place.x, place.y)
        cell = next(g for g in cells.geoms if g.contains(origin))
        # A 24-sided disc: smooth enough on a map, small enough in the database.
        disc = origin.buffer(place.radius, quad_segs=6)
        # The 15 m inner margin keeps neighbours apart and every zone inside the commune.
        zone = disc.intersection(cell).intersection(boundary).buffer(-15)
        result.append((place, shapely.set_precision(zone, 0.01)))
    return result


def build() -> Geography:
    rng = random.Random(c.SEED)
    boundary = _boundary(rng)
    river = _river(rng)
    geography = Geography(
        boundary=boundary, river=river.intersection(boundary), places=list(PLACES)
    )
    hamlets: list[tuple[Place | None, str, Polygon, str]] = []
    districts: list[tuple[Place | None, str, Polygon, str]] = []
    for place, polygon in _place_zones(boundary, river):
        target = districts if place.kind == "district" else hamlets
        target.append((place, place.name, polygon, place.description))
    flood = river.buffer(170, quad_segs=4).intersection(boundary).buffer(-5)
    # The grain silo of the agricultural cooperative (an ICPE): a 400 m safety perimeter.
    silo = Point(2350, -150).buffer(400, quad_segs=6).intersection(boundary).buffer(-5)
    # A clay hillside under the Haute-Borne: shrink–swell and landslide risk.
    slope = (
        Polygon([(-350, 1350), (900, 1250), (1050, 1650), (-200, 1780)])
        .intersection(boundary)
        .buffer(-5)
    )
    geography.zones = {
        "district": districts,
        "hamlet": hamlets,
        "flood": [
            (
                None,
                "Zone inondable de l'Aulne",
                shapely.set_precision(flood, 0.01),
                "Zone inondable de l'Aulne (PPRI).",
            )
        ],
        "risk": [
            (
                None,
                "Périmètre du silo coopératif",
                shapely.set_precision(silo, 0.01),
                "Risque industriel : 400 m autour du silo à grains.",
            ),
            (
                None,
                "Coteau de la Haute-Borne",
                shapely.set_precision(slope, 0.01),
                "Glissement de terrain et retrait-gonflement des argiles.",
            ),
        ],
    }
    return geography


def lonlat_mapping(geometry: BaseGeometry) -> dict[str, Any]:
    return dict(mapping(_geometry_to_lonlat(geometry)))


def zones_feature_collection(geography: Geography, kind: str) -> bytes:
    """The zones of one kind as a GeoJSON FeatureCollection, ready for the zone import."""
    features = [
        {
            "type": "Feature",
            "properties": {"name": name, "description": description},
            "geometry": _as_lists(lonlat_mapping(polygon)),
        }
        for _place, name, polygon, description in geography.zones[kind]
    ]
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False, indent=1).encode("utf-8")


def boundary_geojson(geography: Geography) -> dict[str, Any]:
    result: dict[str, Any] = _as_lists(lonlat_mapping(geography.boundary))
    return result


def boundary_bbox(geography: Geography) -> tuple[float, float, float, float]:
    min_x, min_y, max_x, max_y = geography.boundary.bounds
    min_lon, min_lat = to_lonlat(min_x, min_y)
    max_lon, max_lat = to_lonlat(max_x, max_y)
    return min_lon, min_lat, max_lon, max_lat


def _as_lists(value: Any) -> Any:
    """shapely's mapping() gives tuples; GeoJSON (and JSONField round trips) want lists."""
    if isinstance(value, dict):
        return {key: _as_lists(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_lists(item) for item in value]
    return value
