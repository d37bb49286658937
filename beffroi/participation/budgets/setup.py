"""Participatory budgets' place in the back office: the agents' tool (budgets, projects,
census lists, paper ballots, results and the official outcome)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.participation.access import MANAGER_ROLES, ON_BEHALF_ROLES

    register_tool(
        Tool(
            key="participation_budgets",
            title=_("Participatory budgets"),
            description=_(
                "Budgets and their projects, census lists, paper ballots typed in twice, "
                "results under greedy and the Method of Equal Shares, the official outcome "
                "and PaBuLib exports."
            ),
            url_name="participation_budgets_backoffice:list",
            # Front-desk agents type in paper ballots; everything else is for managers.
            roles=MANAGER_ROLES | ON_BEHALF_ROLES,
            order=450,
        )
    )
