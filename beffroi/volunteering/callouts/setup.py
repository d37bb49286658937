"""Call-outs' place in the site: the crisis cell's tool, the SMS replies "OUI" / "NON", and
the sweep that sends waves whose time has come."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.core.periodic import PeriodicJob, register_periodic
    from beffroi.messaging.handlers import inbound_handler_register
    from beffroi.volunteering.access import CRISIS_ROLES
    from beffroi.volunteering.callouts import services

    register_tool(
        Tool(
            key="volunteering_callouts",
            title=_("Call-outs for volunteers"),
            description=_(
                "Call the best-matched volunteers out for an urgent mission, wave after wave, "
                "by SMS and e-mail; follow who confirmed, live."
            ),
            url_name="volunteering_callouts_backoffice:list",
            roles=CRISIS_ROLES,
            order=350,
        )
    )
    from beffroi.accounts import gdpr

    gdpr.register_exporter("volunteering_callouts", services.export_callouts)
    gdpr.register_eraser("volunteering_callouts", services.erase_callouts)
    # A reply "OUI" / "NON" reaching any receiving session answers that number's latest
    # call-out; "STOP" withdraws the number's crisis consent (the alerts' handler, which
    # sees every message too, stops its alert SMS).
    inbound_handler_register(_inbound)
    # Waves whose time has come, for task backends that cannot defer (and as a safety net
    # for a lost task): idempotent, each wave claimed under its call-out's row lock.
    register_periodic(
        PeriodicJob(
            "volunteering-callout-waves",
            services.WAVES_EVERY_SECONDS,
            lambda: services.callouts_due_send(),
        )
    )


def _inbound(sender: str, text: str, channel: str) -> object:
    from beffroi.volunteering.callouts.services import callout_sms_inbound, crisis_consent_stop

    if crisis_consent_stop(sender=sender, text=text):
        return None
    return callout_sms_inbound(sender=sender, text=text)
