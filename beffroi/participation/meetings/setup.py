"""Workshops and meetings: the residents' entry, the agents' back-office tool, the GDPR
export and erasure of registrations."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from beffroi.accounts import gdpr
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.core.periodic import PeriodicJob, register_periodic
    from beffroi.core.sections import Section, register_section
    from beffroi.participation.access import MANAGER_ROLES, ON_BEHALF_ROLES
    from beffroi.participation.meetings import services

    register_section(
        Section(
            key="participation_meetings",
            title=_("Workshops and meetings"),
            description=_(
                "Public meetings and workshops of the commune's projects: register, add them "
                "to your calendar, read the minutes."
            ),
            url_name="participation_meetings:index",
            icon="☷",
            order=230,
            # The participation home leads there; the main menu stays short.
            in_nav=False,
        )
    )
    register_tool(
        Tool(
            key="participation_meetings",
            title=_("Workshops and meetings"),
            description=_(
                "Set up meetings of a process, registrations and waiting list, register a "
                "resident on the phone, sign-in sheet, attendance and minutes."
            ),
            url_name="participation_meetings_backoffice:list",
            roles=MANAGER_ROLES | ON_BEHALF_ROLES,
            order=440,
        )
    )
    # The reminder the day before: idempotent (each meeting claimed once), one indexed query
    # when there is nothing to do; every quarter of an hour so that a meeting set up the day
    # before is still reminded in time.
    register_periodic(
        PeriodicJob(
            "participation-meeting-reminders",
            services.REMINDERS_EVERY_SECONDS,
            lambda: services.meeting_reminders_send(),
        )
    )
    gdpr.register_exporter("participation_meetings", services.export_registrations)
    gdpr.register_eraser("participation_meetings", services.erase_registrations)
