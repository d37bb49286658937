"""The civil-protection reserve's place in the back office."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from beffroi.accounts import gdpr
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.volunteering.access import CRISIS_ROLES
    from beffroi.volunteering.reserve import services

    register_tool(
        Tool(
            key="volunteering_reserve",
            title=_("Civil-protection reserve"),
            description=_(
                "The commune's reservists enrolled by decision of the mayor: engagements, "
                "phone tree, call-out of the reserve, training sessions and attendance."
            ),
            url_name="volunteering_reserve_backoffice:list",
            roles=CRISIS_ROLES,
            order=360,
        )
    )
    gdpr.register_exporter("volunteering_reserve", services.export_reserve)
    gdpr.register_eraser("volunteering_reserve", services.erase_reserve)
