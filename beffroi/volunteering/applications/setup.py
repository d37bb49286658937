"""Applications' place in the site: the agents' tool, the reminders before each slot, and
the GDPR export and erasure of what volunteers wrote and did."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from beffroi.accounts import gdpr
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.core.periodic import PeriodicJob, register_periodic
    from beffroi.volunteering.access import MISSION_ROLES
    from beffroi.volunteering.applications import services

    register_tool(
        Tool(
            key="volunteering_applications",
            title=_("Volunteers' applications"),
            description=_(
                "Applications to missions: answer them, follow the waiting lists, record "
                "attendance and hours after each slot."
            ),
            url_name="volunteering_applications_backoffice:list",
            roles=MISSION_ROLES,
            order=530,
        )
    )
    # Idempotent (each application claimed once by a conditional update), one indexed query
    # when there is nothing to do; every quarter of an hour, so that an application made the
    # day before a slot still gets its reminder inside the 24–48 hours window when possible.
    register_periodic(
        PeriodicJob(
            "volunteering-application-reminders",
            services.REMINDERS_EVERY_SECONDS,
            lambda: services.reminders_send(),
        )
    )
    gdpr.register_exporter("volunteering_applications", services.export_applications)
    gdpr.register_eraser("volunteering_applications", services.erase_applications)
