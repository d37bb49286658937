"""Statistics' place in the back office: a tool on the agents' dashboard."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.participation.access import STATISTICS_ROLES

    register_tool(
        Tool(
            key="participation_statistics",
            title=_("Participation statistics"),
            description=_(
                "Participants, proposals, supports and comments of each process, per day, "
                "per zone and per age band, with CSV exports."
            ),
            url_name="participation_statistics_backoffice:index",
            roles=STATISTICS_ROLES,
            order=460,
        )
    )
