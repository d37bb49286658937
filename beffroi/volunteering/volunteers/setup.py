"""Volunteer profiles' place in the site: the resident's profile, the front desk's tool, and
the GDPR export and erasure of profiles."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from beffroi.accounts import gdpr
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.core.sections import Section, register_section
    from beffroi.volunteering.access import DESK_ROLES
    from beffroi.volunteering.volunteers import services

    register_section(
        Section(
            key="volunteer_profile",
            title=_("Volunteer"),
            description=_(
                "Say where you live, when you are free and what you like: receive proposals "
                "of missions that suit you, and agree to be called in a crisis."
            ),
            url_name="volunteering_volunteers:profile",
            icon="🙋",
            order=180,
            in_nav=False,
        )
    )
    register_tool(
        Tool(
            key="volunteering_volunteers",
            title=_("Volunteers"),
            description=_(
                "Find a volunteer, register someone met on the phone or at the desk without a "
                "smartphone, correct or deactivate a profile."
            ),
            url_name="volunteering_volunteers_backoffice:list",
            roles=DESK_ROLES,
            order=515,
        )
    )
    gdpr.register_exporter("volunteer_profiles", services.export_profiles)
    gdpr.register_eraser("volunteer_profiles", services.erase_profiles)
