"""Proposals: the agents' back-office entry and the GDPR export and erasure."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from beffroi.accounts import gdpr
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.participation.access import MANAGER_ROLES, ON_BEHALF_ROLES
    from beffroi.participation.proposals import services

    register_tool(
        Tool(
            key="participation_proposals",
            title=_("Residents' proposals"),
            description=_(
                "Review the proposals of each process, give the official answer and the "
                "feasibility review, type in proposals made on paper or at a workshop."
            ),
            url_name="participation_proposals_backoffice:index",
            roles=MANAGER_ROLES | ON_BEHALF_ROLES,
            order=420,
        )
    )
    gdpr.register_exporter("participation_proposals", services.export_proposals)
    gdpr.register_eraser("participation_proposals", services.erase_proposals)
