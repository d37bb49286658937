"""Reads of the territory: organisations by host, zones, addresses, point → zones, search."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.db.models import Count, QuerySet
from rapidfuzz import fuzz, process

from beffroi.territory.geojson import geometry_shape
from beffroi.territory.models import (
    Address,
    Commune,
    Organisation,
    OrganisationHost,
    Street,
    Zone,
)
from beffroi.territory.text import (
    ParsedQuery,
    normalize_street,
    normalize_suffix,
    parse_address_query,
)


def organisation_url(organisation: Organisation, path: str = "") -> str:
    """The absolute URL of ``path`` on ``organisation``'s site: ``https://<primary host>``.

    The one place links leaving the site are built (e-mails, SMS, CAP, Atom, API documents),
    so that a resident always lands on the commune's own address. The scheme is https unless
    ``PUBLIC_URL_SCHEME`` says otherwise; ``PUBLIC_URL_PORT`` adds a non-standard port.
    """
    host = (
        OrganisationHost.objects.filter(organisation=organisation)
        .order_by("-is_primary", "host")
        .values_list("host", flat=True)
        .first()
    )
    if host is None:
        configured = settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else ""
        host = configured.lstrip(".") or "localhost"
    scheme = settings.PUBLIC_URL_SCHEME
    port = settings.PUBLIC_URL_PORT
    standard = {"https": 443, "http": 80}[scheme]
    authority = f"{host}:{port}" if port and port != standard else host
    return f"{scheme}://{authority}{path}"


def organisation_for_host(host: str) -> Organisation | None:
    binding = (
        OrganisationHost.objects.select_related("organisation").filter(host=host.lower()).first()
    )
    if binding is not None:
        return binding.organisation
    return Organisation.objects.filter(is_default=True).first() or Organisation.objects.first()


# ---------------------------------------------------------------------------------------------
# Zones


def zones_with_counts(*, organisation: Organisation, kind: str | None = None) -> QuerySet[Zone]:
    """The organisation's zones, each annotated with ``address_count``."""
    zones = Zone.objects.filter(organisation=organisation)
    if kind:
        zones = zones.filter(kind=kind)
    return zones.annotate(address_count=Count("memberships")).order_by("kind", "name")


def zone_get(*, organisation: Organisation, zone_id: int) -> Zone | None:
    """The zone ``zone_id`` of this organisation, annotated with ``address_count``."""
    zone = zones_with_counts(organisation=organisation).filter(pk=zone_id).first()
    return zone


def zone_feature(zone: Zone, *, address_count: int | None = None) -> dict[str, Any]:
    """A zone as a GeoJSON Feature (what maps and the API show)."""
    count = address_count if address_count is not None else getattr(zone, "address_count", None)
    return {
        "type": "Feature",
        "id": zone.pk,
        "geometry": zone.geometry,
        "properties": {
            "name": zone.name,
            "kind": zone.kind,
            "kind_label": str(zone.get_kind_display()),
            "description": zone.description,
            "area_m2": round(zone.area_m2, 1),
            "address_count": count,
            "bbox": [zone.min_lon, zone.min_lat, zone.max_lon, zone.max_lat],
        },
    }


def zones_feature_collection(zones: QuerySet[Zone] | list[Zone]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [zone_feature(z) for z in zones]}


class InvalidPoint(ValueError):
    pass


def zones_at_point(*, organisation: Organisation, lon: float, lat: float) -> list[Zone]:
    """The organisation's zones containing the point (its boundary included).

    The bounding boxes narrow the candidates in SQL; one vectorised shapely call tests them.
    """
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidPoint("Longitude must lie in [-180, 180] and latitude in [-90, 90].")
    candidates = list(
        Zone.objects.filter(
            organisation=organisation,
            min_lon__lte=lon,
            max_lon__gte=lon,
            min_lat__lte=lat,
            max_lat__gte=lat,
        ).order_by("kind", "name")
    )
    if not candidates:
        return []
    geometries = np.array([geometry_shape(z.geometry) for z in candidates], dtype=object)
    inside = shapely.intersects_xy(geometries, lon, lat)
    return [zone for zone, hit in zip(candidates, inside, strict=True) if hit]


# ---------------------------------------------------------------------------------------------
# Addresses


def addresses_for_agents(*, organisation: Organisation) -> QuerySet[Address]:
    return (
        Address.objects.filter(organisation=organisation)
        .select_related("street", "commune")
        .order_by("commune__name", "street__name", "number", "suffix")
    )


def address_get(*, organisation: Organisation, address_id: int) -> Address | None:
    address = (
        Address.objects.filter(organisation=organisation, pk=address_id)
        .select_related("street", "commune")
        .first()
    )
    return address


def address_zones(*, address: Address) -> list[Zone]:
    """The zones the address lies in, as stored (what alert targeting uses)."""
    return list(address.zones.order_by("kind", "name"))


@dataclass(frozen=True)
class AddressMatch:
    address_id: int
    label: str
    lon: float
    lat: float
    score: float


# Below this street score a candidate is noise ("rue des lilas" for "route de lyon").
_STREET_CUTOFF = 62.0
_MAX_STREETS = 25


