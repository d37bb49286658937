from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerritoryConfig(AppConfig):
    name = "beffroi.territory"
    label = "territory"
    verbose_name = _("Territory")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from beffroi.core.backoffice import Tool, register_tool
        from beffroi.territory.middleware import organisation_forget
        from beffroi.territory.models import Organisation

        def forget(sender: object, instance: Organisation, **kwargs: object) -> None:
            organisation_forget(instance.pk)

        post_save.connect(
            forget, sender=Organisation, weak=False, dispatch_uid="territory.organisation"
        )
        post_delete.connect(
            forget, sender=Organisation, weak=False, dispatch_uid="territory.org.delete"
        )
        from beffroi.core.sections import Section, register_section
        from beffroi.territory.access import VIEW_ROLES

        register_section(
            Section(
                key="my_address",
                title=_("My neighbourhood"),
                description=_(
                    "Type your address to see your hamlet, district and the risk zones it lies in."
                ),
                url_name="territory:my_address",
                icon="⌂",
                order=500,
            )
        )
        register_tool(
            Tool(
                key="territory_zones",
                title=_("Zones"),
                description=_("Hamlets, districts and risk zones: draw, import, check addresses."),
                url_name="territory_backoffice:zone_list",
                roles=VIEW_ROLES,
                order=200,
            )
        )
        register_tool(
            Tool(
                key="territory_addresses",
                title=_("Addresses"),
                description=_("Search the commune's addresses (BAN) and see their zones."),
                url_name="territory_backoffice:address_list",
                roles=VIEW_ROLES,
                order=210,
            )
        )
