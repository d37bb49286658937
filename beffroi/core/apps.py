from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "beffroi.core"
    label = "core"
    verbose_name = "Beffroi"

    def ready(self) -> None:
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
