"""``beffroi pb_export BUDGET_ID``: print a budget as a PaBuLib .pb file (UTF-8, no
byte-order mark)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from beffroi.participation.budgets.services import pb_export
from beffroi.participation.management.commands._budgets import (
    command_budget,
    command_organisation,
)


class Command(BaseCommand):
    help = "Print a participatory budget as a PaBuLib .pb file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("budget_id", type=int)
        parser.add_argument("--organisation", metavar="SLUG", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = command_organisation(options["organisation"])
        budget = command_budget(organisation, options["budget_id"])
        self.stdout.write(pb_export(budget=budget), ending="")
