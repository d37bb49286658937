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


# The subset and partial scores are discounted (× 0.97, × 0.9): they never exceed this.
_DISCOUNTED_MAX = 97.0


def _street_scores(
    queries: list[str], names: list[str], *, workers: int = 1, cheap_only: bool = False
) -> Any:
    """Score each normalised street name against each query, 0–100, in C (rapidfuzz.cdist):
    one row per query.

    ``ratio`` rewards near-identical strings (typos), ``token_sort_ratio`` word order,
    ``token_set_ratio`` a query that is a subset of the name ("mairie" → "place mairie");
    the subset score is discounted so that the full name wins a tie. ``cheap_only``: the
    first two alone (vectorised, some fifty times faster): a lower bound of the score, and
    the score itself wherever it exceeds ``_DISCOUNTED_MAX``.
    """

    def scored(scorer: Any) -> Any:
        return process.cdist(queries, names, scorer=scorer, dtype=np.float32, workers=workers)

    cheap = np.maximum(scored(fuzz.ratio), scored(fuzz.token_sort_ratio))
    if cheap_only:
        return cheap
    return np.maximum.reduce(
        [cheap, scored(fuzz.token_set_ratio) * 0.97, scored(fuzz.partial_ratio) * 0.9]
    )


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


type _StreetRow = tuple[int, str, int]  # id, normalised name, commune id


def _street_candidates(
    scores: Any, streets: list[_StreetRow], commune_id: int | None
) -> dict[int, float]:
    """The best-scoring streets (at most ``_MAX_STREETS``, above the cutoff) and their
    score, with a bonus for those of the commune named in the query."""
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
    return street_score


def _number_of(address: Address) -> int:
    # Numbers are text in the BAN model: "10" must come after "9".
    return int(address.number) if address.number.isdigit() else 0


@dataclass
class _StreetAddresses:
    """A street's addresses in number order, and what the ranking reads of them."""

    items: list[Address]
    numbered: list[Address]
    by_number: dict[int, list[Address]]
    postcodes: set[str]

    @classmethod
    def of(cls, addresses: list[Address]) -> _StreetAddresses:
        items = sorted(addresses, key=lambda a: (_number_of(a), a.suffix))
        numbered = [a for a in items if a.number.isdigit()]
        by_number: dict[int, list[Address]] = {}
        for address in numbered:
            by_number.setdefault(int(address.number), []).append(address)
        return cls(items, numbered, by_number, {a.postcode for a in items})

    def with_postcode(self, postcode: str) -> _StreetAddresses | None:
        if postcode not in self.postcodes:
            return None
        if len(self.postcodes) == 1:
            return self
        return _StreetAddresses.of([a for a in self.items if a.postcode == postcode])


def _streets_addresses(addresses: list[Address]) -> dict[int, _StreetAddresses]:
    """Addresses grouped by street, in street id order."""
    groups: dict[int, list[Address]] = {}
    for address in addresses:
        # Filtered on street_id by the callers: map points (no street) never reach here.
        assert address.street_id is not None
        groups.setdefault(address.street_id, []).append(address)
    return {street_id: _StreetAddresses.of(groups[street_id]) for street_id in sorted(groups)}


def _addresses_ranked(
    parsed: ParsedQuery,
    street_score: dict[int, float],
    streets: dict[int, _StreetAddresses],
    limit: int,
) -> list[tuple[float, int, Address]]:
    """Pick the addresses of the candidate streets: the house number's (the nearest
    existing number, with a lower score, when the exact one does not exist), or the first
    ones of the best streets when the query has no number."""
    candidates = {
        street_id: streets[street_id] for street_id in sorted(street_score) if street_id in streets
    }
    if parsed.postcode and any(parsed.postcode in s.postcodes for s in candidates.values()):
        candidates = {
            street_id: kept
            for street_id, s in candidates.items()
            if (kept := s.with_postcode(parsed.postcode)) is not None
        }
    ranked: list[tuple[float, int, Address]] = []
    if parsed.number:
        wanted = int(parsed.number)
        for street_id, street in candidates.items():
            base = street_score[street_id]
            exact = street.by_number.get(wanted)
            if exact:
                for address in exact:
                    same_suffix = normalize_suffix(address.suffix) == parsed.suffix
                    ranked.append((base if same_suffix else base - 3, wanted, address))
            elif street.numbered:
                nearest = min(
                    street.numbered, key=lambda a: (abs(int(a.number) - wanted), a.suffix)
                )
                distance = abs(int(nearest.number) - wanted)
                ranked.append((base - 8 - min(distance, 10), int(nearest.number), nearest))
            else:
                ranked.append((base - 10, 0, street.items[0]))
    else:
        top = max(street_score.values())
        strong = [s for s, score in street_score.items() if score >= top - 5]
        per_street = limit if len(strong) == 1 else 3
        for street_id, street in candidates.items():
            for address in street.items[:per_street]:
                ranked.append((street_score[street_id] - 1, _number_of(address), address))
    ranked.sort(
        key=lambda item: (
            -item[0],
            item[2].street.name if item[2].street else "",
            item[1],
            item[2].suffix,
        )
    )
    return ranked[:limit]


def _address_match(score: float, address: Address) -> AddressMatch:
    return AddressMatch(
        address_id=address.pk,
        label=address.label,
        lon=address.lon,
        lat=address.lat,
        score=round(min(score, 100.0), 1),
    )


