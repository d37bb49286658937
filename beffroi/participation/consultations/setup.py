"""Consultations' place in the site: the agents' tool, and the GDPR export of opinions and
answers (erasure needs nothing here: contributions stay, signed "a resident" through the
participant's erasure)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from beffroi.accounts import gdpr
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.participation.access import MANAGER_ROLES
    from beffroi.participation.consultations.services import export_consultations

    register_tool(
        Tool(
            key="participation_consultations",
            title=_("Municipal projects and questionnaires"),
            description=_(
                "Put the commune's projects to residents: project pages, opinions, "
                "questionnaires, results and tagging of free-text answers."
            ),
            url_name="participation_consultations_backoffice:index",
            roles=MANAGER_ROLES,
            order=420,
        )
    )
    gdpr.register_exporter("participation_consultations", export_consultations)
