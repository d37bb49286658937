from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "beffroi.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from beffroi.accounts import gdpr, services
        from beffroi.accounts.models import Role
        from beffroi.core.backoffice import Tool, register_tool

        register_tool(
            Tool(
                key="accounts",
                title=_("Agents and roles"),
                description=_("Invite agents, grant and revoke their roles, reset their 2FA."),
                url_name="accounts_backoffice:agents",
                roles=frozenset({Role.ADMINISTRATOR}),
                order=800,
            )
        )
        register_tool(
            Tool(
                key="audit",
                title=_("Audit trail"),
                description=_("Who did what, when: sensitive reads and alert transitions."),
                url_name="backoffice:audit_log",
                roles=frozenset({Role.ADMINISTRATOR}),
                order=900,
            )
        )
        gdpr.register_exporter("account", services.export_account)
        gdpr.register_exporter("roles", services.export_roles)
        gdpr.register_exporter("two_factor_devices", services.export_two_factor_devices)
        gdpr.register_exporter("api_tokens", services.export_api_tokens)
        gdpr.register_exporter("audit_events", services.export_audit_events)
