"""``beffroi import_ban adresses-<INSEE>.csv``: import (upsert) BAN addresses."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from beffroi.core.imports import ImportRefused
from beffroi.core.progress import ProgressBar
from beffroi.territory.management.commands._organisation import organisation_from_option
from beffroi.territory.services import ban_import


class Command(BaseCommand):
    help = (
        "Import a Base Adresse Nationale per-commune CSV (adresses-<INSEE>.csv). Re-importing "
        "updates addresses by their BAN id. By default one bad line refuses the whole file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="BAN CSV file (semicolon-separated).")
        parser.add_argument("--organisation", default=None, help="Organisation slug.")
        parser.add_argument(
            "--allow-partial",
            action="store_true",
            help="Import the good lines and report the bad ones instead of refusing the file.",
        )
        parser.add_argument(
            "--create-communes",
            action="store_true",
            help="Create the communes of INSEE codes the organisation does not have yet.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = organisation_from_option(options["organisation"])
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("%(path)s: no such file.") % {"path": path})
        # The wrapped stream itself: OutputWrapper.write would end each redraw with a newline.
        stream: TextIO = self.stderr._out  # type: ignore[assignment]
        bar = ProgressBar(_("Importing %(file)s") % {"file": path.name}, stream=stream)
        try:
            report = ban_import(
                organisation=organisation,
                path=path,
                progress=bar.update,
                allow_partial=options["allow_partial"],
                create_communes=options["create_communes"],
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
        for refused in report.refused:
            self.stderr.write(_("rejected: %(error)s") % {"error": refused})
        if report.communes_created:
            self.stdout.write(
                _("Communes created: %(codes)s") % {"codes": ", ".join(report.communes_created)}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(lines)d line(s): %(created)d created, %(updated)d updated, "
                    "%(unchanged)d unchanged, %(rejected)d rejected; %(streets)d street(s) "
                    "created; %(memberships)d zone membership(s) computed."
                )
                % {
                    "lines": report.lines,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.skipped,
                    "rejected": len(report.refused),
                    "streets": report.streets_created,
                    "memberships": report.memberships,
                }
            )
        )
