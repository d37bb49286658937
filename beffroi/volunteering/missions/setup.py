"""Missions' place in the site: the public section and the agents' tool."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.core.sections import Section, register_section
    from beffroi.volunteering.missions.access import MISSION_ROLES

    register_section(
        Section(
            key="volunteering_missions",
            title=_("Volunteering"),
            description=_(
                "Give a hand: the volunteer missions of the commune and its associations, on "
                "a map and by date, and the slots where volunteers are still needed."
            ),
            url_name="volunteering_missions:list",
            icon="🙋",
            order=175,
        )
    )
    register_tool(
        Tool(
            key="volunteering_missions",
            title=_("Volunteer missions"),
            description=_(
                "Every volunteer mission of the commune and its associations: create the "
                "commune's missions, correct any, run their slots, publish, close or cancel."
            ),
            url_name="volunteering_missions_backoffice:list",
            roles=MISSION_ROLES,
            order=510,
        )
    )
