"""``beffroi demo``: load the fictional commune of Vaudrecourt-sur-Aulne (idempotent)."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import ProtectedError

from beffroi.demo import constants as c
from beffroi.demo.loader import DemoError, demo_load


class Command(BaseCommand):
    help = (
        "Load the fictional demo commune Vaudrecourt-sur-Aulne: zones, ~1,500 BAN addresses, "
        "residents and one agent per role. Does nothing when it is already loaded."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo organisation and its accounts, then build it again.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"  {message}")
            self.stdout.flush()

        try:
            report = demo_load(reset=options["reset"], progress=progress)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        except ProtectedError as exc:
            raise CommandError(
                "The demo organisation is referenced by data that cannot be deleted "
                f"automatically ({exc}); remove it first."
            ) from exc
        summary = (
            f"{report.organisation.name}: {report.zones} zones, {report.streets} streets, "
            f"{report.addresses} addresses, {report.residents} residents, "
            f"{report.agents} agents"
        )
        if report.loaded:
            elapsed = time.monotonic() - started
            self.stdout.write(self.style.SUCCESS(f"Demo loaded in {elapsed:.1f} s. {summary}."))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo already loaded, nothing changed ({summary}). Use --reset to rebuild it."
                )
            )
        for line in c.login_lines():
            self.stdout.write(line)
