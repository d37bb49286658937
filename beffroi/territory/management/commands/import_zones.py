"""``beffroi import_zones FILE.geojson --kind KIND``: import zones, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from beffroi.territory.geojson import MAX_FILE_BYTES
from beffroi.territory.management.commands._organisation import organisation_from_option
from beffroi.territory.models import Zone
from beffroi.territory.services import GeoJSONImportError, zones_import_geojson


class Command(BaseCommand):
    help = (
        "Import the Polygon/MultiPolygon features of a GeoJSON file (WGS84) as zones. "
        "Nothing is imported if any feature is refused; every problem is listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="GeoJSON file (FeatureCollection).")
        parser.add_argument("--kind", required=True, choices=Zone.Kind.values)
        parser.add_argument(
            "--name-property",
            default=None,
            help="Feature property holding the zone's name (default: “name” or “nom”).",
        )
        parser.add_argument("--organisation", default=None, help="Organisation slug.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Update the geometry of existing zones with the same kind and name.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = organisation_from_option(options["organisation"])
        path: Path = options["file"]
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise CommandError(
                    f"{path}: the file is {size / 1_000_000:.1f} MB; the limit is "
                    f"{MAX_FILE_BYTES // (1024 * 1024)} MB."
                )
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from exc
        try:
            zones = zones_import_geojson(
                organisation=organisation,
                data=data,
                kind=options["kind"],
                name_property=options["name_property"],
                replace=options["replace"],
            )
        except GeoJSONImportError as exc:
            lines = "\n".join(f"  - {error}" for error in exc.errors)
            raise CommandError(
                f"{path}: nothing was imported ({len(exc.errors)} problem(s)):\n{lines}"
            ) from exc
        for zone in zones:
            self.stdout.write(f"{zone.name}: {zone.memberships.count()} address(es)")
        self.stdout.write(
            self.style.SUCCESS(f"{len(zones)} zone(s) imported into {organisation.name}.")
        )
