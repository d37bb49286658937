"""The organisation a territory command works on: ``--organisation SLUG`` or the default."""

from __future__ import annotations

from django.core.management.base import CommandError

from beffroi.territory.models import Organisation


def organisation_from_option(slug: str | None) -> Organisation:
    if slug:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            known = ", ".join(Organisation.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No organisation with slug {slug!r} (known: {known}).")
        return organisation
    organisation = Organisation.objects.filter(is_default=True).first()
    if organisation is None:
        raise CommandError("There is no default organisation: pass --organisation SLUG.")
    return organisation
