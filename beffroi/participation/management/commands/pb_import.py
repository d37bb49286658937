"""``beffroi pb_import FILE.pb [--organisation SLUG] [--process SLUG]``: create a budget from
a PaBuLib file, with its projects, its ballots and, when the file records one, its official
outcome. Without ``--process`` the budget goes into a new archived participatory-budget
process named after the file (an imported election is a past vote). The last line of the
output ends with the new budget's id."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from beffroi.core.imports import ImportRefused
from beffroi.core.progress import ProgressBar
from beffroi.participation.budgets.services import pb_import
from beffroi.participation.management.commands._budgets import command_organisation
from beffroi.participation.models import Ballot, Blueprint, BudgetProject, Process


class Command(BaseCommand):
    help = (
        "Import a PaBuLib .pb file as a participatory budget (projects, ballots, official "
        "outcome). All or nothing: a malformed file is refused with each line and reason."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="PaBuLib .pb file (UTF-8).")
        parser.add_argument("--organisation", metavar="SLUG", default=None)
        parser.add_argument(
            "--process",
            metavar="SLUG",
            default=None,
            help="An existing participatory-budget process to hold the budget "
            "(default: a new archived one named after the file).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = command_organisation(options["organisation"])
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("%(path)s: no such file.") % {"path": path})
        process = None
        if options["process"]:
            process = Process.objects.filter(
                organisation=organisation, slug=options["process"], blueprint=Blueprint.BUDGET
            ).first()
            if process is None:
                raise CommandError(
                    _("No participatory-budget process with the slug %(slug)s.")
                    % {"slug": options["process"]}
                )
        # The wrapped stream itself: OutputWrapper.write would end each redraw with a newline.
        stream: TextIO = self.stderr._out  # type: ignore[assignment]
        bar = ProgressBar(_("Importing %(file)s") % {"file": path.name}, stream=stream)
        try:
            budget = pb_import(
                data=path.read_bytes(),
                organisation=organisation,
                process=process,
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
        projects = BudgetProject.objects.filter(budget=budget).count()
        ballots = Ballot.objects.filter(budget=budget).count()
        self.stdout.write(
            _(
                "%(projects)d project(s) and %(ballots)d ballot(s) imported into “%(title)s” "
                "(process %(process)s); budget id %(id)d"
            )
            % {
                "projects": projects,
                "ballots": ballots,
                "title": budget.title,
                "process": budget.process.slug,
                "id": budget.pk,
            }
        )
