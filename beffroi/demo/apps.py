from typing import Any

from django.apps import AppConfig
from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _


def _outbox_tool(**kwargs: Any) -> None:
    """List the outbox among the back-office tools exactly when the demo gateways are in use
    (re-evaluated when a test changes the setting)."""
    from django.conf import settings

    from beffroi.accounts.models import AGENT_ROLES
    from beffroi.core.backoffice import Tool, register_tool, unregister_tool

    if kwargs.get("setting", "DEMO_GATEWAYS") != "DEMO_GATEWAYS":
        return
    if not settings.DEMO_GATEWAYS:
        unregister_tool("demo_outbox")
        return
    register_tool(
        Tool(
            key="demo_outbox",
            title=_("Demo outbox"),
            description=_(
                "Every e-mail and SMS the demo would have sent to residents, kept on this "
                "machine: alerts, verification codes, links."
            ),
            url_name="demo:outbox",
            roles=AGENT_ROLES,
            order=900,
        )
    )


class DemoConfig(AppConfig):
    """The demo commune of every domain, and the commands that load and serve it."""

    name = "beffroi.demo"
    label = "demo"
    verbose_name = "Demo"

    def ready(self) -> None:
        _outbox_tool()
        setting_changed.connect(_outbox_tool, dispatch_uid="demo_outbox_tool")
