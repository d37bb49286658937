"""Territory hot paths: BAN import, zone memberships, address search, import memory.

The data is generated (seeded, so every run sees the same file): one commune of N addresses
on N/40 streets laid out as lines across a 10 km × 10 km area, 50 zones drawn as irregular
polygons of 64–256 vertices (districts, hamlets, flood zones) that overlap like real ones.
"""

from __future__ import annotations

import csv
import math
import random
import statistics
import tracemalloc
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import Context, Measure, benchmark, create_organisation, measures_by_size, timed

if TYPE_CHECKING:
    from beffroi.territory.models import Organisation

BAN_HEADER = (
    "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;"
    "code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;"
    "libelle_acheminement;nom_afnor;source_position;source_nom_voie;certification_commune;"
    "cad_parcelles"
)
INSEE = "31555"
POSTCODE = "31000"
COMMUNE = "Valmont-sur-Garonne"
CENTER = (1.44, 43.60)
EXTENT = (0.06, 0.045)  # half-width in degrees: about 10 km × 10 km
ADDRESSES_PER_STREET = 40
ZONES = 50
QUERIES = 500
# Batch of the floor's executemany, the same size ban_import uses for its inserts.
RAW_BATCH = 5_000

STREET_TYPES = (
    ("Rue", "r"),
    ("Avenue", "av"),
    ("Chemin", "ch"),
    ("Boulevard", "bd"),
    ("Place", "pl"),
    ("Impasse", "imp"),
    ("Allée", "all"),
    ("Route", "rte"),
    ("Quai", "qu"),
    ("Square", "sq"),
)
FIRST_NAMES = (
    "Jean", "Victor", "Émile", "Louise", "Marie", "Pierre", "Jules", "Georges", "Simone",
    "Anatole", "Camille", "Édouard", "Hélène", "Jacques", "Lucie", "Marcel", "Olympe",
    "Paul", "René", "Rosa", "Sophie", "Théodore", "Henri", "Berthe", "Gustave",
)  # fmt: skip
LAST_NAMES = (
    "Jaurès", "Hugo", "Zola", "Michel", "Curie", "Brossolette", "Ferry", "Clemenceau",
    "Veil", "France", "Claudel", "Herriot", "Boucher", "Prévert", "Aubrac", "Pagnol",
    "de Gouges", "Valéry", "Cassin", "Luxembourg", "Germain", "Monod", "Berlioz", "Morisot",
    "Eiffel",
)  # fmt: skip
PLACES = (
    "de la Mairie", "des Lilas", "du Moulin", "de l'Église", "des Écoles", "de la Gare",
    "du Stade", "des Tilleuls", "de la Fontaine", "du Château", "des Vignes", "de la Poste",
    "du Lavoir", "des Acacias", "de la Source", "du Pont", "des Peupliers", "de la Forge",
    "des Jardins", "du Four", "de la Croix", "des Prés", "du Bois", "de la Côte",
    "des Platanes", "du Ruisseau", "de la Halle", "des Cerisiers", "du Marché", "de l'Abbaye",
)  # fmt: skip
SUFFIXES = ("bis", "ter", "B")


@dataclass(frozen=True)
class GeneratedAddress:
    ban_id: str
    number: int
    suffix: str
    street: str
    street_type: str
    lon: float
    lat: float


@dataclass
class Prepared:
    csv_path: Path
    small_csv_path: Path
    addresses: list[GeneratedAddress]
    zones: list[dict[str, Any]]
    small_lines: int


# ---------------------------------------------------------------------------------------------
# Data generation


def _street_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """``count`` distinct (name, type) pairs like "Rue Émile Zola" or "Allée des Lilas"."""
    pool = [
        (f"{kind} {first} {last}", kind)
        for kind, _abbr in STREET_TYPES
        for first in FIRST_NAMES
        for last in LAST_NAMES
    ] + [(f"{kind} {place}", kind) for kind, _abbr in STREET_TYPES for place in PLACES]
    if count > len(pool):
        raise ValueError(f"at most {len(pool)} distinct street names")
    return rng.sample(pool, count)


