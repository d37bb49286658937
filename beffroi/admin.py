"""The Django admin of Beffroi: installation operators (superusers) see everything; an
organisation's administrators, once their second factor is proven, see only their own
organisation's rows.

Nothing is autodiscovered (``SimpleAdminConfig``): apps register their models on ``site``
here explicitly, through ``ScopedAdmin`` so that every queryset is scoped.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from beffroi.accounts import services as account_services
from beffroi.accounts.access import has_role, is_verified
from beffroi.accounts.models import ApiToken, Role, RoleAssignment, User
from beffroi.core.models import AuditEvent
from beffroi.territory.models import Commune, Organisation, OrganisationHost, Zone


def _organisation(request: HttpRequest) -> Organisation | None:
    return getattr(request, "organisation", None)


def is_installation_operator(request: HttpRequest) -> bool:
    # Operators can read every organisation's data: a second factor, as for administrators.
    user = request.user
    return bool(user.is_active and user.is_superuser and is_verified(user))


def is_organisation_admin(request: HttpRequest) -> bool:
    """Administrator of the request's organisation with a proven second factor."""
    user = request.user
    organisation = _organisation(request)
    return bool(
        user.is_active
        and organisation is not None
        and has_role(user, organisation, Role.ADMINISTRATOR)
        and is_verified(user)
    )


class BeffroiAdminSite(admin.AdminSite):
    site_header = _("Beffroi administration")
    site_title = _("Beffroi administration")
    index_title = _("Data of the organisation")

    def has_permission(self, request: HttpRequest) -> bool:
        return is_installation_operator(request) or is_organisation_admin(request)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        # One login page for the whole site: the admin's own form would refuse commune
        # administrators (they are not "staff"), and would skip the second factor.
        if request.user.is_authenticated:
            # Logged in but not allowed here: say so rather than loop through the login page.
            raise PermissionDenied
        next_url = request.GET.get("next") or reverse("admin:index")
        return HttpResponseRedirect(f"{reverse('accounts:login')}?{urlencode({'next': next_url})}")


site = BeffroiAdminSite(name="admin")


class ScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Superusers: Django's usual rights. Organisation administrators: only rows of their
    organisation (``organisation_lookup``), with the rights the ``admin_can_*`` flags give."""

    organisation_lookup = "organisation"
    admin_can_add = False
    admin_can_change = False
    admin_can_delete = False
    superuser_can_add = True
    superuser_can_change = True
    superuser_can_delete = True
    # Fields an organisation administrator sees but cannot edit.
    admin_readonly_fields: tuple[str, ...] = ("organisation",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if is_installation_operator(request):
            return queryset
        organisation = _organisation(request)
        if organisation is None or not is_organisation_admin(request):
            return queryset.none()
        return queryset.filter(**{self.organisation_lookup: organisation.pk}).distinct()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_installation_operator(request) or is_organisation_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_installation_operator(request) or is_organisation_admin(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        if is_installation_operator(request):
            return self.superuser_can_add
        return self.admin_can_add and is_organisation_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if is_installation_operator(request):
            return self.superuser_can_change
        return self.admin_can_change and is_organisation_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if is_installation_operator(request):
            return self.superuser_can_delete
        return self.admin_can_delete and is_organisation_admin(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        if not is_installation_operator(request):
            fields += tuple(f for f in self.admin_readonly_fields if f not in fields)
        return fields

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        organisation = _organisation(request)
        if not is_installation_operator(request):
            related = db_field.related_model
            if related is Organisation:
                kwargs["queryset"] = (
                    Organisation.objects.filter(pk=organisation.pk)
                    if organisation is not None
                    else Organisation.objects.none()
                )
            elif related is not None and any(
                f.name == "organisation" for f in related._meta.get_fields()
            ):
                kwargs["queryset"] = related._default_manager.filter(organisation=organisation)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not is_installation_operator(request) and hasattr(obj, "organisation_id"):
            # Whatever the form said, an organisation administrator writes in their own.
            obj.organisation = _organisation(request)
        super().save_model(request, obj, form, change)


@admin.register(User, site=site)
class UserAdmin(ScopedAdmin):
    organisation_lookup = "role_assignments__organisation"
    # A person may belong to several organisations: only operators edit the account itself;
    # administrators manage roles from the back office.
    superuser_can_add = False
    admin_readonly_fields = ()
    list_display = ("email", "full_name", "is_active", "email_verified_at", "date_joined")
    search_fields = ("email", "full_name")
    list_filter = ("is_active",)
    ordering = ("email",)
    fields = (
        "email",
        "full_name",
        "language",
        "phone",
        "is_active",
        "is_staff",
        "is_superuser",
        "email_verified_at",
        "privacy_consented_at",
        "date_joined",
        "last_login",
        "erased_at",
    )
    readonly_fields = (
        "email_verified_at",
        "privacy_consented_at",
        "date_joined",
        "last_login",
        "erased_at",
    )


@admin.register(RoleAssignment, site=site)
class RoleAssignmentAdmin(ScopedAdmin):
    # Administrators grant and revoke in the back office, where the last-administrator rule
    # and the audit trail apply.
    list_display = ("user", "role", "organisation", "granted_at", "granted_by")
    list_filter = ("role",)
    search_fields = ("user__email", "user__full_name")
    raw_id_fields = ("user", "granted_by")


@admin.register(ApiToken, site=site)
class ApiTokenAdmin(ScopedAdmin):
    superuser_can_add = False
    superuser_can_change = False
    superuser_can_delete = False
    list_display = (
        "name",
        "prefix",
        "user",
        "organisation",
        "created_at",
        "expires_at",
        "revoked_at",
    )
    search_fields = ("name", "prefix", "user__email")
    readonly_fields = (
        "user",
        "organisation",
        "name",
        "prefix",
        "key_hash",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        actor = request.user
        assert isinstance(actor, User)
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            account_services.api_token_revoke(token=token, actor=actor, request=request)
            count += 1
        self.message_user(
            request, _("%(count)d token(s) revoked.") % {"count": count}, messages.SUCCESS
        )


@admin.register(Organisation, site=site)
class OrganisationAdmin(ScopedAdmin):
    organisation_lookup = "pk"
    admin_can_change = True
    admin_readonly_fields = ("slug", "is_default", "kind", "settings")
    list_display = ("name", "slug", "kind", "is_default")
    search_fields = ("name", "slug")


@admin.register(OrganisationHost, site=site)
class OrganisationHostAdmin(ScopedAdmin):
    admin_can_add = True
    admin_can_change = True
    admin_can_delete = True
    list_display = ("host", "organisation", "is_primary")
    search_fields = ("host",)


@admin.register(Commune, site=site)
class CommuneAdmin(ScopedAdmin):
    admin_can_change = True
    list_display = ("name", "insee_code", "postcode", "organisation")
    search_fields = ("name", "insee_code", "postcode")
    # Geometry and its bounding box are written together by the territory imports.
    readonly_fields = ("boundary", "min_lon", "min_lat", "max_lon", "max_lat")


@admin.register(Zone, site=site)
class ZoneAdmin(ScopedAdmin):
    admin_can_change = True
    superuser_can_add = False
    list_display = ("name", "kind", "commune", "organisation", "area_m2")
    list_filter = ("kind",)
    search_fields = ("name",)
    readonly_fields = (
        "geometry",
        "min_lon",
        "min_lat",
        "max_lon",
        "max_lat",
        "area_m2",
        "created_at",
        "updated_at",
    )


@admin.register(AuditEvent, site=site)
class AuditEventAdmin(ScopedAdmin):
    # The trail is append-only, for operators too.
    superuser_can_add = False
    superuser_can_change = False
    superuser_can_delete = False
    list_display = (
        "created_at",
        "organisation",
        "actor_label",
        "action",
        "target_type",
        "target_id",
    )
    list_filter = ("action",)
    search_fields = ("action", "actor_label", "target_id")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.fields]
