"""Needs' place in the site: the public list, the agents' tool, and the GDPR export and
erasure of the offers residents make."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from beffroi.accounts import gdpr
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.core.sections import Section, register_section
    from beffroi.volunteering.access import AGENT_ROLES
    from beffroi.volunteering.needs import services

    register_section(
        Section(
            key="volunteering_needs",
            title=_("Lend a hand with equipment"),
            description=_(
                "Equipment, premises or transport the commune and its associations need: a "
                "van, a hall, tables. Offer what you can lend."
            ),
            url_name="volunteering_needs:list",
            icon="🧰",
            order=185,
            in_nav=False,
        )
    )
    register_tool(
        Tool(
            key="volunteering_needs",
            title=_("Needs for equipment, premises and transport"),
            description=_(
                "Every need of the commune and its associations, the offers received, and "
                "the commune's own needs to publish."
            ),
            url_name="volunteering_needs_backoffice:list",
            roles=AGENT_ROLES,
            order=520,
        )
    )
    gdpr.register_exporter("need_offers", services.export_need_offers)
    gdpr.register_eraser("need_offers", services.erase_need_offers)
