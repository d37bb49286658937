"""Associations' place in the site: the public directory, the agents' tool, and the GDPR
export and erasure of the people who manage profiles."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from beffroi.accounts import gdpr
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.core.sections import Section, register_section
    from beffroi.volunteering.access import AGENT_ROLES
    from beffroi.volunteering.associations import services

    register_section(
        Section(
            key="associations",
            title=_("Associations"),
            description=_(
                "The directory and map of the commune's associations: find one by its name, "
                "its activity or its district, and manage your association's profile."
            ),
            url_name="volunteering_associations:list",
            icon="🤝",
            order=170,
        )
    )
    register_tool(
        Tool(
            key="volunteering_associations",
            title=_("Associations"),
            description=_(
                "The directory of associations: validate the profiles residents create or "
                "claim, refuse them with a reason, correct any profile."
            ),
            url_name="volunteering_associations_backoffice:list",
            roles=AGENT_ROLES,
            order=500,
        )
    )
    gdpr.register_exporter("associations", services.export_associations)
    gdpr.register_eraser("associations", services.erase_associations)
