"""Realisations' place in the back office: the agents' tool (the winning projects of the
budgets followed to delivery: status, progress, amounts, milestones with photos)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.participation.access import MANAGER_ROLES

    register_tool(
        Tool(
            key="participation_realisations",
            title=_("Realisations"),
            description=_(
                "The winning projects of the participatory budgets followed to delivery: "
                "status, progress, amounts, dated milestones with photos told to their "
                "followers."
            ),
            url_name="participation_realisations_backoffice:list",
            roles=MANAGER_ROLES,
            order=460,
        )
    )
