"""``beffroi pb_results BUDGET_ID --rule greedy|mes|mes-add1``: compute a budget's result
under a rule (stored, as the task does) and print the PaBuLib project ids of the selected
projects, one per line, in selection order. Nothing else goes to standard output."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from beffroi.participation.budgets.services import results_compute
from beffroi.participation.management.commands._budgets import (
    command_budget,
    command_organisation,
)
from beffroi.participation.models import Rule


class Command(BaseCommand):
    help = "Compute a budget's winners under a rule; print their PaBuLib project ids."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("budget_id", type=int)
        parser.add_argument("--rule", required=True, choices=Rule.values)
        parser.add_argument("--organisation", metavar="SLUG", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = command_organisation(options["organisation"])
        budget = command_budget(organisation, options["budget_id"])
        try:
            result = results_compute(budget=budget, rule=options["rule"])
        except Exception as exc:
            raise CommandError(
                _("The result could not be computed: %(error)s") % {"error": exc}
            ) from exc
        for project_id in result.selected:
            self.stdout.write(project_id)
