"""Validation of GeoJSON zone geometries (RFC 7946: WGS84 longitude/latitude).

Every way a zone enters Beffroi (file import, drawing on the map, the API) goes through
``clean_geometry`` so that a zone in the database is always a valid polygon in degrees: a
self-intersecting ring or a file in Lambert-93 would otherwise silently target the wrong
residents when an alert is sent.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import shapely
from django.utils.translation import gettext as _
from pyproj import Geod
from shapely.geometry import shape
from shapely.validation import explain_validity

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FEATURES = 2_000
MAX_VERTICES = 200_000

POLYGON_TYPES = ("Polygon", "MultiPolygon")
GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)

# Names a GeoJSON "crs" member may use for WGS84 longitude/latitude (the 2008 draft allowed
# the member; RFC 7946 removed it, but QGIS and ogr2ogr still write it).
_WGS84_CRS = re.compile(r"(^|[:/])(CRS84|CRS:84|4326)$")

_GEOD = Geod(ellps="WGS84")


class GeometryError(ValueError):
    """The geometry is unusable; ``reasons`` says why, one sentence each."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class CleanGeometry:
    geojson: dict[str, Any]
    shape: Any  # a shapely Polygon or MultiPolygon
    bbox: tuple[float, float, float, float]
    area_m2: float
    vertices: int


def crs_problem(crs: Any) -> str | None:
    """Why a ``crs`` member is unacceptable, or None when it names WGS84 lon/lat."""
    if crs is None:
        return None
    name = None
    if isinstance(crs, dict):
        properties = crs.get("properties")
        if isinstance(properties, dict):
            name = properties.get("name") or properties.get("href")
    if not isinstance(name, str) or not name.strip():
        return _("the “crs” member is not understood; remove it and give WGS84 coordinates")
    compact = name.strip().upper().replace("::", ":")
    if _WGS84_CRS.search(compact):
        return None
    return _(
        "the file declares the coordinate system %(crs)s; Beffroi needs WGS84 "
        "longitude/latitude (EPSG:4326): reproject the file (for instance "
        "“ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson”)"
    ) % {"crs": name.strip()}


def _position(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, list) or not 2 <= len(value) <= 3:
        return None
    if not all(isinstance(c, int | float) and not isinstance(c, bool) for c in value):
        return None
    lon, lat = float(value[0]), float(value[1])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    return lon, lat


def _clean_ring(ring: Any, label: str, reasons: list[str]) -> list[list[float]] | None:
    if not isinstance(ring, list):
        reasons.append(_("%(ring)s is not a list of positions") % {"ring": label})
        return None
    points: list[list[float]] = []
    for position in ring:
        point = _position(position)
        if point is None:
            reasons.append(
                _("%(ring)s contains a position that is not [longitude, latitude]")
                % {"ring": label}
            )
            return None
        points.append([point[0], point[1]])
    if len(points) < 4:
        reasons.append(
            _("%(ring)s has %(count)d positions; a closed ring needs at least 4")
            % {"ring": label, "count": len(points)}
        )
        return None
    if points[0] != points[-1]:
        reasons.append(
            _("%(ring)s is not closed (its last position must repeat the first)") % {"ring": label}
        )
        return None
    outside = [p for p in points if not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90)]
    if outside:
        reasons.append(
            _(
                "%(ring)s has coordinates outside longitude ±180 / latitude ±90 (for instance "
                "%(example)s): the file is probably in a projected system such as "
                "Lambert-93; reproject it to WGS84 (EPSG:4326)"
            )
            % {"ring": label, "example": f"[{outside[0][0]:g}, {outside[0][1]:g}]"}
        )
        return None
    return points


def _clean_polygon(rings: Any, prefix: str, reasons: list[str]) -> list[list[list[float]]] | None:
    if not isinstance(rings, list) or not rings:
        reasons.append(_("%(part)s has no rings") % {"part": prefix or _("the polygon")})
        return None
    cleaned: list[list[list[float]]] = []
    ok = True
    for index, ring in enumerate(rings):
        label = _("the outer ring") if index == 0 else _("hole %(number)d") % {"number": index}
        if prefix:
            label = f"{prefix}, {label}"
        ring_points = _clean_ring(ring, label, reasons)
        if ring_points is None:
            ok = False
        else:
            cleaned.append(ring_points)
    return cleaned if ok else None


