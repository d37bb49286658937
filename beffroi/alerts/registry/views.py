"""Back-office pages of the vulnerable persons registry, for social agents (CCAS) with 2FA.

Every page showing registry data goes through an audited service read. Responses are marked
``no-store`` so that no browser or proxy cache keeps a copy of the registry.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beffroi.accounts.access import request_organisation
from beffroi.alerts.access import (
    access_alert_for_call_sheet,
    access_vulnerable_person,
    registry_actor,
    registry_required,
)
from beffroi.alerts.models import VulnerablePerson
from beffroi.alerts.registry.forms import RegistryFilterForm, RemovalForm, VulnerablePersonForm
from beffroi.alerts.registry.selectors import (
    RegistryFilter,
    needs_reconfirmation,
    person_age,
    person_needs,
    registry_alerts_with_call_sheet,
)
from beffroi.alerts.registry.services import (
    RegistryError,
    registry_call_sheet,
    registry_export,
    registry_list_read,
    registry_map_read,
    vulnerable_person_confirm,
    vulnerable_person_create,
    vulnerable_person_read,
    vulnerable_person_remove,
    vulnerable_person_update,
)
from beffroi.core.phone import phone_display
from beffroi.territory.access import access_address
from beffroi.territory.selectors import address_zones


@never_cache
@registry_required
@require_GET
def registry_list(request: HttpRequest, address_id: int | None = None) -> HttpResponse:
    organisation = request_organisation(request)
    address = access_address(request, address_id) if address_id is not None else None
    form = RegistryFilterForm(request.GET or None, organisation=organisation)
    filters = form.to_filter(address_id=address_id)
    page = registry_list_read(
        organisation=organisation,
        actor=registry_actor(request),
        filters=filters,
        page_number=request.GET.get("page"),
        request=request,
    )
    today = timezone.localdate()
    rows = [
        {
            "person": person,
            "age": person_age(person, today),
            "needs": person_needs(person),
            "phone": phone_display(person.phone),
            "to_reconfirm": needs_reconfirmation(person, today),
        }
        for person in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "alerts/registry/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "address": address,
            "filtered": filters != RegistryFilter(address_id=address_id),
            "query_string": query.urlencode(),
            "alerts": registry_alerts_with_call_sheet(organisation=organisation),
        },
    )


@never_cache
@registry_required
@require_GET
def registry_map(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    features = registry_map_read(
        organisation=organisation, actor=registry_actor(request), request=request
    )
    rows = sorted(
        (
            {
                "address_id": feature["id"],
                "label": feature["properties"]["address"],
                "needs": feature["properties"]["kind_label"],
                "count": feature["properties"]["count"],
            }
            for feature in features["features"]
        ),
        key=lambda row: (-int(row["count"]), str(row["label"])),
    )
    return render(
        request,
        "alerts/registry/map.html",
        {"features": features, "rows": rows},
    )


@never_cache
@registry_required
@require_GET
def registry_export_csv(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    form = RegistryFilterForm(request.GET or None, organisation=organisation)
    content = registry_export(
        organisation=organisation,
        actor=registry_actor(request),
        filters=form.to_filter(),
        request=request,
    )
    response = HttpResponse(content.encode("utf-8"), content_type="text/csv; charset=utf-8")
    filename = f"registre-{organisation.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _person_form_response(
    request: HttpRequest, form: VulnerablePersonForm, person: VulnerablePerson | None
) -> HttpResponse:
    return render(request, "alerts/registry/person_form.html", {"form": form, "person": person})


def _posted_as_initial(request: HttpRequest) -> dict[str, Any]:
    """The posted values as a form's initial data: redisplayed without any error yet."""
    return {key: value for key, value in request.POST.items() if key != "csrfmiddlewaretoken"}


@never_cache
@registry_required
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    if request.method != "POST":
        initial = VulnerablePersonForm.initial_for(None)
        form = VulnerablePersonForm(initial=initial, organisation=organisation)
        return _person_form_response(request, form, None)
    if "find_address" in request.POST:
        form = VulnerablePersonForm(initial=_posted_as_initial(request), organisation=organisation)
        return _person_form_response(request, form, None)
    form = VulnerablePersonForm(request.POST, organisation=organisation)
    if form.is_valid():
        try:
            person = vulnerable_person_create(
                organisation=organisation,
                actor=registry_actor(request),
                data=form.to_data(),
                request=request,
            )
        except RegistryError as error:
            form.add_registry_errors(error)
        else:
            messages.success(request, _("The person has been registered."))
            return redirect("registry:detail", person_id=person.pk)
    return _person_form_response(request, form, None)


