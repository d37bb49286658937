"""``beffroi import_rna FILE.csv [--insee CODE] [--organisation SLUG]``: fill the directory of
associations from the RNA "waldec" export."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from beffroi.core.imports import ImportRefused
from beffroi.core.progress import ProgressBar
from beffroi.territory.models import Organisation
from beffroi.volunteering.associations.services import rna_import_file


def _organisation(slug: str | None) -> Organisation:
    if slug:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            known = ", ".join(Organisation.objects.values_list("slug", flat=True)) or "—"
            raise CommandError(
                _("No organisation with slug “%(slug)s” (known: %(known)s).")
                % {"slug": slug, "known": known}
            )
        return organisation
    organisation = Organisation.objects.filter(is_default=True).first()
    if organisation is None:
        raise CommandError(_("There is no default organisation: pass --organisation SLUG."))
    return organisation


class Command(BaseCommand):
    help = (
        "Import the associations of the RNA “waldec” export (data.gouv.fr). Dissolved "
        "associations are skipped; a known RNA number is updated, except the fields its "
        "managers changed. Lines are kept to the organisation's communes, or to --insee."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="RNA waldec CSV file (semicolon-separated).")
        parser.add_argument(
            "--insee",
            default=None,
            help="INSEE code of the commune whose associations to import (default: the "
            "organisation's communes).",
        )
        parser.add_argument("--organisation", default=None, help="Organisation slug.")
        parser.add_argument(
            "--partial",
            action="store_true",
            help="Import the accepted lines even when some are refused (by default one "
            "refused line refuses the whole file, and nothing is written).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = _organisation(options["organisation"])
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("%(path)s: no such file.") % {"path": path})
        # The wrapped stream itself: OutputWrapper.write would end each redraw with a newline.
        stream: TextIO = self.stderr._out  # type: ignore[assignment]
        bar = ProgressBar(_("Importing %(file)s") % {"file": path.name}, stream=stream)
        try:
            report = rna_import_file(
                organisation=organisation,
                path=path,
                insee=options["insee"],
                progress=bar.update,
                partial=options["partial"],
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
            self.stderr.write(_("refused: %(error)s") % {"error": refused})
        for note in report.notes:
            self.stderr.write(_("note: %(note)s") % {"note": note})
        self.stdout.write(
            _(
                "Skipped: %(dissolved)d dissolved, %(elsewhere)d of another commune, "
                "%(unchanged)d unchanged. %(located)d new association(s) placed on the map."
            )
            % {
                "dissolved": report.dissolved,
                "elsewhere": report.elsewhere,
                "unchanged": report.unchanged,
                "located": report.located,
            }
        )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(created)d imported, %(updated)d updated, %(skipped)d skipped, "
                    "%(refused)d refused."
                )
                % {
                    "created": report.created,
                    "updated": report.updated,
                    "skipped": report.skipped,
                    "refused": len(report.refused),
                }
            )
        )
