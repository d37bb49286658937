"""``beffroi cap_import FILE.xml``: create a draft alert from an authority's CAP message."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from beffroi.accounts.models import Role, User
from beffroi.alerts.management.commands.cap_export import command_organisation
from beffroi.alerts.public.cap import MAX_DOCUMENT_BYTES
from beffroi.alerts.public.services import CapImportReport, cap_import
from beffroi.core.imports import ImportRefused
from beffroi.territory.models import Organisation


def _author(organisation: Organisation, email: str | None) -> User:
    if email:
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user with the e-mail address “{email}”.")
        roles = set(
            user.role_assignments.filter(organisation=organisation).values_list("role", flat=True)
        )
        if not roles & {Role.ALERT_AUTHOR, Role.ADMINISTRATOR}:
            raise CommandError(
                f"{email} is neither an alert author nor an administrator of “{organisation.slug}”."
            )
        return user
    for role in (Role.ALERT_AUTHOR, Role.ADMINISTRATOR):
        user = (
            User.objects.filter(
                is_active=True,
                role_assignments__organisation=organisation,
                role_assignments__role=role,
            )
            .order_by("pk")
            .first()
        )
        if user is not None:
            return user
    raise CommandError(
        f"“{organisation.slug}” has no alert author nor administrator: give --author EMAIL."
    )


class Command(BaseCommand):
    help = (
        "Create a draft alert from a CAP 1.2 message of an authority and print its number. "
        "Refused when the file is not valid CAP 1.2 or its area lies outside the territory."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="The CAP 1.2 XML file.")
        parser.add_argument(
            "--organisation", metavar="SLUG", help="Organisation (default: the default one)."
        )
        parser.add_argument(
            "--allow-outside",
            action="store_true",
            help="Import even when the area lies outside the organisation's territory.",
        )
        parser.add_argument(
            "--author",
            metavar="EMAIL",
            help="The agent recorded as the draft's author (default: the first alert author).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        organisation = command_organisation(options["organisation"])
        author = _author(organisation, options["author"])
        try:
            if path.stat().st_size > MAX_DOCUMENT_BYTES:
                raise CommandError(f"{path}: larger than {MAX_DOCUMENT_BYTES // 1024 // 1024} MB.")
            document = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: cannot be read ({exc.strerror}).") from exc
        try:
            result = cap_import(
                organisation=organisation,
                document=document,
                author=author,
                allow_outside=options["allow_outside"],
            )
        except ImportRefused as exc:
            lines = [f"{path}: not imported."]
            lines += [f"  {message}" for message in exc.messages]
            if isinstance(exc.report, CapImportReport) and exc.report.outside:
                lines.append("  Use --allow-outside to import it anyway.")
            raise CommandError("\n".join(lines)) from exc
        for warning in result.warnings:
            self.stderr.write(f"Warning: {warning}")
        assert result.alert is not None  # written: the import was not refused
        self.stdout.write(str(result.alert.pk))
