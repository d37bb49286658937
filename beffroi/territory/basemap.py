"""The base map of maps without a tile server: the organisation's streets and place names.

A read (a selector) kept in its own module: it derives a drawing from the BAN addresses, which
nothing else in the territory needs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Max

from beffroi.territory.geojson import geometry_shape
from beffroi.territory.models import Address, Commune, Organisation
from beffroi.territory.text import normalize_street

# The drawing is kept this long once computed: the page is public, and computing it reads
# every address of the organisation (an anonymous visitor must not make the server do that
# at each request). A new or removed address changes the key at once.
BASE_MAP_CACHE_SECONDS = 3_600

# A street label rests on the middle of its line: a handful of vertices keeps the line close
# to the houses of a bending street, and the file small for a commune of 20,000 addresses.
STREET_VERTICES = 8
_PRECISION = 6  # decimal degrees: about 10 cm


def street_line(lons: Any, lats: Any) -> list[list[float]]:
    """A line through the addresses of one street (numpy arrays), along its main direction.

    Houses face each other (odd numbers on one side, even on the other): each vertex sits
    half-way between the outermost houses of a stretch of the street, on the roadway, and
    the line runs from the first house to the last.
    """
    lon0, lat0 = float(np.mean(lons)), float(np.mean(lats))
    scale = math.cos(math.radians(lat0))
    xy = np.column_stack(((lons - lon0) * scale, lats - lat0))
    # The street's direction and its normal: the principal axes of the points.
    _u, _s, vt = np.linalg.svd(xy, full_matrices=False)
    along, across = xy @ vt[0], xy @ vt[1]
    order = np.argsort(along)
    groups = np.array_split(order, max(1, min(STREET_VERTICES, len(order) // 2)))
    stations = [float(np.mean(along[g])) for g in groups]
    stations[0], stations[-1] = float(along.min()), float(along.max())
    if len(groups) == 1:
        stations, groups = [float(along.min()), float(along.max())], [order, order]
    line = []
    for station, group in zip(stations, groups, strict=True):
        offset = (float(across[group].min()) + float(across[group].max())) / 2
        x, y = station * vt[0] + offset * vt[1]
        line.append(_rounded((lon0 + x / scale, lat0 + y)))
    return line


def base_map_cached(*, organisation: Organisation) -> dict[str, Any]:
    """``base_map``, computed once per state of the organisation's address base."""
    stamp = Address.objects.filter(organisation=organisation).aggregate(
        n=Count("pk"), last=Max("pk")
    )
    key = f"territory:base-map:{organisation.pk}:{stamp['n']}:{stamp['last']}"
    drawing: dict[str, Any] | None = cache.get(key)
    if drawing is None:
        drawing = base_map(organisation=organisation)
        cache.set(key, drawing, BASE_MAP_CACHE_SECONDS)
    return drawing


def base_map(*, organisation: Organisation) -> dict[str, Any]:
    """The organisation's streets, place names and commune outlines as a FeatureCollection.

    What maps draw when no tile server is configured (the demo, an offline installation): a
    resident or an agent recognises their street instead of a blank grid. Streets are lines
    through their BAN addresses (a point for a street whose addresses share one spot); places
    are the BAN's lieux-dits at the centre of their addresses; each commune's name sits inside
    its outline. Every feature has ``properties.layer`` (``boundary``, ``street``, ``place`` or
    ``commune``) and ``properties.name``.
    """
    rows = Address.objects.filter(organisation=organisation).values_list(
        "street__name", "locality", "commune_id", "lon", "lat"
    )
    communes = list(Commune.objects.filter(organisation=organisation).order_by("name"))
    commune_keys = {normalize_street(c.name) for c in communes}
    by_street: dict[str, list[tuple[float, float]]] = {}
    by_place: dict[str, list[tuple[float, float]]] = {}
    by_commune: dict[int, list[tuple[float, float]]] = {}
    for street, locality, commune_id, lon, lat in rows.iterator(chunk_size=5000):
        if street:
            by_street.setdefault(street, []).append((lon, lat))
        if locality and normalize_street(locality) not in commune_keys:
            by_place.setdefault(locality, []).append((lon, lat))
        by_commune.setdefault(commune_id, []).append((lon, lat))

    features = [
        _feature("boundary", c.name, c.boundary) for c in communes if c.boundary is not None
    ]
    place_keys = {normalize_street(name) for name in by_place}
    for name, points in sorted(by_street.items()):
        if normalize_street(name) in place_keys:
            continue  # a lieu-dit addressed without a street: labelled once, as a place
        coordinates = np.array(points)
        if len(np.unique(coordinates, axis=0)) == 1:
            geometry = {"type": "Point", "coordinates": _rounded(coordinates[0])}
        else:
            line = street_line(coordinates[:, 0], coordinates[:, 1])
            geometry = {"type": "LineString", "coordinates": line}
        features.append(_feature("street", name, geometry))
    for name, points in sorted(by_place.items()):
        features.append(_feature("place", name, _centre(points)))
    for commune in communes:
        if commune.boundary is not None:
            inside = geometry_shape(commune.boundary).representative_point()
            point = {"type": "Point", "coordinates": _rounded((inside.x, inside.y))}
        elif commune.pk in by_commune:
            point = _centre(by_commune[commune.pk])
        else:
            continue
        features.append(_feature("commune", commune.name, point))
    return {"type": "FeatureCollection", "features": features}


def _feature(layer: str, name: str, geometry: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": {"layer": layer, "name": name}}


def _rounded(point: Any) -> list[float]:
    return [round(float(point[0]), _PRECISION), round(float(point[1]), _PRECISION)]


def _centre(points: list[tuple[float, float]]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": _rounded(np.mean(np.array(points), axis=0))}
