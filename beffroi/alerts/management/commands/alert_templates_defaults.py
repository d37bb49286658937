"""``beffroi alert_templates_defaults [--organisation SLUG | --all]``: create the default
PCS alert templates (flood, heat wave, drought, pollution, water and power cuts, storm, snow,
industrial accident, sheltering) that an organisation does not have yet."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from beffroi.alerts.composer.services import alert_templates_defaults
from beffroi.territory.models import Organisation


class Command(BaseCommand):
    help = "Create the default PCS alert templates missing from an organisation (idempotent)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        target = parser.add_mutually_exclusive_group()
        target.add_argument(
            "--organisation", metavar="SLUG", help="Organisation (default: the default one)."
        )
        target.add_argument("--all", action="store_true", help="Every organisation.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            organisations = list(Organisation.objects.order_by("slug"))
        elif options["organisation"]:
            organisations = list(Organisation.objects.filter(slug=options["organisation"]))
            if not organisations:
                raise CommandError(f"No organisation with the slug “{options['organisation']}”.")
        else:
            default = Organisation.objects.filter(is_default=True).first()
            if default is None and Organisation.objects.count() == 1:
                default = Organisation.objects.first()
            if default is None:
                raise CommandError("No default organisation: give --organisation or --all.")
            organisations = [default]
        for organisation in organisations:
            created = alert_templates_defaults(organisation=organisation)
            self.stdout.write(
                f"{organisation.slug}: {len(created)} template(s) created"
                + (f" ({', '.join(t.name for t in created)})" if created else "")
            )
