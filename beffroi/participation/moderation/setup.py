"""Moderation's registrations: the moderators' tool on the back-office dashboard and the
GDPR export of a person's reports."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from beffroi.accounts import gdpr
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.participation.access import MODERATION_ROLES
    from beffroi.participation.moderation.services import export_reports

    register_tool(
        Tool(
            key="participation_moderation",
            title=_("Participation moderation"),
            description=_(
                "Reported proposals and comments: hide with a public reason, restore, keep; "
                "block a participant; limits per hour."
            ),
            url_name="participation_moderation_backoffice:queue",
            roles=MODERATION_ROLES,
            order=420,
        )
    )
    gdpr.register_exporter("participation_reports", export_reports)