def clean_geometry(geometry: Any, *, max_vertices: int = MAX_VERTICES) -> CleanGeometry:
    """Check a GeoJSON geometry is a valid Polygon/MultiPolygon in WGS84; return it cleaned.

    Cleaned means: two-dimensional float positions (an altitude is dropped). Raises
    ``GeometryError`` with every reason found.
    """
    if not isinstance(geometry, dict):
        raise GeometryError([_("the geometry is not a GeoJSON object")])
    kind = geometry.get("type")
    if kind not in POLYGON_TYPES:
        if kind in GEOMETRY_TYPES:
            raise GeometryError(
                [
                    _("the geometry is a %(type)s; a zone must be a Polygon or a MultiPolygon")
                    % {"type": kind}
                ]
            )
        raise GeometryError([_("the geometry has no valid GeoJSON “type”")])
    coordinates = geometry.get("coordinates")
    reasons: list[str] = []
    cleaned_coordinates: Any
    if kind == "Polygon":
        cleaned_coordinates = _clean_polygon(coordinates, "", reasons)
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise GeometryError([_("the MultiPolygon has no polygons")])
        parts = [
            _clean_polygon(part, _("polygon %(number)d") % {"number": number}, reasons)
            for number, part in enumerate(coordinates, start=1)
        ]
        cleaned_coordinates = parts if all(p is not None for p in parts) else None
    if reasons or cleaned_coordinates is None:
        raise GeometryError(reasons or [_("the geometry has no coordinates")])
    clean = {"type": kind, "coordinates": cleaned_coordinates}
    vertices = _count_vertices(clean)
    if vertices > max_vertices:
        raise GeometryError(
            [
                _("the geometry has %(count)d vertices, more than the %(max)d allowed; simplify it")
                % {"count": vertices, "max": max_vertices}
            ]
        )
    geom = shape(clean)
    if not geom.is_valid:
        raise GeometryError(
            [_("the geometry is invalid: %(reason)s") % {"reason": explain_validity(geom)}]
        )
    if geom.is_empty or geom.area == 0:
        raise GeometryError([_("the geometry has no area")])
    shapely.prepare(geom)
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in geom.bounds)
    area, _perimeter = _GEOD.geometry_area_perimeter(geom)
    return CleanGeometry(
        geojson=clean,
        shape=geom,
        bbox=(min_lon, min_lat, max_lon, max_lat),
        area_m2=abs(float(area)),
        vertices=vertices,
    )


def _count_vertices(geometry: dict[str, Any]) -> int:
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    return sum(len(ring) for polygon in polygons for ring in polygon)


def geometry_shape(geometry: dict[str, Any]) -> Any:
    """A shapely geometry for a stored (already validated) zone geometry."""
    return shape(geometry)


def geometry_from_text(text: str) -> dict[str, Any]:
    """The geometry of GeoJSON typed or drawn in a form: a geometry, a Feature, or a
    FeatureCollection of polygons (merged into one MultiPolygon). Raises ``GeometryError``."""
    import json

    try:
        document = json.loads(text)
    except ValueError as exc:
        raise GeometryError([_("this is not valid GeoJSON (%(error)s)") % {"error": exc}]) from exc
    if not isinstance(document, dict):
        raise GeometryError([_("this is not a GeoJSON object")])
    if document.get("type") == "Feature":
        document = document.get("geometry")
    elif document.get("type") == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list) or not features:
            raise GeometryError([_("the FeatureCollection has no feature")])
        geometries = [f.get("geometry") if isinstance(f, dict) else None for f in features]
        if len(geometries) == 1:
            document = geometries[0]
        else:
            polygons: list[Any] = []
            for geometry in geometries:
                if not isinstance(geometry, dict) or geometry.get("type") not in POLYGON_TYPES:
                    raise GeometryError([_("every feature must be a Polygon or a MultiPolygon")])
                if geometry["type"] == "Polygon":
                    polygons.append(geometry.get("coordinates"))
                else:
                    polygons.extend(geometry.get("coordinates") or [])
            document = {"type": "MultiPolygon", "coordinates": polygons}
    if not isinstance(document, dict):
        raise GeometryError([_("there is no geometry")])
    return document
