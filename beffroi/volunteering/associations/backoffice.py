"""Associations: the agents' pages (under /backoffice/associations/).

- the list of profiles, those awaiting validation first, with a search and a status filter;
- a profile's page: what the resident wrote (who they are in the association), its managers,
  validate, or refuse with a reason the resident reads;
- the edit of any profile of the organisation;
- the RNA import, for agents without a shell (the same service as ``beffroi import_rna``).

Views parse, load through ``volunteering.access``, call one service and render.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.accounts.models import User
from beffroi.core.imports import ImportRefused
from beffroi.volunteering.access import AGENT_ROLES, access_association_for_agent
from beffroi.volunteering.associations import selectors, services
from beffroi.volunteering.associations.forms import AssociationForm, RefuseForm, RnaImportForm
from beffroi.volunteering.associations.services import AssociationRefused
from beffroi.volunteering.models import Association


@require_GET
@roles_required(AGENT_ROLES)
def association_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    status = request.GET.get("status", "")
    status = status if status in Association.Status.values else ""
    query = request.GET.get("q", "").strip()[:200]
    rows = selectors.associations_for_agents(organisation=organisation, status=status, query=query)
    pending = selectors.associations_for_agents(
        organisation=organisation, status=Association.Status.PENDING
    )
    counts = selectors.status_counts(organisation=organisation)
    return render(
        request,
        "volunteering/associations/backoffice/list.html",
        {
            "associations": rows[:500],
            "total": rows.count(),
            "pending": list(pending),
            "status": status,
            "query": query,
            "statuses": [
                (value, label, counts.get(value, 0)) for value, label in Association.Status.choices
            ],
        },
    )


def _detail(
    request: HttpRequest, association: Association, refuse_form: RefuseForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "volunteering/associations/backoffice/detail.html",
        {
            "association": association,
            "managers": selectors.managers_of(association),
            "refuse_form": refuse_form,
            "kept_fields": [
                str(getattr(Association._meta.get_field(name), "verbose_name", name))
                for name in association.manager_fields
            ],
        },
        status=status,
    )


@require_GET
@roles_required(AGENT_ROLES)
def association_detail(request: HttpRequest, association_id: int) -> HttpResponse:
    association = access_association_for_agent(request, association_id)
    return _detail(request, association, RefuseForm())


@require_POST
@roles_required(AGENT_ROLES)
def association_validate(request: HttpRequest, association_id: int) -> HttpResponse:
    association = access_association_for_agent(request, association_id)
    assert isinstance(request.user, User)
    try:
        services.association_validate(association=association, actor=request.user)
    except AssociationRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The profile is validated; its managers may edit it."))
    return redirect("volunteering_associations_backoffice:detail", association.pk)


@require_POST
@roles_required(AGENT_ROLES)
def association_refuse(request: HttpRequest, association_id: int) -> HttpResponse:
    association = access_association_for_agent(request, association_id)
    assert isinstance(request.user, User)
    form = RefuseForm(request.POST)
    if form.is_valid():
        try:
            services.association_refuse(
                association=association, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except AssociationRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The request is refused; the resident reads the reason."))
            return redirect("volunteering_associations_backoffice:detail", association.pk)
    return _detail(request, association, form, status=400)


@require_http_methods(["GET", "POST"])
@roles_required(AGENT_ROLES)
def association_edit(request: HttpRequest, association_id: int) -> HttpResponse:
    association = access_association_for_agent(request, association_id)
    assert isinstance(request.user, User)
    form = AssociationForm(
        request.POST or None,
        request.FILES or None,
        association=association,
    )
    if request.method == "POST" and form.is_valid():
        upload = request.FILES.get("logo")
        try:
            services.association_update(
                association=association,
                actor=request.user,
                data=form.as_input(),
                by_agent=True,
                logo=upload if isinstance(upload, UploadedFile) else None,
                remove_logo=form.cleaned_data["remove_logo"],
            )
        except AssociationRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The profile is saved."))
            return redirect("volunteering_associations_backoffice:detail", association.pk)
    return render(
        request,
        "volunteering/associations/edit.html",
        {
            "association": association,
            "form": form,
            "backoffice": True,
            "cancel_url": reverse(
                "volunteering_associations_backoffice:detail", args=[association.pk]
            ),
        },
    )


@require_http_methods(["GET", "POST"])
@roles_required(AGENT_ROLES)
def rna_import(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    assert isinstance(request.user, User)
    form = RnaImportForm(request.POST or None, request.FILES or None)
    context: dict[str, object] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            context["report"] = services.rna_import(
                organisation=organisation,
                data=upload.read(),
                insee=form.cleaned_data["insee"] or None,
                partial=form.cleaned_data["partial"],
                actor=request.user,
                file_name=upload.name or "",
            )
        except ImportRefused as exc:
            context["problems"] = exc.messages
            status = 400
    return render(
        request, "volunteering/associations/backoffice/import.html", context, status=status
    )
