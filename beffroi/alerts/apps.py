from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


def _default_templates(sender: Any, instance: Any, created: bool, raw: bool, **kwargs: Any) -> None:
    """A new organisation gets the PCS templates at once: in its first crisis nobody has
    time to run a command. A receiver, because organisations are created by the admin, the
    demo, the tests and the shell alike, and ``territory`` may not know ``alerts``; fixtures
    (``raw``) bring their own templates."""
    if created and not raw:
        from beffroi.alerts.composer.services import alert_templates_defaults

        alert_templates_defaults(organisation=instance, audit=False)


class AlertsConfig(AppConfig):
    name = "beffroi.alerts"
    label = "alerts"
    verbose_name = _("Alerts")

    def ready(self) -> None:
        from beffroi.territory.models import Organisation

        post_save.connect(
            _default_templates, sender=Organisation, dispatch_uid="alerts_default_templates"
        )
        from beffroi.alerts.access import (
            ALERT_VIEW_ROLES,
            CAP_IMPORT_ROLES,
            REGISTRY_ROLES,
            SUBSCRIBER_ROLES,
        )
        from beffroi.core.backoffice import Tool, register_tool
        from beffroi.core.sections import Section, register_section

        register_section(
            Section(
                key="alerts",
                title=_("Alerts"),
                description=_("Alerts in force and past alerts, their areas and instructions."),
                url_name="alerts:list",
                icon="⚠",
                order=100,
            )
        )
        register_tool(
            Tool(
                key="alerts_cap_import",
                title=_("Import a CAP message"),
                description=_("Turn an authority's CAP 1.2 alert into a draft alert."),
                url_name="alerts_import:cap_import",
                roles=CAP_IMPORT_ROLES,
                order=330,
            )
        )
        register_tool(
            Tool(
                key="alerts_registry",
                title=_("Vulnerable persons registry"),
                description=_(
                    "The CCAS's heat-wave and emergency registry: register, reconfirm, export, "
                    "call sheets for alerts."
                ),
                url_name="registry:list",
                roles=REGISTRY_ROLES,
                order=340,
            )
        )
        register_tool(
            Tool(
                key="alerts_dispatch",
                title=_("Alert dispatch"),
                description=_(
                    "Follow an alert being sent, live; failures; reports for the PCS logbook."
                ),
                url_name="alerts_dispatch:index",
                roles=ALERT_VIEW_ROLES,
                order=320,
            )
        )
        # Resident registration (subscriptions).
        from beffroi.accounts import gdpr
        from beffroi.alerts.subscriptions import services as subscription_services

        register_section(
            Section(
                key="alerts_subscribe",
                title=_("Get alerts"),
                description=_(
                    "Register to be warned by e-mail or SMS of floods, storms, heat waves, "
                    "water or power cuts at your home, work or a relative's home."
                ),
                url_name="subscriptions:register",
                icon="✉",
                order=110,
            )
        )
        register_tool(
            Tool(
                key="alerts_subscribers",
                title=_("Registered residents"),
                description=_(
                    "Residents registered for alerts: search, register one on the phone, "
                    "import a list."
                ),
                url_name="subscribers_backoffice:list",
                roles=SUBSCRIBER_ROLES,
                order=310,
            )
        )
        # "My neighbourhood": the alerts in force at an address, and registering there.
        from beffroi.alerts.public.neighbourhood import address_panel_context
        from beffroi.territory.panels import AddressPanel, register_address_panel

        register_address_panel(
            AddressPanel(
                key="alerts",
                template="alerts/subscriptions/_address_panel.html",
                context=address_panel_context,
                order=100,
            )
        )
        gdpr.register_exporter("alert_subscriptions", subscription_services.export_subscriptions)
        gdpr.register_eraser("alert_subscriptions", subscription_services.erase_subscriptions)
        # Receipts and "STOP" replies that reach a sending session (some SMSCs push them on
        # the transmitter bind) are applied like those of the smpp_receiver command.
        from beffroi.alerts.dispatch import services as dispatch_services
        from beffroi.messaging.handlers import inbound_handler_register, receipt_handler_register

        receipt_handler_register(
            lambda receipt, channel: dispatch_services.receipt_from_gateway(
                receipt=receipt, channel=channel
            )
        )
        inbound_handler_register(
            lambda sender, text, _channel: dispatch_services.sms_inbound_handle(
                sender=sender, text=text
            )
        )
        # Composer: write, target, approve alerts; templates per PCS scenario.
        register_tool(
            Tool(
                key="alerts_composer",
                title=_("Alerts"),
                description=_(
                    "Write an alert from a PCS template, target zones, check the audience, "
                    "approve (four eyes)."
                ),
                url_name="alerts_backoffice:alert_list",
                roles=ALERT_VIEW_ROLES,
                order=300,
            )
        )