def generate_addresses(count: int, seed: int = 31555) -> list[GeneratedAddress]:
    rng = random.Random(seed)
    streets = _street_names(rng, max(1, math.ceil(count / ADDRESSES_PER_STREET)))
    result: list[GeneratedAddress] = []
    for street_index, (street, kind) in enumerate(streets):
        # A street is a line from a random point in a random direction, numbers along it.
        lon0 = CENTER[0] + rng.uniform(-EXTENT[0], EXTENT[0]) * 0.9
        lat0 = CENTER[1] + rng.uniform(-EXTENT[1], EXTENT[1]) * 0.9
        angle = rng.uniform(0, math.tau)
        step = rng.uniform(0.00008, 0.0002)
        for number in range(1, ADDRESSES_PER_STREET + 1):
            if len(result) == count:
                return result
            suffix = rng.choice(SUFFIXES) if rng.random() < 0.05 else ""
            lon = lon0 + math.cos(angle) * step * number + rng.gauss(0, 0.00002)
            lat = lat0 + math.sin(angle) * step * number + rng.gauss(0, 0.00002)
            ban_id = (
                f"{INSEE}_{street_index:04d}_{number:05d}{'_' + suffix.lower() if suffix else ''}"
            )
            result.append(GeneratedAddress(ban_id, number, suffix, street, kind, lon, lat))
    return result


