"""Server-side grid clustering of map points, for the maps of volunteering (associations,
missions): the browser receives one point per place standing alone and one per cluster, so
a commune's map stays light and readable at every zoom.

Points closer than ``CLUSTER_CELL_PX`` on the screen at the requested zoom (Web Mercator
pixels, 256-pixel tiles as Leaflet's) share a grid cell and merge at their mean position; a
cluster's ``count`` and ``bbox`` say what it holds and where to zoom to see them apart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

CLUSTER_CELL_PX = 56
MAX_ZOOM = 19


@dataclass(frozen=True)
class MapPoint:
    pk: int
    lon: float
    lat: float
    properties: dict[str, Any]


def _pixel(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel coordinates at ``zoom``."""
    scale = 256 * 2**zoom
    lat = max(min(lat, 85.05112878), -85.05112878)
    x = (lon + 180.0) / 360.0 * scale
    sin = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale
    return x, y


def clustered_collection(points: Iterable[MapPoint], zoom: int) -> dict[str, Any]:
    """The GeoJSON FeatureCollection of ``points`` at ``zoom`` (clamped to 0–MAX_ZOOM):
    each point alone keeps its ``properties``; clusters carry ``cluster``, ``count`` and
    ``bbox``. Features are sorted south to north, then west to east (stable answers); the
    collection's ``bbox`` covers every point."""
    zoom = max(0, min(MAX_ZOOM, zoom))
    rows = list(points)
    cells: dict[tuple[int, int], list[MapPoint]] = {}
    for point in rows:
        x, y = _pixel(point.lon, point.lat, zoom)
        cells.setdefault((int(x // CLUSTER_CELL_PX), int(y // CLUSTER_CELL_PX)), []).append(point)
    features: list[dict[str, Any]] = []
    for members in cells.values():
        if len(members) == 1 or zoom >= MAX_ZOOM:
            features.extend(
                {
                    "type": "Feature",
                    "id": point.pk,
                    "geometry": {"type": "Point", "coordinates": [point.lon, point.lat]},
                    "properties": point.properties,
                }
                for point in members
            )
            continue
        lons = [m.lon for m in members]
        lats = [m.lat for m in members]
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [sum(lons) / len(lons), sum(lats) / len(lats)],
                },
                "properties": {
                    "cluster": True,
                    "count": len(members),
                    "bbox": [min(lons), min(lats), max(lons), max(lats)],
                },
            }
        )
    features.sort(key=lambda f: (f["geometry"]["coordinates"][1], f["geometry"]["coordinates"][0]))
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if rows:
        collection["bbox"] = [
            min(p.lon for p in rows),
            min(p.lat for p in rows),
            max(p.lon for p in rows),
            max(p.lat for p in rows),
        ]
    return collection