@never_cache
@registry_required
@require_GET
def address_suggest(request: HttpRequest) -> HttpResponse:
    """The addresses matching what the agent types, as radio buttons (htmx)."""
    form = VulnerablePersonForm(
        initial={"address_query": request.GET.get("address_query", "")[:200]},
        organisation=request_organisation(request),
    )
    return render(request, "alerts/registry/person_form.html#address_choices", {"form": form})


@never_cache
@registry_required
@require_GET
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access_vulnerable_person(request, person_id)
    vulnerable_person_read(person=person, actor=registry_actor(request), request=request)
    today = timezone.localdate()
    return render(
        request,
        "alerts/registry/detail.html",
        {
            "person": person,
            "age": person_age(person, today),
            "needs": person_needs(person),
            "zones": address_zones(address=person.address),
            "to_reconfirm": needs_reconfirmation(person, today),
            "phones": {
                "phone": phone_display(person.phone),
                "contact": phone_display(person.contact_phone),
                "doctor": phone_display(person.doctor_phone),
                "home_help": phone_display(person.home_help_phone),
            },
        },
    )


@never_cache
@registry_required
@require_http_methods(["GET", "POST"])
def person_update(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access_vulnerable_person(request, person_id)
    organisation = request_organisation(request)
    if request.method != "POST":
        vulnerable_person_read(
            person=person, actor=registry_actor(request), purpose="edit", request=request
        )
        initial = VulnerablePersonForm.initial_for(person)
        form = VulnerablePersonForm(initial=initial, organisation=organisation)
        return _person_form_response(request, form, person)
    if "find_address" in request.POST:
        form = VulnerablePersonForm(initial=_posted_as_initial(request), organisation=organisation)
        return _person_form_response(request, form, person)
    form = VulnerablePersonForm(request.POST, organisation=organisation)
    if form.is_valid():
        try:
            vulnerable_person_update(
                person=person, actor=registry_actor(request), data=form.to_data(), request=request
            )
        except RegistryError as error:
            form.add_registry_errors(error)
        else:
            messages.success(request, _("The registration has been updated."))
            return redirect("registry:detail", person_id=person.pk)
    return _person_form_response(request, form, person)


@never_cache
@registry_required
@require_POST
def person_confirm(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access_vulnerable_person(request, person_id)
    vulnerable_person_confirm(person=person, actor=registry_actor(request), request=request)
    messages.success(request, _("The registration is confirmed as of today."))
    return redirect("registry:detail", person_id=person.pk)


@never_cache
@registry_required
@require_http_methods(["GET", "POST"])
def person_remove(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access_vulnerable_person(request, person_id)
    if request.method != "POST":
        vulnerable_person_read(
            person=person, actor=registry_actor(request), purpose="remove", request=request
        )
        form = RemovalForm()
    else:
        form = RemovalForm(request.POST)
        if form.is_valid():
            record = person.pk
            try:
                vulnerable_person_remove(
                    person=person,
                    actor=registry_actor(request),
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    request=request,
                )
            except RegistryError as error:
                for name, errors in error.errors.items():
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
            else:
                messages.success(
                    request,
                    _("Registration no. %(record)d has been removed with all its personal data.")
                    % {"record": record},
                )
                return redirect("registry:list")
    return render(request, "alerts/registry/remove.html", {"person": person, "form": form})


@never_cache
@registry_required
@require_GET
def call_sheet(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = access_alert_for_call_sheet(request, alert_id)
    rows = registry_call_sheet(alert=alert, actor=registry_actor(request), request=request)
    return render(
        request,
        "alerts/registry/call_sheet.html",
        {
            "alert": alert,
            "rows": rows,
            "zones": list(alert.zones.order_by("name")),
            "printed_at": timezone.localtime(),
        },
    )
