"""``beffroi cap_export ALERT_ID``: print an alert's CAP 1.2 document."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from beffroi.alerts.models import Alert
from beffroi.alerts.public.cap import CapError
from beffroi.alerts.public.services import alert_cap_xml
from beffroi.territory.models import Organisation
from beffroi.territory.selectors import organisation_url


def command_organisation(slug: str | None) -> Organisation:
    """The organisation named by ``--organisation``, else the default (or only) one."""
    if slug:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug “{slug}”.")
        return organisation
    organisation = Organisation.objects.filter(is_default=True).first()
    if organisation is None and Organisation.objects.count() == 1:
        organisation = Organisation.objects.first()
    if organisation is None:
        raise CommandError("Several organisations and none is the default: give --organisation.")
    return organisation


class Command(BaseCommand):
    help = "Print the CAP 1.2 document of an alert (validated against the OASIS schema)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("alert_id", type=int, help="The alert's number.")
        parser.add_argument(
            "--organisation", metavar="SLUG", help="Organisation (default: the default one)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = command_organisation(options["organisation"])
        alert = Alert.objects.filter(organisation=organisation, pk=options["alert_id"]).first()
        if alert is None:
            raise CommandError(
                f"No alert number {options['alert_id']} in the organisation “{organisation.slug}”."
            )
        try:
            document = alert_cap_xml(alert, base_url=organisation_url(organisation))
        except CapError as exc:
            raise CommandError(f"The alert cannot be written as valid CAP 1.2: {exc}") from exc
        self.stdout.write(document.decode("utf-8"), ending="")