def write_ban_csv(path: Path, addresses: list[GeneratedAddress]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(BAN_HEADER + "\n")
        for a in addresses:
            fantoir = f"{INSEE}_{a.ban_id.split('_')[1]}"
            handle.write(
                f"{a.ban_id};{fantoir};{a.number};{a.suffix};{a.street};{POSTCODE};{INSEE};"
                f"{COMMUNE};;;{574000 + a.lon:.2f};{6280000 + a.lat:.2f};{a.lon:.6f};{a.lat:.6f};"
                f"entrée;;;{COMMUNE.upper()};{_fold(a.street).upper()};commune;commune;1;"
                f"{INSEE}000AB{a.number:04d}\n"
            )


def generate_zones(count: int, seed: int = 50) -> list[dict[str, Any]]:
    """GeoJSON polygons: perturbed circles, a few large districts and many small zones."""
    rng = random.Random(seed)
    kinds = ("district", "hamlet", "flood", "risk", "custom")
    zones = []
    for index in range(count):
        large = index < 5
        radius = rng.uniform(0.02, 0.03) if large else rng.uniform(0.004, 0.012)
        vertices = rng.randint(64, 256)
        cx = CENTER[0] + rng.uniform(-EXTENT[0], EXTENT[0]) * 0.8
        cy = CENTER[1] + rng.uniform(-EXTENT[1], EXTENT[1]) * 0.8
        ring = []
        for v in range(vertices):
            angle = math.tau * v / vertices
            r = radius * rng.uniform(0.7, 1.0)
            ring.append([round(cx + r * math.cos(angle), 6), round(cy + r * math.sin(angle), 6)])
        ring.append(ring[0])
        zones.append(
            {
                "name": f"Zone {index + 1:02d}",
                "kind": kinds[0] if large else kinds[1 + index % 4],
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return zones


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# ---------------------------------------------------------------------------------------------
# Helpers


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _peak_traced[T](call: Callable[[], T]) -> tuple[float, T]:
    """Peak of Python allocations during ``call``, in MiB (tracemalloc)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        result = call()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20, result


def _raw_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_ban")
        cursor.execute(
            "CREATE TABLE bench_raw_ban (ban_id varchar(64), number varchar(10), "
            "suffix varchar(10), street varchar(200), postcode varchar(5), insee varchar(5), "
            "lon double precision, lat double precision)"
        )


def _raw_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            yield (
                row["id"],
                row["numero"],
                row["rep"],
                row["nom_voie"],
                row["code_postal"],
                row["code_insee"],
                float(row["lon"]),
                float(row["lat"]),
            )


def raw_import(path: Path) -> int:
    """The floor of "parse and store": DictReader, then executemany in batches, one transaction."""
    from django.db import connection, transaction

    sql = "INSERT INTO bench_raw_ban VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    count = 0
    batch: list[tuple[Any, ...]] = []
    with transaction.atomic(), connection.cursor() as cursor:
        for row in _raw_rows(path):
            batch.append(row)
            if len(batch) == RAW_BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _zone_rows(organisation: Organisation) -> list[tuple[int, Any, float, float, float, float]]:
    from beffroi.territory.models import Zone

    return list(
        Zone.objects.filter(organisation=organisation).values_list(
            "id", "geometry", "min_lon", "min_lat", "max_lon", "max_lat"
        )
    )


def per_zone_pairs(
    zones: list[tuple[int, Any, float, float, float, float]], ids: Any, lons: Any, lats: Any
) -> list[tuple[int, int]]:
    """Per zone: a numpy bbox mask over every point, then one ``intersects_xy`` call."""
    import shapely

    from beffroi.territory.geojson import geometry_shape

    pairs: list[tuple[int, int]] = []
    for zone_id, geometry_json, min_lon, min_lat, max_lon, max_lat in zones:
        geometry = geometry_shape(geometry_json)
        shapely.prepare(geometry)
        mask = (lons >= min_lon) & (lons <= max_lon) & (lats >= min_lat) & (lats <= max_lat)
        inside = shapely.intersects_xy(geometry, lons[mask], lats[mask])
        pairs.extend((zone_id, int(i)) for i in ids[mask][inside])
    return pairs


def strtree_pairs(
    zones: list[tuple[int, Any, float, float, float, float]], ids: Any, lons: Any, lats: Any
) -> list[tuple[int, int]]:
    """What the service does in memory: parse the zones, one STRtree, one query."""
    import numpy as np
    import shapely

    from beffroi.territory.geojson import geometry_shape
    from beffroi.territory.services import _assign

    zone_ids = np.array([z[0] for z in zones], dtype=np.int64)
    tree = shapely.STRtree(np.array([geometry_shape(z[1]) for z in zones], dtype=object))
    return _assign(zone_ids, tree, ids, lons, lats)


def _address_points(organisation: Organisation) -> tuple[Any, Any, Any]:
    from beffroi.territory.models import Address
    from beffroi.territory.services import _points_of

    return _points_of(
        Address.objects.filter(organisation=organisation).values_list("id", "lon", "lat")
    )


def per_zone_rebuild(organisation: Organisation) -> int:
    """Memberships without STRtree, otherwise like the service.

    Already vectorised per zone (one shapely call per zone, numpy bbox filter), with the same
    delete, reads and executemany inserts as the service: only the spatial join differs.
    """
    from django.db import transaction

    from beffroi.territory.models import ZoneMembership
    from beffroi.territory.services import _insert_memberships

    with transaction.atomic():
        ZoneMembership.objects.filter(zone__organisation=organisation).delete()
        ids, lons, lats = _address_points(organisation)
        return _insert_memberships(per_zone_pairs(_zone_rows(organisation), ids, lons, lats))


def _create_zones(organisation: Organisation, zones: list[dict[str, Any]]) -> None:
    import shapely

    from beffroi.territory.geojson import geometry_shape
    from beffroi.territory.models import Zone

    objects = []
    for zone in zones:
        min_lon, min_lat, max_lon, max_lat = shapely.bounds(geometry_shape(zone["geometry"]))
        objects.append(
            Zone(
                organisation=organisation,
                name=zone["name"],
                kind=zone["kind"],
                geometry=zone["geometry"],
                min_lon=float(min_lon),
                min_lat=float(min_lat),
                max_lon=float(max_lon),
                max_lat=float(max_lat),
            )
        )
    Zone.objects.bulk_create(objects)


_ARTICLES = ("de la ", "de l'", "des ", "du ")


def make_query(rng: random.Random, address: GeneratedAddress) -> str:
    """What a resident types: abbreviations, no accents, lower case, a typo, a postcode."""
    name = address.street
    if rng.random() < 0.6:
        abbreviation = dict(STREET_TYPES)[address.street_type]
        name = abbreviation + name[len(address.street_type) :]
    if rng.random() < 0.5:
        for article in _ARTICLES:
            name = name.replace(" " + article, " ")
    if rng.random() < 0.7:
        name = _fold(name)
    if rng.random() < 0.8:
        name = name.lower()
    if rng.random() < 0.5:
        words = name.split()
        long_words = [i for i, w in enumerate(words) if len(w) >= 5]
        if long_words:
            i = rng.choice(long_words)
            word = words[i]
            at = rng.randrange(1, len(word) - 1)
            typo = rng.choice(("swap", "drop", "double"))
            if typo == "swap":
                word = word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
            elif typo == "drop":
                word = word[:at] + word[at + 1 :]
            else:
                word = word[:at] + word[at] + word[at:]
            words[i] = word
            name = " ".join(words)
    number = f"{address.number}{address.suffix.lower()}" if address.suffix else str(address.number)
    tail = f" {POSTCODE}" if rng.random() < 0.2 else ""
    return f"{number} {name}{tail}"


# ---------------------------------------------------------------------------------------------
# The benchmark


def setup(context: Context) -> Prepared:
    lines = context.size(100_000, 2_000)
    small = context.size(10_000, 500)
    addresses = generate_addresses(lines)
    csv_path = context.workdir / f"adresses-{INSEE}.csv"
    small_csv_path = context.workdir / f"adresses-{INSEE}-small.csv"
    write_ban_csv(csv_path, addresses)
    write_ban_csv(small_csv_path, addresses[:small])
    context.log(f"generated {lines:,} BAN lines ({csv_path.stat().st_size / 2**20:.1f} MiB)")
    return Prepared(csv_path, small_csv_path, addresses, generate_zones(ZONES), small)


def territory_notes(runs: list[dict[str, Any]]) -> list[str]:
    """Remarks derived from the recorded runs, for BENCHMARKS.md."""
    notes = [
        "Data: street names are drawn from 25 first names × 25 surnames (+ 30 place names) × "
        "10 street types, so a typed query has many near-identical candidates (“Rue Jean "
        "Zola”, “Allée Jean Hugo”…): a hard case for the fuzzy search, on purpose. Queries: "
        "60 % abbreviated street type (“r”, “av”, “ch”), 50 % articles dropped, 70 % accents "
        "dropped, 50 % one typo (swapped, dropped or doubled letter), 20 % with the postcode.",
        "Ratios are result ÷ baseline: above 1 the measured code is slower (or bigger) than "
        "its baseline, except `ban_import_rate` (lines per second, higher is better).",
    ]
    for run in runs:
        engine = run["database"]["engine"]
        measures = {m["name"]: m for m in run["measures"]}
        memory = measures_by_size(measures, "ban_import_peak_memory_")
        if len(memory) == 2:
            (small_lines, small), (big_lines, big) = memory
            lines_growth = big_lines / small_lines
            growth = big["value"] / small["value"]
            floor_growth = big["baseline"]["value"] / small["baseline"]["value"]
            verdict = (
                "it grows with the file (the whole file and every parsed row are held in "
                "memory), it is not bounded by the batch size"
                if growth > lines_growth / 2
                else "it stays bounded by the batch size"
            )
            notes.append(
                f"{engine}: from {small_lines:,} to {big_lines:,} lines (×{lines_growth:g}) the "
                f"import's peak memory goes from {small['value']:.1f} to {big['value']:.1f} MiB "
                f"(×{growth:.1f}; the streaming floor ×{floor_growth:.1f}): {verdict}."
            )
        join = measures.get("memberships_spatial_join")
        if join is not None and join["ratio"] is not None and join["ratio"] > 1:
            notes.append(
                f"{engine}: in memory, the STRtree join costs ×{join['ratio']:.1f} the per-zone "
                "prepared `intersects_xy` loop (a point geometry per address for the tree "
                "query costs more than one bbox mask per zone): for a few dozen zones the "
                "per-zone loop is the faster implementation."
            )
    return notes


@benchmark(
    "territory",
    "BAN import, zone memberships rebuild, address search and import memory on a generated "
    "commune (100,000 addresses on 2,500 streets, 50 zones of 64–256 vertices).",
    setup=setup,
    notes=territory_notes,
)
def territory(context: Context, prepared: Prepared) -> list[Measure]:
    from beffroi.territory.models import Address, ZoneMembership
    from beffroi.territory.selectors import address_search
    from beffroi.territory.services import ban_import, memberships_rebuild

    lines = len(prepared.addresses)
    measures: list[Measure] = []

    # (1) BAN import against the floor of parse-and-store.
    _raw_table()
    raw_seconds, raw_count = timed(lambda: raw_import(prepared.csv_path))
    context.log(f"floor: {raw_count:,} rows in {raw_seconds:.2f}s")
    organisation = create_organisation("bench-import")
    seconds, report = timed(
        lambda: ban_import(organisation=organisation, path=prepared.csv_path, create_communes=True)
    )
    assert report.created == lines, report
    context.log(f"ban_import: {report.created:,} addresses in {seconds:.2f}s")
    measures.append(
        Measure(
            name="ban_import",
            description=f"`ban_import` of {lines:,} BAN lines into an empty organisation "
            "(parse, validate, streets, addresses, one transaction)",
            value=seconds,
            unit="s",
            baseline_description="`csv.DictReader` + raw `executemany` INSERT of the same rows "
            f"into an unindexed table, batches of {RAW_BATCH:,}, one transaction",
            baseline_value=raw_seconds,
        )
    )
    measures.append(
        Measure(
            name="ban_import_rate",
            description="BAN lines imported per second",
            value=lines / seconds,
            unit="lines/s",
            baseline_description="the floor above, rows per second",
            baseline_value=raw_count / raw_seconds,
        )
    )

    # (2) Memberships: STRtree service against a per-zone vectorised loop.
    _create_zones(organisation, prepared.zones)
    seconds, written = timed(lambda: memberships_rebuild(organisation=organisation))
    context.log(f"memberships_rebuild: {written:,} memberships in {seconds:.2f}s")
    base_seconds, base_written = timed(lambda: per_zone_rebuild(organisation))
    context.log(f"per-zone loop: {base_written:,} memberships in {base_seconds:.2f}s")
    # Same answer or the comparison means nothing.
    assert written == base_written == ZoneMembership.objects.count(), (written, base_written)
    zones = _zone_rows(organisation)
    ids_, lons, lats = _address_points(organisation)
    join_seconds, pairs = timed(lambda: strtree_pairs(zones, ids_, lons, lats))
    base_join_seconds, base_pairs = timed(lambda: per_zone_pairs(zones, ids_, lons, lats))
    assert sorted(pairs) == sorted(base_pairs)
    context.log(
        f"spatial join only: STRtree {join_seconds:.2f}s, per zone {base_join_seconds:.2f}s"
    )
    measures.append(
        Measure(
            name="memberships_rebuild",
            description=f"`memberships_rebuild`: {lines:,} addresses × {ZONES} zones "
            f"({written:,} memberships written), STRtree query + executemany",
            value=seconds,
            unit="s",
            baseline_description="per zone: numpy bbox mask over all points, then "
            "`shapely.intersects_xy` on the candidates (vectorised per zone, no STRtree); "
            "same reads and inserts",
            baseline_value=base_seconds,
        )
    )

    measures.append(
        Measure(
            name="memberships_spatial_join",
            description="the spatial join alone, in memory (zones parsed, STRtree built and "
            f"queried for {lines:,} points): no database",
            value=join_seconds,
            unit="s",
            baseline_description="the per-zone loop above, in memory (zones parsed and "
            "prepared, bbox mask, `intersects_xy`)",
            baseline_value=base_join_seconds,
        )
    )

    # (3) Search latency over queries with typos and abbreviations.
    ids = dict(Address.objects.filter(organisation=organisation).values_list("ban_id", "id"))
    rng = random.Random(500)
    sample = rng.sample(prepared.addresses, min(context.size(QUERIES, 50), lines))
    queries = [(make_query(rng, a), a) for a in sample]
    for query, _a in queries[:5]:
        address_search(organisation=organisation, query=query)  # warm caches, connections
    latencies: list[float] = []
    hits = 0
    for query, address in queries:
        seconds, found = timed(lambda q=query: address_search(organisation=organisation, query=q))  # type: ignore[misc]
        latencies.append(seconds * 1000)
        hits += bool(found) and found[0].address_id == ids[address.ban_id]
    exact: list[float] = []
    for _query, address in queries:

        def lookup(a: GeneratedAddress = address) -> list[str]:
            return [
                found.label
                for found in Address.objects.filter(
                    organisation=organisation,
                    street__name=a.street,
                    number=str(a.number),
                    suffix=a.suffix,
                ).select_related("street", "commune")[:10]
            ]

        seconds, labels = timed(lookup)
        assert labels, address
        exact.append(seconds * 1000)
    context.log(
        f"address_search: p50 {_percentile(latencies, 0.5):.1f} ms, "
        f"p95 {_percentile(latencies, 0.95):.1f} ms, top-1 {hits}/{len(queries)}"
    )
    searched = f"{len(queries)} queries like “{queries[0][0]}” on {lines:,} addresses"
    exact_description = (
        "exact SQL lookup by street name, number and suffix (indexed join, `select_related`)"
    )
    measures.append(
        Measure(
            name="address_search_p50",
            description=f"`address_search` median latency, {searched}",
            value=_percentile(latencies, 0.5),
            unit="ms",
            baseline_description=exact_description + ", median",
            baseline_value=_percentile(exact, 0.5),
        )
    )
    measures.append(
        Measure(
            name="address_search_p95",
            description="`address_search` 95th percentile latency, same queries",
            value=_percentile(latencies, 0.95),
            unit="ms",
            baseline_description=exact_description + ", 95th percentile",
            baseline_value=_percentile(exact, 0.95),
        )
    )
    measures.append(
        Measure(
            name="address_search_top1",
            description="share of those queries whose first result is the intended address",
            value=100 * hits / len(queries),
            unit="%",
            baseline_description="none (the exact lookup cannot read typed queries)",
            baseline_value=None,
        )
    )
    context.extra["search_mean_ms"] = round(statistics.fmean(latencies), 2)

    # (4) Peak memory of the import at two sizes, against the streaming floor.
    for label, path, count in (
        ("small", prepared.small_csv_path, prepared.small_lines),
        ("full", prepared.csv_path, lines),
    ):
        target = create_organisation(f"bench-memory-{label}")
        peak, report = _peak_traced(
            lambda p=path, o=target: ban_import(organisation=o, path=p, create_communes=True)  # type: ignore[misc]
        )
        assert report.created == count, report
        _raw_table()
        raw_peak, _rows = _peak_traced(lambda p=path: raw_import(p))  # type: ignore[misc]
        context.log(
            f"memory at {count:,} lines: ban_import {peak:.1f} MiB, floor {raw_peak:.1f} MiB"
        )
        measures.append(
            Measure(
                name=f"ban_import_peak_memory_{count}",
                description=f"peak Python memory (tracemalloc) of `ban_import` of {count:,} lines",
                value=peak,
                unit="MiB",
                baseline_description="the streaming floor (DictReader + executemany batches of "
                f"{RAW_BATCH:,}) on the same file",
                baseline_value=raw_peak,
            )
        )
    return measures
