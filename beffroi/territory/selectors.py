"""Reads of the territory: organisations by host, zones, addresses."""

from __future__ import annotations

from beffroi.territory.models import Organisation, OrganisationHost


def organisation_for_host(host: str) -> Organisation | None:
    binding = (
        OrganisationHost.objects.select_related("organisation").filter(host=host.lower()).first()
    )
    if binding is not None:
        return binding.organisation
    return Organisation.objects.filter(is_default=True).first() or Organisation.objects.first()
