"""``beffroi import_subscribers FILE.csv [--organisation SLUG] [--dry-run]
[--consent-held-by EMAIL]``: register the residents of a CSV list (all or nothing, each
refused line reported), and say how many each kind of alert reaches."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from beffroi.accounts.models import User
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
        parser.add_argument(
            "--consent-held-by",
            metavar="EMAIL",
            default="",
            help="The agent (an account's e-mail) who certifies that the commune holds the "
            "consent of every person in the file: their channels then count as verified "
            "(every alert reaches them, not only emergencies), with this import as the source.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = organisation_from_option(options["organisation"])
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("%(path)s: no such file.") % {"path": path})
        agent = None
        if options["consent_held_by"]:
            agent = User.objects.filter(email__iexact=options["consent_held_by"]).first()
            if agent is None:
                raise CommandError(
                    _("No account with the e-mail address %(email)s.")
                    % {"email": options["consent_held_by"]}
                )
        # The wrapped stream itself: OutputWrapper.write would end each redraw with a newline.
        stream: TextIO = self.stderr._out  # type: ignore[assignment]
        bar = ProgressBar(_("Importing %(file)s") % {"file": path.name}, stream=stream)
        try:
            report = subscribers_import(
                organisation=organisation,
                data=path.read_bytes(),
                actor=agent,
                file_name=path.name,
                consent=agent is not None,
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
        elif report.import_id is not None:
            summary += " " + _("Recorded as import #%(number)d.") % {"number": report.import_id}
        self.stdout.write(self.style.SUCCESS(summary))
        self.stdout.write(
            _("Commune's consent recorded: channels verified.")
            if report.consent
            else _(
                "Consent not recorded: unverified channels, emergency alerts only "
                "(--consent-held-by EMAIL to record it)."
            )
        )
        self.stdout.write(_("Residents of the file reached (routine alert / emergency alert):"))
        for row in report.reach:
            self.stdout.write(f"  {row.label}: {row.routine} / {row.emergency}")
