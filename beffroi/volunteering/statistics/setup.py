"""Volunteering statistics' place in the back office: a tool on the agents' dashboard."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.volunteering.statistics.access import STATISTICS_ROLES

    register_tool(
        Tool(
            key="volunteering_statistics",
            title=_("Volunteering statistics"),
            description=_(
                "Volunteers, missions, fill rate of the slots, hours given and answers to "
                "call-outs over a period, with CSV exports."
            ),
            url_name="volunteering_statistics_backoffice:index",
            roles=STATISTICS_ROLES,
            order=580,
        )
    )
