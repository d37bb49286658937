"""Writes of the territory: zones (drawn, imported), BAN addresses, zone memberships.

Membership of an address in a zone is computed here with shapely's vectorised predicates and
stored in ``ZoneMembership``, so that targeting an alert is a join. A point on a zone's
boundary counts as inside (``intersects_xy``, i.e. "covers" semantics): a house drawn on the
edge of a flood zone must be warned rather than forgotten.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from django.db import IntegrityError, connection, transaction
from django.tasks import task
from django.utils.translation import gettext as _

from beffroi.core.audit import audit_record
from beffroi.core.imports import (
    ImportRefused,
    ImportReport,
    Progress,
    RefusedLine,
    import_decode,
    import_run,
)
from beffroi.territory.geojson import (
    GEOMETRY_TYPES,
    MAX_FEATURES,
    MAX_FILE_BYTES,
    MAX_VERTICES,
    CleanGeometry,
    GeometryError,
    clean_geometry,
    crs_problem,
    geometry_shape,
)
from beffroi.territory.models import Address, Commune, Organisation, Street, Zone, ZoneMembership
from beffroi.territory.text import normalize_street

if TYPE_CHECKING:
    from beffroi.accounts.models import User

NAME_MAX_LENGTH = 200
_BATCH = 2_000


def _chunks[T](items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _in_chunk_size() -> int:
    # SQLite caps the number of bound parameters of one statement.
    limit = getattr(connection.features, "max_query_params", None) or 999
    return max(100, min(int(limit) - 10, 10_000))


# ---------------------------------------------------------------------------------------------
# Zone memberships


def _points_of(rows: Iterable[tuple[int, float, float]]) -> tuple[Any, Any, Any]:
    data = list(rows)
    ids = np.fromiter((row[0] for row in data), dtype=np.int64, count=len(data))
    lons = np.fromiter((row[1] for row in data), dtype=np.float64, count=len(data))
    lats = np.fromiter((row[2] for row in data), dtype=np.float64, count=len(data))
    return ids, lons, lats


def zone_memberships_refresh(*, zone: Zone) -> int:
    """Recompute which addresses lie in ``zone``; return how many do.

    Only the addresses inside the zone's bounding box are read; the point-in-polygon test
    is one vectorised call. Rows are diffed so an unchanged zone writes nothing.
    """
    geometry = geometry_shape(zone.geometry)
    shapely.prepare(geometry)
    candidates = Address.objects.filter(
        organisation_id=zone.organisation_id,
        lon__gte=zone.min_lon,
        lon__lte=zone.max_lon,
        lat__gte=zone.min_lat,
        lat__lte=zone.max_lat,
    ).values_list("id", "lon", "lat")
    ids, lons, lats = _points_of(candidates)
    inside = shapely.intersects_xy(geometry, lons, lats) if len(ids) else np.zeros(0, dtype=bool)
    wanted = {int(i) for i in ids[inside]}
    with transaction.atomic():
        existing = set(
            ZoneMembership.objects.filter(zone=zone).values_list("address_id", flat=True)
        )
        stale = sorted(existing - wanted)
        for chunk in _chunks(stale, _in_chunk_size()):
            ZoneMembership.objects.filter(zone=zone, address_id__in=chunk).delete()
        _insert_memberships((zone.pk, i) for i in sorted(wanted - existing))
    return len(wanted)


def _insert_memberships(pairs: Iterable[tuple[int, int]]) -> int:
    """Insert (zone_id, address_id) rows with executemany.

    Building a model instance per row costs more than the geometry itself (100k memberships:
    seconds through ``bulk_create``, a fraction of a second this way).
    """
    rows = list(pairs)
    if not rows:
        return 0
    meta = ZoneMembership._meta
    quote = connection.ops.quote_name
    # Identifiers come from the model's metadata, values are bound parameters.
    table = quote(meta.db_table)
    columns = f"{quote(meta.get_field('zone').column)}, {quote(meta.get_field('address').column)}"
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s)"  # noqa: S608
    with connection.cursor() as cursor:
        for batch in _chunks(rows, 10_000):
            cursor.executemany(sql, batch)
    return len(rows)


def _zone_tree(organisation: Organisation) -> tuple[Any, Any] | None:
    zones = list(Zone.objects.filter(organisation=organisation).values_list("id", "geometry"))
    if not zones:
        return None
    zone_ids = np.array([z[0] for z in zones], dtype=np.int64)
    geometries = np.array([geometry_shape(z[1]) for z in zones], dtype=object)
    return zone_ids, shapely.STRtree(geometries)


def _assign(zone_ids: Any, tree: Any, ids: Any, lons: Any, lats: Any) -> list[tuple[int, int]]:
    """(zone_id, address_id) of every address lying in a zone, in one STRtree query."""
    if not len(ids):
        return []
    points = shapely.points(lons, lats)
    # intersects: a point on a zone's edge belongs to the zone (covers semantics).
    address_index, zone_index = tree.query(points, predicate="intersects")
    return list(zip(zone_ids[zone_index].tolist(), ids[address_index].tolist(), strict=True))


def address_memberships_refresh(
    *, organisation: Organisation, address_ids: list[int] | None = None
) -> int:
    """Recompute the zones of the given addresses (all of the organisation's when None).

    Used after an address import: one STRtree over the organisation's zones answers every
    point at once. Returns the number of memberships written.
    """
    tree = _zone_tree(organisation)
    written = 0
    with transaction.atomic():
        if address_ids is None:
            ZoneMembership.objects.filter(zone__organisation=organisation).delete()
            if tree is None:
                return 0
            rows = Address.objects.filter(organisation=organisation).values_list("id", "lon", "lat")
            ids, lons, lats = _points_of(rows)
            return _insert_memberships(_assign(tree[0], tree[1], ids, lons, lats))
        unique_ids = sorted(set(address_ids))
        for chunk in _chunks(unique_ids, _in_chunk_size()):
            ZoneMembership.objects.filter(address_id__in=chunk).delete()
            if tree is None:
                continue
            rows = Address.objects.filter(organisation=organisation, id__in=chunk).values_list(
                "id", "lon", "lat"
            )
            ids, lons, lats = _points_of(rows)
            written += _insert_memberships(_assign(tree[0], tree[1], ids, lons, lats))
    return written


def memberships_rebuild(*, organisation: Organisation) -> int:
    """Recompute every membership of the organisation from scratch."""
    return address_memberships_refresh(organisation=organisation, address_ids=None)


# ---------------------------------------------------------------------------------------------
# Zones


class ZoneError(Exception):
    """A zone cannot be saved; ``errors`` maps a field (name, kind, geometry) to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors

    @property
    def messages(self) -> list[str]:
        return [m for messages in self.errors.values() for m in messages]


def _kind_label(kind: str) -> str:
    try:
        return str(Zone.Kind(kind).label)
    except ValueError:
        return kind


def _name_taken(organisation: Organisation, kind: str, name: str, exclude: int | None) -> bool:
    folded = name.casefold()
    others = Zone.objects.filter(organisation=organisation, kind=kind)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    return any(n.casefold() == folded for n in others.values_list("name", flat=True))


def _check_zone_fields(
    organisation: Organisation, name: str, kind: str, exclude: int | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in Zone.Kind.values:
        errors["kind"] = [_("“%(kind)s” is not a zone kind.") % {"kind": kind}]
    if not name:
        errors["name"] = [_("Give the zone a name.")]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [
            _("The name is longer than %(max)d characters.") % {"max": NAME_MAX_LENGTH}
        ]
    elif "kind" not in errors and _name_taken(organisation, kind, name, exclude):
        errors["name"] = [
            _("A zone of kind “%(kind)s” named “%(name)s” already exists.")
            % {"kind": _kind_label(kind), "name": name}
        ]
    return errors


def _clean_or_error(geometry: Any, errors: dict[str, list[str]]) -> CleanGeometry | None:
    try:
        return clean_geometry(geometry)
    except GeometryError as exc:
        errors["geometry"] = [
            _("The geometry is not usable: %(reason)s.") % {"reason": r} for r in exc.reasons
        ]
        return None


def _apply_geometry(zone: Zone, clean: CleanGeometry) -> None:
    zone.geometry = clean.geojson
    zone.min_lon, zone.min_lat, zone.max_lon, zone.max_lat = clean.bbox
    zone.area_m2 = clean.area_m2


def _refresh_after_commit_or_now(zone: Zone, *, inline: bool) -> None:
    if inline:
        zone_memberships_refresh(zone=zone)
        return
    zone_id = zone.pk
    transaction.on_commit(lambda: zone_memberships_refresh_task.enqueue(zone_id))


def zone_create(
    *,
    organisation: Organisation,
    name: str,
    kind: str,
    geometry: dict[str, Any],
    description: str = "",
    actor: User | None = None,
    refresh_inline: bool = True,
) -> Zone:
    """Create a zone and compute its addresses (inline, or in a task when ``refresh_inline``
    is False, for zones covering hundreds of thousands of addresses)."""
    name = name.strip()
    errors = _check_zone_fields(organisation, name, kind, None)
    clean = _clean_or_error(geometry, errors)
    if errors or clean is None:
        raise ZoneError(errors)
    zone = Zone(organisation=organisation, name=name, kind=kind, description=description.strip())
    _apply_geometry(zone, clean)
    try:
        with transaction.atomic():
            zone.save()
            _refresh_after_commit_or_now(zone, inline=refresh_inline)
            audit_record(
                action="zone.create",
                organisation=organisation,
                actor=actor,
                target=zone,
                data={"name": zone.name, "kind": zone.kind, "area_m2": round(zone.area_m2)},
            )
    except IntegrityError as exc:
        # Two agents saving the same name at once: the constraint decides.
        raise ZoneError({"name": [_("A zone with this name and kind already exists.")]}) from exc
    return zone


def zone_update(
    *,
    zone: Zone,
    name: str | None = None,
    kind: str | None = None,
    geometry: dict[str, Any] | None = None,
    description: str | None = None,
    actor: User | None = None,
    refresh_inline: bool = True,
) -> Zone:
    """Change a zone; its memberships are recomputed when its geometry changed."""
    new_name = zone.name if name is None else name.strip()
    new_kind = zone.kind if kind is None else kind
    errors = _check_zone_fields(zone.organisation, new_name, new_kind, zone.pk)
    clean = _clean_or_error(geometry, errors) if geometry is not None else None
    if errors:
        raise ZoneError(errors)
    changed: list[str] = []
    if new_name != zone.name:
        zone.name = new_name
        changed.append("name")
    if new_kind != zone.kind:
        zone.kind = new_kind
        changed.append("kind")
    if description is not None and description.strip() != zone.description:
        zone.description = description.strip()
        changed.append("description")
    if clean is not None and clean.geojson != zone.geometry:
        _apply_geometry(zone, clean)
        changed += ["geometry", "min_lon", "min_lat", "max_lon", "max_lat", "area_m2"]
    if not changed:
        return zone
    try:
        with transaction.atomic():
            zone.save(update_fields=[*changed, "updated_at"])
            if "geometry" in changed:
                _refresh_after_commit_or_now(zone, inline=refresh_inline)
            audit_record(
                action="zone.update",
                organisation=zone.organisation,
                actor=actor,
                target=zone,
                data={
                    "fields": [
                        f for f in changed if f in {"name", "kind", "description", "geometry"}
                    ]
                },
            )
    except IntegrityError as exc:
        raise ZoneError({"name": [_("A zone with this name and kind already exists.")]}) from exc
    return zone


def zone_delete(*, zone: Zone, actor: User | None = None) -> None:
    """Delete a zone; its memberships go with it (database cascade)."""
    with transaction.atomic():
        audit_record(
            action="zone.delete",
            organisation=zone.organisation,
            actor=actor,
            target=zone,
            data={"name": zone.name, "kind": zone.kind},
        )
        zone.delete()


# ---------------------------------------------------------------------------------------------
# GeoJSON import


@dataclass
class ZoneImportReport(ImportReport):
    """``lines`` counts the features of the file; ``zones`` are the zones written."""

    zones: list[Zone] = field(default_factory=list)


_NAME_FALLBACKS = ("name", "nom")


def _reject_constant(value: str) -> Any:
    raise ValueError(_("%(value)s is not a number") % {"value": value})


def _feature_name(properties: dict[str, Any], name_property: str | None) -> Any:
    if name_property is not None:
        return properties.get(name_property)
    for key, value in properties.items():
        if isinstance(key, str) and key.lower() in _NAME_FALLBACKS:
            return value
    return None


def _count_positions(value: Any, depth: int = 0) -> int:
    # Positions are lists of numbers; stop at depth 4 (MultiPolygon) to bound the walk.
    if not isinstance(value, list) or depth > 4:
        return 0
    if value and all(isinstance(v, int | float) for v in value):
        return 1
    return sum(_count_positions(v, depth + 1) for v in value)


def _load_features(data: bytes, report: ImportReport) -> list[Any]:
    """The features of the document; the file's own problems go to ``report``."""
    problems = report.problems
    if len(data) > MAX_FILE_BYTES:
        problems.append(
            _("The file is %(size).1f MB; the limit is %(max)d MB.")
            % {"size": len(data) / 1_000_000, "max": MAX_FILE_BYTES // (1024 * 1024)}
        )
        return []
    text = import_decode(data, report)
    if text is None:
        return []
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        problems.append(_("The file is not valid JSON: it is nested too deeply."))
        return []
    except ValueError as exc:
        detail = str(exc)
        if isinstance(exc, json.JSONDecodeError):
            detail = _("line %(line)d, column %(column)d: %(message)s") % {
                "line": exc.lineno,
                "column": exc.colno,
                "message": exc.msg,
            }
        problems.append(_("The file is not valid JSON (%(detail)s).") % {"detail": detail})
        return []
    if not isinstance(document, dict):
        problems.append(_("The file is not a GeoJSON FeatureCollection, Feature or geometry."))
        return []
    problem = crs_problem(document.get("crs"))
    if problem:
        problems.append(_("The file is refused: %(reason)s.") % {"reason": problem})
    kind = document.get("type")
    features: Any
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            problems.append(_("The FeatureCollection has no “features” list."))
            return []
    elif kind == "Feature":
        features = [document]
    elif kind in GEOMETRY_TYPES:
        features = [{"type": "Feature", "properties": {}, "geometry": document}]
    else:
        problems.append(_("The file is not a GeoJSON FeatureCollection, Feature or geometry."))
        return []
    if not features:
        problems.append(_("The file contains no feature."))
    elif len(features) > MAX_FEATURES:
        problems.append(
            _("The file has %(count)d features; at most %(max)d can be imported at once.")
            % {"count": len(features), "max": MAX_FEATURES}
        )
    else:
        vertices = sum(
            _count_positions(f.get("geometry", {}).get("coordinates"))
            for f in features
            if isinstance(f, dict) and isinstance(f.get("geometry"), dict)
        )
        if vertices > MAX_VERTICES:
            problems.append(
                _("The file has %(count)d vertices; at most %(max)d can be imported: simplify it.")
                % {"count": vertices, "max": MAX_VERTICES}
            )
    return list(features)


@dataclass
class _ImportedFeature:
    index: int
    name: str
    description: str
    clean: CleanGeometry


def _check_feature(
    index: int,
    feature: Any,
    *,
    kind: str,
    name_property: str | None,
    existing: dict[str, Zone],
    replace: bool,
    seen: dict[str, int],
) -> _ImportedFeature | RefusedLine | list[RefusedLine]:
    """One feature made ready to save, or every reason it cannot be (``seen``: the names
    of the features accepted so far, casefolded, to their index)."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return RefusedLine(
            index,
            _("it is not a GeoJSON Feature."),
            where=_("Feature %(index)d") % {"index": index},
        )
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        properties = {}
    raw_name = _feature_name(properties, name_property)
    name = str(raw_name).strip() if isinstance(raw_name, str | int | float) else ""
    label = (
        _("Feature %(index)d (“%(name)s”)") % {"index": index, "name": name}
        if name
        else _("Feature %(index)d") % {"index": index}
    )
    problems: list[str] = []
    if not name:
        if name_property is not None:
            problems.append(
                _("the property “%(property)s” holding the name is missing or empty")
                % {"property": name_property}
            )
        else:
            available = ", ".join(sorted(str(k) for k in properties)) or _("none")
            problems.append(
                _(
                    "no “name” or “nom” property; choose the property holding the zone's "
                    "name (properties of this feature: %(available)s)"
                )
                % {"available": available}
            )
    elif len(name) > NAME_MAX_LENGTH:
        problems.append(_("the name is longer than %(max)d characters") % {"max": NAME_MAX_LENGTH})
    elif name.casefold() in seen:
        problems.append(
            _("the name is also used by feature %(other)d") % {"other": seen[name.casefold()]}
        )
    else:
        seen[name.casefold()] = index
    crs = crs_problem(feature.get("crs"))
    if crs:
        problems.append(crs)
    clean: CleanGeometry | None = None
    geometry = feature.get("geometry")
    if geometry is None:
        problems.append(_("it has no geometry"))
    else:
        try:
            clean = clean_geometry(geometry)
        except GeometryError as exc:
            problems.extend(exc.reasons)
    if problems or clean is None:
        # The sentences of a feature end with a full stop, as they always did.
        return [RefusedLine(index, f"{problem}.", where=label) for problem in problems]
    if not replace and name.casefold() in existing:
        return RefusedLine(
            index,
            _(
                "a zone of kind “%(kind)s” with this name already exists (import with "
                "“replace” to update its geometry)."
            )
            % {"kind": _kind_label(kind)},
            where=label,
        )
    description = properties.get("description")
    return _ImportedFeature(
        index=index,
        name=name,
        description=description.strip() if isinstance(description, str) else "",
        clean=clean,
    )


def zones_import_geojson(
    *,
    organisation: Organisation,
    data: bytes,
    kind: str,
    name_property: str | None = None,
    actor: User | None = None,
    replace: bool = False,
    progress: Progress | None = None,
) -> ZoneImportReport:
    """Import the Polygon/MultiPolygon features of a GeoJSON file as zones of ``kind``.

    All or nothing: every problem of the file and of its features is reported by
    ``ImportRefused``; nothing is written unless the whole file is good. Names come from
    ``name_property`` (else a "name" or "nom" property). With ``replace``, a zone of the same
    kind and name gets the file's geometry instead of being refused as a duplicate.
    ``progress(done, total)`` counts features.
    """
    report = ZoneImportReport()
    if kind not in Zone.Kind.values:
        report.problems.append(
            _("“%(kind)s” is not a zone kind (choose among %(kinds)s).")
            % {"kind": kind, "kinds": ", ".join(Zone.Kind.values)}
        )
        raise ImportRefused(report)
    features = _load_features(data, report)
    existing = {
        zone.name.casefold(): zone
        for zone in Zone.objects.filter(organisation=organisation, kind=kind)
    }
    seen: dict[str, int] = {}

    def check(index: int, feature: Any) -> _ImportedFeature | RefusedLine | list[RefusedLine]:
        return _check_feature(
            index,
            feature,
            kind=kind,
            name_property=name_property,
            existing=existing,
            replace=replace,
            seen=seen,
        )

    def write(good: list[_ImportedFeature], step: Progress) -> None:
        for item in good:
            zone = existing.get(item.name.casefold())
            if zone is None:
                zone = Zone(
                    organisation=organisation,
                    kind=kind,
                    name=item.name,
                    description=item.description,
                )
                report.created += 1
            else:
                zone.name = item.name
                if item.description:
                    zone.description = item.description
                report.updated += 1
            _apply_geometry(zone, item.clean)
            zone.save()
            report.zones.append(zone)
        # Memberships are the slow part of a zone (one geometry test per address nearby).
        for done, zone in enumerate(report.zones, start=1):
            zone_memberships_refresh(zone=zone)
            step(done, len(report.zones))
        audit_record(
            action="zone.import",
            organisation=organisation,
            actor=actor,
            data={
                "kind": kind,
                "created": report.created,
                "updated": report.updated,
                "names": [z.name for z in report.zones][:100],
            },
        )

    import_run(
        report,
        list(enumerate(features, start=1)),
        check=check,
        write=write,
        progress=progress,
    )
    return report


# ---------------------------------------------------------------------------------------------
# BAN import

BAN_REQUIRED_COLUMNS = (
    "id",
    "numero",
    "rep",
    "nom_voie",
    "code_postal",
    "code_insee",
    "nom_commune",
    "lon",
    "lat",
)
_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_POSTCODE = re.compile(r"^\d{5}$")
# The BAN numbers addresses without a house number (lieux-dits) 99999.
_NO_NUMBER = "99999"


@dataclass
class AddressImportReport(ImportReport):
    """``skipped`` counts the addresses already up to date."""

    streets_created: int = 0
    communes_created: list[str] = field(default_factory=list)
    memberships: int = 0


@dataclass(frozen=True)
class _BanRow:
    line: int
    ban_id: str
    number: str
    suffix: str
    street: str
    postcode: str
    insee: str
    commune_name: str
    lon: float
    lat: float
    locality: str


def _ban_rows(
    text: str, report: ImportReport
) -> tuple[list[tuple[int, list[str]]], dict[str, int]]:
    """The address lines (with their line numbers) and the position of each column; the
    problems of the header go to ``report``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        report.problems.append(_("The file is empty: the BAN header line is missing."))
        return [], {}
    columns = [cell.strip().lower() for cell in header]
    missing = [c for c in BAN_REQUIRED_COLUMNS if c not in columns]
    if missing:
        report.problems.append(
            _(
                "Required columns are missing: %(missing)s (found: %(found)s). Is this a "
                "BAN “adresses-<INSEE>.csv” file, separated by semicolons?"
            )
            % {"missing": ", ".join(missing), "found": ", ".join(columns)}
        )
        return [], {}
    index: dict[str, int] = {}
    for position, name in enumerate(columns):
        index.setdefault(name, position)
    rows = [(reader.line_num, row) for row in reader if row and any(c.strip() for c in row)]
    return rows, index


def _parse_float(value: str) -> float | None:
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


@lru_cache(maxsize=4096)
def _same_place_key(name: str) -> str:
    return normalize_street(name)


def _parse_ban_row(line: int, row: list[str], index: dict[str, int], width: int) -> _BanRow | str:
    if len(row) < width:
        return _("the line has %(count)d fields, the header has %(expected)d") % {
            "count": len(row),
            "expected": width,
        }

    def cell(name: str) -> str:
        position = index.get(name)
        return row[position].strip() if position is not None and position < len(row) else ""

    ban_id = cell("id")
    if not ban_id:
        return _("the BAN identifier (id) is empty")
    if len(ban_id) > 64:
        return _("the BAN identifier is longer than 64 characters")
    street = cell("nom_voie")
    if not street:
        return _("the street name (nom_voie) is empty")
    if len(street) > 200:
        return _("the street name is longer than 200 characters")
    number = cell("numero")
    if number == _NO_NUMBER:
        number = ""
    if number and (not number.isdigit() or len(number) > 10):
        return _("the house number “%(number)s” is not a whole number") % {"number": number}
    if number:
        number = str(int(number))
    suffix = cell("rep")
    if len(suffix) > 10:
        return _("the suffix (rep) “%(suffix)s” is too long") % {"suffix": suffix}
    lon = _parse_float(cell("lon"))
    lat = _parse_float(cell("lat"))
    if lon is None or lat is None:
        return _("the longitude/latitude “%(lon)s”/“%(lat)s” are not numbers") % {
            "lon": cell("lon"),
            "lat": cell("lat"),
        }
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return _("the longitude/latitude %(lon)s/%(lat)s are out of range") % {
            "lon": cell("lon"),
            "lat": cell("lat"),
        }
    insee = cell("code_insee").upper()
    if not _INSEE.match(insee):
        return _("the INSEE code “%(code)s” is not a commune code") % {"code": insee}
    postcode = cell("code_postal")
    if postcode and not _POSTCODE.match(postcode):
        return _("the postcode “%(postcode)s” is not 5 digits") % {"postcode": postcode}
    commune_name = cell("nom_commune")
    locality = cell("nom_ld")
    if not locality:
        # Where a delegated commune keeps its own postal name, it is where people say they live.
        routing = cell("libelle_acheminement")
        if routing and _same_place_key(routing) != _same_place_key(commune_name):
            locality = routing.title()
    return _BanRow(
        line=line,
        ban_id=ban_id,
        number=number,
        suffix=suffix,
        street=street,
        postcode=postcode,
        insee=insee,
        commune_name=commune_name or insee,
        lon=lon,
        lat=lat,
        locality=locality[:200],
    )


def ban_import(
    *,
    organisation: Organisation,
    path: Path,
    progress: Progress | None = None,
    allow_partial: bool = False,
    create_communes: bool = False,
    actor: User | None = None,
) -> AddressImportReport:
    """Import (upsert by BAN id) the addresses of a BAN per-commune CSV.

    Columns are read by name. Each bad line is reported with its number and reason; unless
    ``allow_partial``, one bad line refuses the whole file (``ImportRefused``, nothing
    written). A line whose INSEE code is not a commune of the organisation is refused, or
    creates that commune when ``create_communes``. ``progress(done, total)`` counts lines.
    """
    report = AddressImportReport()
    text: str | None = None
    try:
        text = import_decode(path.read_bytes(), report)
    except OSError as exc:
        report.problems.append(
            _("The file cannot be read: %(error)s") % {"error": exc.strerror or exc}
        )
    rows: list[tuple[int, list[str]]] = []
    index: dict[str, int] = {}
    if text is not None:
        try:
            rows, index = _ban_rows(text, report)
        except csv.Error as exc:
            report.problems.append(_("The file is not a valid CSV: %(error)s") % {"error": exc})
    if not report.problems and not rows:
        report.problems.append(_("The file has a header but no address line."))
    if report.problems:
        raise ImportRefused(report)
    width = max(index.values()) + 1

    communes = {c.insee_code: c for c in Commune.objects.filter(organisation=organisation)}
    new_communes: dict[str, tuple[str, str]] = {}
    first_line: dict[str, int] = {}

    def check(line: int, row: list[str]) -> _BanRow | RefusedLine:
        result = _parse_ban_row(line, row, index, width)
        if isinstance(result, str):
            return RefusedLine(line, result)
        if result.ban_id in first_line:
            return RefusedLine(
                line,
                _("the BAN identifier %(id)s already appears on line %(other)d")
                % {"id": result.ban_id, "other": first_line[result.ban_id]},
            )
        if result.insee not in communes and not create_communes:
            return RefusedLine(
                line,
                _(
                    "the INSEE code %(code)s (%(name)s) is not a commune of %(organisation)s "
                    "(import with “create communes” to add it)"
                )
                % {
                    "code": result.insee,
                    "name": result.commune_name,
                    "organisation": organisation.name,
                },
            )
        first_line[result.ban_id] = line
        if result.insee not in communes:
            new_communes.setdefault(result.insee, (result.commune_name, result.postcode))
        return result

    def write(parsed: list[_BanRow], step: Progress) -> None:
        for insee, (name, postcode) in sorted(new_communes.items()):
            communes[insee] = Commune.objects.create(
                organisation=organisation, insee_code=insee, name=name[:200], postcode=postcode
            )
            report.communes_created.append(insee)
        street_ids = _ensure_streets(organisation, communes, parsed, report)
        changed_ids = _upsert_addresses(organisation, communes, street_ids, parsed, report, step)
        report.memberships = address_memberships_refresh(
            organisation=organisation, address_ids=changed_ids
        )
        audit_record(
            action="address.import",
            organisation=organisation,
            actor=actor,
            data={
                "file": path.name,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.skipped,
                "rejected": len(report.refused),
            },
        )

    import_run(report, rows, check=check, write=write, progress=progress, partial=allow_partial)
    return report


def _ensure_streets(
    organisation: Organisation,
    communes: dict[str, Commune],
    rows: list[_BanRow],
    report: AddressImportReport,
) -> dict[tuple[int, str], int]:
    commune_ids = [c.pk for c in communes.values()]
    known = {
        (commune_id, name): pk
        for pk, commune_id, name in Street.objects.filter(
            organisation=organisation, commune_id__in=commune_ids
        ).values_list("id", "commune_id", "name")
    }
    missing: dict[tuple[int, str], Street] = {}
    for row in rows:
        key = (communes[row.insee].pk, row.street)
        if key not in known and key not in missing:
            missing[key] = Street(
                organisation=organisation,
                commune_id=key[0],
                name=row.street,
                normalized=normalize_street(row.street)[:200],
            )
    created = Street.objects.bulk_create(list(missing.values()), batch_size=_BATCH)
    for street in created:
        known[(street.commune_id, street.name)] = street.pk
    report.streets_created = len(created)
    return known


_ADDRESS_FIELDS = (
    "commune_id",
    "street_id",
    "number",
    "suffix",
    "postcode",
    "locality",
    "lon",
    "lat",
)


def _address_columns(names: Sequence[str]) -> list[str]:
    quote = connection.ops.quote_name
    fields = {f.attname: str(f.column) for f in Address._meta.concrete_fields}
    return [quote(fields[name]) for name in names]


def _upsert_addresses(
    organisation: Organisation,
    communes: dict[str, Commune],
    street_ids: dict[tuple[int, str], int],
    rows: list[_BanRow],
    report: AddressImportReport,
    step: Progress,
) -> list[int]:
    """Create new addresses, update changed ones; return the ids whose position may differ.
    ``step(done, total)`` counts the rows, those already up to date done from the start.

    Plain ``executemany`` statements: a model instance per BAN line made ``bulk_create``
    the slowest part of an import (a minute for 100k lines instead of seconds).
    """
    existing: dict[str, tuple[Any, ...]] = {
        values[0]: values[1:]
        for values in Address.objects.filter(organisation=organisation)
        .exclude(ban_id="")
        .values_list("ban_id", "id", *_ADDRESS_FIELDS)
    }
    to_create: list[tuple[Any, ...]] = []
    to_update: list[tuple[Any, ...]] = []
    created_ban_ids: list[str] = []
    for row in rows:
        commune_id = communes[row.insee].pk
        values = (
            commune_id,
            street_ids[(commune_id, row.street)],
            row.number,
            row.suffix,
            row.postcode,
            row.locality,
            row.lon,
            row.lat,
        )
        current = existing.get(row.ban_id)
        if current is None:
            to_create.append((organisation.pk, row.ban_id, *values))
            created_ban_ids.append(row.ban_id)
        elif tuple(current[1:]) != values:
            to_update.append((*values, current[0]))
        else:
            report.skipped += 1
    table = connection.ops.quote_name(Address._meta.db_table)
    insert_columns = ", ".join(_address_columns(["organisation_id", "ban_id", *_ADDRESS_FIELDS]))
    placeholders = ", ".join(["%s"] * (2 + len(_ADDRESS_FIELDS)))
    # Identifiers come from the model's metadata, values are bound parameters.
    insert = f"INSERT INTO {table} ({insert_columns}) VALUES ({placeholders})"  # noqa: S608
    assignments = ", ".join(f"{column} = %s" for column in _address_columns(_ADDRESS_FIELDS))
    [pk_column] = _address_columns(["id"])
    update = f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s"  # noqa: S608
    total = len(rows)
    done = total - len(to_create) - len(to_update)
    with connection.cursor() as cursor:
        for batch in _chunks(to_create, 5_000):
            cursor.executemany(insert, list(batch))
            done += len(batch)
            step(done, total)
        for batch in _chunks(to_update, 5_000):
            cursor.executemany(update, list(batch))
            done += len(batch)
            step(done, total)
    changed_ids = [row[-1] for row in to_update]
    if created_ban_ids:
        ids = dict(
            Address.objects.filter(organisation=organisation)
            .exclude(ban_id="")
            .values_list("ban_id", "id")
        )
        changed_ids.extend(ids[ban_id] for ban_id in created_ban_ids)
    report.created = len(to_create)
    report.updated = len(to_update)
    return changed_ids


# --- Tasks: fetch by id, call the service ------------------------------------------------


@task(queue_name="default")
def zone_memberships_refresh_task(zone_id: int) -> int:
    """Recompute a zone's addresses; a zone deleted meanwhile has nothing to refresh."""
    zone = Zone.objects.filter(pk=zone_id).first()
    if zone is None:
        return 0
    return zone_memberships_refresh(zone=zone)
