"""``beffroi import_subscribers FILE.csv [--organisation SLUG] [--dry-run]``: register the
residents of a CSV list (all or nothing, each refused line reported)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from beffroi.alerts.subscriptions.imports import subscribers_import
from beffroi.core.imports import ImportRefused
from beffroi.core.progress import ProgressBar
from beffroi.territory.management.commands._organisation import organisation_from_option


class Command(BaseCommand):
    help = (
        "Register the residents of a CSV file for alerts. Columns are read by name (nom, "
        "prénom or full_name, email, telephone or mobile, fixe, adresse, code postal, commune, "
        "thèmes, langue, canaux); ';' or ',' and UTF-8 or ISO-8859-1 are detected. Residents "
        "already registered (same e-mail or number) are updated. One refused line refuses "
        "the file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file.")
        parser.add_argument("--organisation", default=None, help="Organisation slug.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; write nothing."
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
            report = subscribers_import(
                organisation=organisation,
                data=path.read_bytes(),
                dry_run=options["dry_run"],
                progress=bar.update,
            )
        except ImportRefused as exc:
            bar.finish()
            lines = "\n".join(f"  - {message}" for message in exc.messages)
            raise CommandError(
                _("%(path)s: nothing was imported (%(count)d refused line(s)):")
                % {"path": path, "count": len(exc.messages)}
                + f"\n{lines}"
            ) from exc
        bar.finish()
        for note in [*report.updated_lines, *report.duplicates]:
            self.stdout.write(str(note))
        summary = _(
            "%(path)s: %(total)d lines, %(created)d residents registered, %(updated)d updated, "
            "%(duplicates)d duplicate lines merged (%(encoding)s, '%(delimiter)s')."
        ) % {
            "path": path,
            "total": report.lines,
            "created": report.created,
            "updated": report.updated,
            "duplicates": len(report.duplicates),
            "encoding": report.encoding,
            "delimiter": report.delimiter,
        }
        if report.dry_run:
            summary += " " + _("Dry run: nothing was written.")
        self.stdout.write(self.style.SUCCESS(summary))
