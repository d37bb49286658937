from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "beffroi.core"
    label = "core"
    verbose_name = "Beffroi"

    def ready(self) -> None:
        from beffroi.accounts.models import Role
        from beffroi.core.backoffice import Tool, register_tool
        from beffroi.core.sections import Section, register_section

        register_section(
            Section(
                key="contact",
                title=_("Contact"),
                description=_("Address, phone and opening hours of the town hall."),
                url_name="core:contact",
                icon="☎",
                order=900,
            )
        )
        register_tool(
            Tool(
                key="audit",
                title=_("Audit trail"),
                description=_("Who did what, when: sensitive reads and alert transitions."),
                url_name="core:audit_log",
                roles=frozenset({Role.ADMINISTRATOR}),
                order=900,
            )
        )
