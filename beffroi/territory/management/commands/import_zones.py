"""``beffroi import_zones FILE.geojson --kind KIND``: import zones, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from beffroi.core.imports import ImportRefused
from beffroi.core.progress import ProgressBar
from beffroi.territory.geojson import MAX_FILE_BYTES
from beffroi.territory.management.commands._organisation import organisation_from_option
from beffroi.territory.models import Zone
from beffroi.territory.services import zones_import_geojson


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
                    _("%(path)s: the file is %(size).1f MB; the limit is %(max)d MB.")
                    % {"path": path, "size": size / 1_000_000, "max": MAX_FILE_BYTES // 1048576}
                )
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from exc
        # The wrapped stream itself: OutputWrapper.write would end each redraw with a newline.
        stream: TextIO = self.stderr._out  # type: ignore[assignment]
        bar = ProgressBar(_("Importing %(file)s") % {"file": path.name}, stream=stream)
        try:
            report = zones_import_geojson(
                organisation=organisation,
                data=data,
                kind=options["kind"],
                name_property=options["name_property"],
                replace=options["replace"],
                progress=bar.update,
            )
        except ImportRefused as exc:
            bar.finish()
            lines = "\n".join(f"  - {message}" for message in exc.messages)
            raise CommandError(
                _("%(path)s: nothing was imported (%(count)d problem(s)):")
                % {"path": path, "count": len(exc.messages)}
                + f"\n{lines}"
            ) from exc
        bar.finish()
        zones = report.zones
        for zone in zones:
            self.stdout.write(
                _("%(name)s: %(count)d address(es)")
                % {"name": zone.name, "count": zone.memberships.count()}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("%(count)d zone(s) imported into %(organisation)s.")
                % {"count": len(zones), "organisation": organisation.name}
            )
        )