def _streets_of(organisation: Organisation) -> list[_StreetRow]:
    return list(
        Street.objects.filter(organisation=organisation).values_list(
            "id", "normalized", "commune_id"
        )
    )


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
    streets = _streets_of(organisation)
    if not streets:
        return []
    names = [s[1] for s in streets]
    scores = _street_scores([text], names)[0]
    if text != parsed.text:
        # The query without the commune name, or with it if it was part of the street name
        # ("rue de valmont"), whichever matches better.
        scores = np.maximum(scores, _street_scores([parsed.text], names)[0] - 1)
    street_score = _street_candidates(scores, streets, commune_id)
    if not street_score:
        return []
    addresses = _streets_addresses(
        list(
            Address.objects.filter(
                organisation=organisation, street_id__in=list(street_score)
            ).select_related("street", "commune")
        )
    )
    ranked = _addresses_ranked(parsed, street_score, addresses, limit)
    return [_address_match(score, address) for score, _number, address in ranked]


# Queries scored per ``cdist`` call by ``addresses_resolve``: bounds the score matrices
# (queries × streets × 4 bytes) whatever the size of the list.
_RESOLVE_CHUNK = 1_000
# Street ids per ``IN (…)`` when loading the candidates' addresses.
_RESOLVE_IN_SIZE = 500


def addresses_resolve(
    *, organisation: Organisation, queries: list[str]
) -> list[AddressMatch | None]:
    """The best match of each query (``address_search(…, limit=1)``'s answer, or None),
    for a whole list at once: what an import of thousands of typed addresses needs.

    The same scoring and ranking as ``address_search``, but the communes and streets are read
    once, each distinct text is scored once, in chunks of ``_RESOLVE_CHUNK`` queries on every
    core, and the addresses of the candidate streets are read in a few queries. The costly
    scores (subset, partial) are skipped where they cannot change the answer: they never
    exceed ``_DISCOUNTED_MAX`` (+ 2 for the commune named), so a best address scoring above
    that with the cheap scores alone — the street typed right, its number found, its postcode
    the one typed — is the answer; every other query is scored in full.
    """
    results: list[AddressMatch | None] = [None] * len(queries)
    streets = _streets_of(organisation)
    if not queries or not streets:
        return results
    communes = list(Commune.objects.filter(organisation=organisation))
    names = [s[1] for s in streets]
    # Distinct queries: a list repeats the same address for the people of one household.
    distinct: dict[str, list[int]] = {}
    for position, query in enumerate(queries):
        distinct.setdefault(query[:300], []).append(position)
    pending: list[tuple[str, ParsedQuery, str, int | None]] = []
    for query in distinct:
        parsed = parse_address_query(query)
        words, commune_id = _split_commune(parsed, communes)
        if words:
            pending.append((query, parsed, " ".join(words), commune_id))
    addresses: dict[int, _StreetAddresses] = {}
    read: set[int] = set()  # streets whose addresses were read (some have none)
    commune_of = {commune.pk: commune for commune in communes}

    def load(street_ids: set[int]) -> None:
        # Streets and communes are shared by many addresses: read once and attached, rather
        # than one joined instance of each per address (``select_related``).
        wanted = sorted(street_ids - read)
        street_field = Address._meta.get_field("street")
        commune_field = Address._meta.get_field("commune")
        loaded: list[Address] = []
        for start in range(0, len(wanted), _RESOLVE_IN_SIZE):
            ids = wanted[start : start + _RESOLVE_IN_SIZE]
            street_of = Street.objects.in_bulk(ids)
            for address in Address.objects.filter(organisation=organisation, street_id__in=ids):
                street_field.set_cached_value(address, street_of[address.street_id])
                commune_field.set_cached_value(address, commune_of[address.commune_id])
                loaded.append(address)
        addresses.update(_streets_addresses(loaded))
        read.update(wanted)

    def score(
        items: list[tuple[str, ParsedQuery, str, int | None]], *, cheap_only: bool
    ) -> list[tuple[str, ParsedQuery, dict[int, float]]]:
        scored = []
        for start in range(0, len(items), _RESOLVE_CHUNK):
            chunk = items[start : start + _RESOLVE_CHUNK]
            texts = list(dict.fromkeys(t for _q, p, text, _c in chunk for t in (text, p.text)))
            row_of = {text: row for row, text in enumerate(texts)}
            matrix = _street_scores(texts, names, workers=-1, cheap_only=cheap_only)
            for query, parsed, text, commune_id in chunk:
                scores = matrix[row_of[text]]
                if text != parsed.text:
                    scores = np.maximum(scores, matrix[row_of[parsed.text]] - 1)
                street_score = _street_candidates(scores, streets, commune_id)
                if street_score:
                    scored.append((query, parsed, street_score))
        load({street_id for _q, _p, street_score in scored for street_id in street_score})
        return scored

    def answer(query: str, score: float, address: Address) -> None:
        match = _address_match(score, address)
        for position in distinct[query]:
            results[position] = match

    full: set[str] = {query for query, _p, _t, _c in pending}
    for query, parsed, street_score in score(pending, cheap_only=True):
        best = _addresses_ranked(parsed, street_score, addresses, 1)
        if best and best[0][0] > _DISCOUNTED_MAX + 2:
            address = best[0][2]
            if not parsed.postcode or address.postcode == parsed.postcode:
                answer(query, best[0][0], address)
                full.discard(query)
    rest = [item for item in pending if item[0] in full]
    for query, parsed, street_score in score(rest, cheap_only=False):
        best = _addresses_ranked(parsed, street_score, addresses, 1)
        if best:
            answer(query, best[0][0], best[0][2])
    return results