def _street_scores(query: str, names: list[str]) -> Any:
    """Score each normalised street name against the query, 0–100, in C (rapidfuzz.cdist).

    ``ratio`` rewards near-identical strings (typos), ``token_sort_ratio`` word order,
    ``token_set_ratio`` a query that is a subset of the name ("mairie" → "place mairie");
    the subset score is discounted so that the full name wins a tie.
    """
    ratio = process.cdist([query], names, scorer=fuzz.ratio, dtype=np.float32)[0]
    sort = process.cdist([query], names, scorer=fuzz.token_sort_ratio, dtype=np.float32)[0]
    subset = process.cdist([query], names, scorer=fuzz.token_set_ratio, dtype=np.float32)[0]
    partial = process.cdist([query], names, scorer=fuzz.partial_ratio, dtype=np.float32)[0]
    return np.maximum.reduce([ratio, sort, subset * 0.97, partial * 0.9])


def _split_commune(parsed: ParsedQuery, communes: list[Commune]) -> tuple[list[str], int | None]:
    """Remove a trailing commune name from the query words ("… valmont")."""
    words = parsed.words
    best: tuple[float, int, int] | None = None
    for commune in communes:
        name_words = normalize_street(commune.name).split()
        for size in range(1, min(len(words), len(name_words) + 1) + 1):
            if size >= len(words):
                break
            tail = " ".join(words[-size:])
            score = fuzz.ratio(tail, " ".join(name_words))
            if score >= 85 and (best is None or score > best[0]):
                best = (score, size, commune.pk)
    if best is None:
        return words, None
    return words[: -best[1]], best[2]


def address_search(
    *, organisation: Organisation, query: str, limit: int = 10
) -> list[AddressMatch]:
    """Addresses best matching a free-text query, best first.

    Tolerates typos, abbreviations ("r" → "rue"), missing accents and case, a house number
    with suffix ("12bis", "12 b"), a postcode and a commune name. The street is found by
    fuzzy matching normalised names; then the house number picks the address (the nearest
    existing number, with a lower score, when the exact one does not exist).
    """
    limit = max(1, min(int(limit), 100))
    parsed = parse_address_query(query[:300])
    communes = list(Commune.objects.filter(organisation=organisation))
    words, commune_id = _split_commune(parsed, communes)
    text = " ".join(words)
    if not text:
        return []
    streets = list(
        Street.objects.filter(organisation=organisation).values_list(
            "id", "normalized", "commune_id"
        )
    )
    if not streets:
        return []
    names = [s[1] for s in streets]
    scores = _street_scores(text, names)
    if text != parsed.text:
        # The query without the commune name, or with it if it was part of the street name
        # ("rue de valmont"), whichever matches better.
        scores = np.maximum(scores, _street_scores(parsed.text, names) - 1)
    order = np.argsort(-scores, kind="stable")[:_MAX_STREETS]
    street_score: dict[int, float] = {}
    for position in order:
        score = float(scores[position])
        if score < _STREET_CUTOFF:
            break
        street_id, _name, street_commune = streets[position]
        if commune_id is not None and street_commune == commune_id:
            score += 2
        street_score[street_id] = score
    if not street_score:
        return []
    addresses = list(
        Address.objects.filter(
            organisation=organisation, street_id__in=list(street_score)
        ).select_related("street", "commune")
    )

    def street_of(address: Address) -> int:
        # Filtered on street_id above: map points (no street) never reach here.
        assert address.street_id is not None
        return address.street_id

    # Numbers are text in the BAN model: "10" must come after "9".
    addresses.sort(
        key=lambda a: (street_of(a), int(a.number) if a.number.isdigit() else 0, a.suffix)
    )
    if parsed.postcode:
        with_postcode = [a for a in addresses if a.postcode == parsed.postcode]
        if with_postcode:
            addresses = with_postcode
    ranked: list[tuple[float, int, Address]] = []
    if parsed.number:
        wanted = int(parsed.number)
        by_street: dict[int, list[Address]] = {}
        for address in addresses:
            by_street.setdefault(street_of(address), []).append(address)
        for street_id, items in by_street.items():
            base = street_score[street_id]
            numbered = [a for a in items if a.number.isdigit()]
            exact = [a for a in numbered if int(a.number) == wanted]
            if exact:
                for address in exact:
                    same_suffix = normalize_suffix(address.suffix) == parsed.suffix
                    ranked.append((base if same_suffix else base - 3, int(address.number), address))
            elif numbered:
                nearest = min(numbered, key=lambda a: (abs(int(a.number) - wanted), a.suffix))
                distance = abs(int(nearest.number) - wanted)
                ranked.append((base - 8 - min(distance, 10), int(nearest.number), nearest))
            else:
                ranked.append((base - 10, 0, items[0]))
    else:
        top = max(street_score.values())
        strong = [s for s, score in street_score.items() if score >= top - 5]
        per_street = limit if len(strong) == 1 else 3
        counts: dict[int, int] = {}
        for address in addresses:
            taken = counts.get(street_of(address), 0)
            if taken >= per_street:
                continue
            counts[street_of(address)] = taken + 1
            number = int(address.number) if address.number.isdigit() else 0
            ranked.append((street_score[street_of(address)] - 1, number, address))
    ranked.sort(
        key=lambda item: (
            -item[0],
            item[2].street.name if item[2].street else "",
            item[1],
            item[2].suffix,
        )
    )
    return [
        AddressMatch(
            address_id=address.pk,
            label=address.label,
            lon=address.lon,
            lat=address.lat,
            score=round(min(score, 100.0), 1),
        )
        for score, _number, address in ranked[:limit]
    ]
