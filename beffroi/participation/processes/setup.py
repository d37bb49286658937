"""Processes' place in the site: the public "Take part" section and the agents' tool."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.core.sections import Section, register_section
    from beffroi.participation.access import MANAGER_ROLES

    register_section(
        Section(
            key="participation",
            title=_("Take part"),
            description=_(
                "Consultations, calls for ideas, participatory budgets: propose, debate, "
                "support and give your opinion on the commune's projects."
            ),
            url_name="participation_processes:list",
            icon="✋",
            order=150,
        )
    )
    register_tool(
        Tool(
            key="participation_processes",
            title=_("Participatory processes"),
            description=_(
                "Create a process from a blueprint, set its calendar of phases, open or close "
                "a phase by hand, its categories and documents."
            ),
            url_name="participation_processes_backoffice:list",
            roles=MANAGER_ROLES,
            order=400,
        )
    )
    from beffroi.core.periodic import PeriodicJob, register_periodic
    from beffroi.participation.processes.services import phases_notify_transitions

    # Phases open and close on their dates: residents are told within five minutes.
    register_periodic(
        PeriodicJob("participation-phases", 300, lambda: phases_notify_transitions().as_dict())
    )
