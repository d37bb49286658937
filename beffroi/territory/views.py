"""Pages of the territory: "my neighbourhood" for residents, zones and addresses for agents."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.accounts.models import User
from beffroi.core.imports import ImportRefused
from beffroi.territory.access import (
    EDIT_ROLES,
    VIEW_ROLES,
    access_address,
    access_zone,
    can_edit_territory,
)
from beffroi.territory.basemap import base_map_cached
from beffroi.territory.forms import AddressQueryForm, ZoneForm, ZoneImportForm, ZoneKindFilterForm
from beffroi.territory.geojson import MAX_FILE_BYTES
from beffroi.territory.models import Address
from beffroi.territory.panels import address_panels
from beffroi.territory.selectors import (
    address_search,
    address_zones,
    addresses_for_agents,
    zone_feature,
    zones_feature_collection,
    zones_with_counts,
)
from beffroi.territory.services import (
    ZoneError,
    zone_create,
    zone_delete,
    zone_update,
    zones_import_geojson,
)

SUGGESTIONS = 8


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _add_zone_errors(form: ZoneForm, error: ZoneError) -> None:
    for field, messages_ in error.errors.items():
        for message in messages_:
            form.add_error(field if field in form.fields else None, message)


# ---------------------------------------------------------------------------------------------
# Residents


def my_address(request: HttpRequest) -> HttpResponse:
    """Type an address, see which hamlet, district, flood zone… it lies in.

    Works without JavaScript (a GET form); with htmx, suggestions appear as one types.
    """
    organisation = request_organisation(request)
    form = AddressQueryForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    matches = (
        address_search(organisation=organisation, query=query, limit=SUGGESTIONS) if query else []
    )
    if getattr(request, "htmx", False) and request.GET.get("suggest"):
        return render(
            request,
            "territory/my_address.html#suggestions",
            {"matches": matches, "query": query},
        )
    selected: Address | None = None
    raw_id = request.GET.get("address", "")
    if raw_id.isdigit():
        selected = access_address(request, int(raw_id))
    elif matches:
        selected = access_address(request, matches[0].address_id)
    zones = address_zones(address=selected) if selected is not None else []
    return render(
        request,
        "territory/my_address.html",
        {
            "form": form,
            "query": query,
            "matches": matches,
            "selected": selected,
            "zones": zones,
            "zones_geojson": zones_feature_collection(zones),
            "point": {"lon": selected.lon, "lat": selected.lat} if selected else None,
            # What the domains say about this address (the alerts: in force here, sign-up).
            "panels": address_panels(request=request, address=selected) if selected else [],
        },
    )


@require_GET
@cache_control(public=True, max_age=600)
def base_map_view(request: HttpRequest) -> JsonResponse:
    """Streets and place names that maps draw when no tile server is configured.

    Public like the BAN it comes from: the residents' point picker draws it too.
    """
    return JsonResponse(base_map_cached(organisation=request_organisation(request)))


# ---------------------------------------------------------------------------------------------
# Agents


@roles_required(VIEW_ROLES)
def zone_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    filter_form = ZoneKindFilterForm(request.GET or None)
    kind = filter_form.cleaned_data["kind"] if filter_form.is_valid() else ""
    zones = list(zones_with_counts(organisation=organisation, kind=kind or None))
    return render(
        request,
        "territory/backoffice/zone_list.html",
        {
            "zones": zones,
            "filter_form": filter_form,
            "zones_geojson": zones_feature_collection(zones),
            "can_edit": can_edit_territory(request),
        },
    )


@roles_required(VIEW_ROLES)
def zone_detail(request: HttpRequest, zone_id: int) -> HttpResponse:
    zone = access_zone(request, zone_id)
    addresses = Paginator(
        addresses_for_agents(organisation=zone.organisation).filter(memberships__zone=zone), 50
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "territory/backoffice/zone_detail.html",
        {
            "zone": zone,
            "page": addresses,
            "zone_geojson": {"type": "FeatureCollection", "features": [zone_feature(zone)]},
            "can_edit": can_edit_territory(request),
        },
    )


@roles_required(EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def zone_create_view(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    form = ZoneForm(request.POST or None, initial={"kind": request.GET.get("kind", "")})
    if request.method == "POST" and form.is_valid():
        try:
            zone = zone_create(
                organisation=organisation,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                geometry=form.cleaned_data["geometry"],
                description=form.cleaned_data["description"],
                actor=_actor(request),
            )
        except ZoneError as exc:
            _add_zone_errors(form, exc)
        else:
            messages.success(request, _("The zone “%(name)s” was created.") % {"name": zone.name})
            return redirect("territory_backoffice:zone_detail", zone_id=zone.pk)
    return _zone_form_page(request, form, None)


@roles_required(EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def zone_edit(request: HttpRequest, zone_id: int) -> HttpResponse:
    zone = access_zone(request, zone_id)
    initial = {
        "name": zone.name,
        "kind": zone.kind,
        "description": zone.description,
        "geometry": json.dumps(zone.geometry),
    }
    form = ZoneForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            zone_update(
                zone=zone,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                geometry=form.cleaned_data["geometry"],
                description=form.cleaned_data["description"],
                actor=_actor(request),
            )
        except ZoneError as exc:
            _add_zone_errors(form, exc)
        else:
            messages.success(request, _("The zone “%(name)s” was saved.") % {"name": zone.name})
            return redirect("territory_backoffice:zone_detail", zone_id=zone.pk)
    return _zone_form_page(request, form, zone)


def _zone_form_page(request: HttpRequest, form: ZoneForm, zone: Any) -> HttpResponse:
    organisation = request_organisation(request)
    others = zones_with_counts(organisation=organisation)
    if zone is not None:
        others = others.exclude(pk=zone.pk)
    return render(
        request,
        "territory/backoffice/zone_form.html",
        {
            "form": form,
            "zone": zone,
            "others_geojson": zones_feature_collection(list(others)),
        },
        status=200 if not form.errors else 422,
    )


@roles_required(EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def zone_delete_view(request: HttpRequest, zone_id: int) -> HttpResponse:
    zone = access_zone(request, zone_id)
    if request.method == "POST":
        name = zone.name
        zone_delete(zone=zone, actor=_actor(request))
        messages.success(request, _("The zone “%(name)s” was deleted.") % {"name": name})
        return redirect("territory_backoffice:zone_list")
    return render(request, "territory/backoffice/zone_delete.html", {"zone": zone})


@roles_required(EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def zone_import(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    form = ZoneImportForm(request.POST or None, request.FILES or None)
    import_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            import_errors = [
                _("The file is %(size).1f MB; the limit is %(max)d MB.")
                % {"size": upload.size / 1_000_000, "max": MAX_FILE_BYTES // (1024 * 1024)}
            ]
        else:
            try:
                report = zones_import_geojson(
                    organisation=organisation,
                    data=upload.read(),
                    kind=form.cleaned_data["kind"],
                    name_property=form.cleaned_data["name_property"].strip() or None,
                    replace=form.cleaned_data["replace"],
                    actor=_actor(request),
                )
            except ImportRefused as exc:
                import_errors = exc.messages
            else:
                messages.success(
                    request,
                    _("%(count)d zone(s) imported.") % {"count": len(report.zones)},
                )
                return redirect(f"{_zone_list_url()}?kind={form.cleaned_data['kind']}")
    return render(
        request,
        "territory/backoffice/zone_import.html",
        {"form": form, "import_errors": import_errors},
        status=422 if (form.errors or import_errors) else 200,
    )


def _zone_list_url() -> str:
    return reverse("territory_backoffice:zone_list")


@roles_required(VIEW_ROLES)
def address_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    form = AddressQueryForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if query:
        matches = address_search(organisation=organisation, query=query, limit=50)
        by_id = {
            a.pk: a
            for a in addresses_for_agents(organisation=organisation)
            .filter(pk__in=[m.address_id for m in matches])
            .prefetch_related("zones")
        }
        rows: list[tuple[Address, float | None]] = [
            (by_id[m.address_id], m.score) for m in matches if m.address_id in by_id
        ]
        page = None
    else:
        page = Paginator(
            addresses_for_agents(organisation=organisation).prefetch_related("zones"), 50
        ).get_page(request.GET.get("page"))
        rows = [(a, None) for a in page]
    return render(
        request,
        "territory/backoffice/address_list.html",
        {
            "form": form,
            "query": query,
            "rows": rows,
            "page": page,
            "total": Address.objects.filter(organisation=organisation).count(),
        },
    )
