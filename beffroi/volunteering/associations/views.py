"""Associations, public pages (under /associations/): the directory with its search, filters
and clustered map (a GET form: works without JavaScript; the list is the keyboard's and the
screen reader's way to what the map shows); an association's page; creating a profile,
claiming an imported one, and the resident's own requests; managers' edit of their profile.

Views parse, load through ``volunteering.access``, call one service or selector and render.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beffroi.accounts.access import request_organisation
from beffroi.accounts.models import User
from beffroi.territory.models import Zone
from beffroi.volunteering import access
from beffroi.volunteering.associations import selectors, services
from beffroi.volunteering.associations.forms import (
    AssociationForm,
    ClaimForm,
    ManagerForm,
    NewAssociationForm,
)
from beffroi.volunteering.associations.selectors import DirectoryFilters
from beffroi.volunteering.associations.services import AssociationRefused
from beffroi.volunteering.models import Activity, Association, Membership


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def _filters(request: HttpRequest, zones: list[Zone]) -> DirectoryFilters:
    """The directory's GET parameters; anything unreadable is ignored (the whole list)."""
    zone_id = _int(request.GET.get("zone"))
    activity = request.GET.get("activity", "")
    return DirectoryFilters(
        query=request.GET.get("q", "").strip()[:200],
        activity=activity if activity in Activity.values else "",
        zone_id=zone_id if zone_id in {z.pk for z in zones} else None,
    )


def _query(request: HttpRequest) -> str:
    params = request.GET.copy()
    for name in list(params):
        if name not in ("q", "activity", "zone"):
            params.pop(name)
    return params.urlencode()


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    zones = selectors.filter_zones(organisation=organisation)
    filters = _filters(request, zones)
    rows = selectors.directory_listed(organisation=organisation, filters=filters)
    query = _query(request)
    map_url = reverse("volunteering_associations:map")
    context: dict[str, Any] = {
        "filters": filters,
        "zones": zones,
        "activities": selectors.activity_counts(organisation=organisation),
        "associations": rows,
        "without_place": sum(1 for r in rows if r.lat is None),
        "map_url": f"{map_url}?{query}" if query else map_url,
    }
    return render(request, "volunteering/associations/directory.html", context)


@require_GET
def directory_map(request: HttpRequest) -> HttpResponse:
    """The map's points at the zoom asked (``zoom``), clustered; the directory's filters
    apply."""
    organisation = request_organisation(request)
    filters = _filters(request, selectors.filter_zones(organisation=organisation))
    zoom = _int(request.GET.get("zoom"))
    document = selectors.directory_map(
        organisation=organisation,
        filters=filters,
        zoom=zoom if zoom is not None else organisation.default_zoom,
    )
    return HttpResponse(
        json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(),
        content_type="application/geo+json",
    )


@require_GET
def association_detail(request: HttpRequest, association_id: int) -> HttpResponse:
    association = access.access_association(request, association_id)
    membership = access.membership_of(request.user, association)
    context = {
        "association": association,
        "membership": membership,
        "can_manage": access.can_manage(request.user, association),
        "is_owner": access.is_owner(request.user, association),
        "can_claim": association.status == Association.Status.IMPORTED
        and association.dissolved_on is None
        and (membership is None or membership.state == Membership.State.REFUSED),
    }
    return render(request, "volunteering/associations/detail.html", context)


@require_GET
def logo(request: HttpRequest, association_id: int) -> FileResponse:
    association = access.access_association(request, association_id)
    if not association.logo:
        raise Http404("No logo.")
    try:
        handle = association.logo.open("rb")
    except FileNotFoundError as exc:
        raise Http404("No such file.") from exc
    response = FileResponse(handle, content_type=association.logo_type or "image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _upload(request: HttpRequest) -> UploadedFile[bytes] | None:
    upload = request.FILES.get("logo")
    return upload if isinstance(upload, UploadedFile) else None


@require_http_methods(["GET", "POST"])
def association_create(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    assert isinstance(request.user, User)
    form = NewAssociationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            association = services.association_create(
                organisation=organisation,
                user=request.user,
                data=form.as_input(),
                message=form.cleaned_data["message"],
                logo=_upload(request),
            )
        except AssociationRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Your association's profile is sent: the commune will publish it once checked."),
            )
            return redirect("volunteering_associations:detail", association.pk)
    return render(request, "volunteering/associations/create.html", {"form": form})


@require_http_methods(["GET", "POST"])
def association_claim(request: HttpRequest, association_id: int) -> HttpResponse:
    association = access.access_association(request, association_id)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    assert isinstance(request.user, User)
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.association_claim(
                association=association, user=request.user, message=form.cleaned_data["message"]
            )
        except AssociationRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Your request is sent: the commune will answer after checking it.")
            )
            return redirect("volunteering_associations:mine")
    return render(
        request,
        "volunteering/associations/claim.html",
        {"association": association, "form": form},
    )


@require_GET
def my_associations(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    assert isinstance(request.user, User)
    memberships = selectors.memberships_of_user(user=request.user, organisation=organisation)
    return render(request, "volunteering/associations/mine.html", {"memberships": memberships})


@require_http_methods(["GET", "POST"])
def association_edit(request: HttpRequest, association_id: int) -> HttpResponse:
    """A manager edits their association's profile."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    association = access.access_association_for_manager(request, association_id)
    assert isinstance(request.user, User)
    form = AssociationForm(
        request.POST or None,
        request.FILES or None,
        association=association,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.association_update(
                association=association,
                actor=request.user,
                data=form.as_input(),
                by_agent=False,
                logo=_upload(request),
                remove_logo=form.cleaned_data["remove_logo"],
            )
        except AssociationRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The profile is saved."))
            return redirect("volunteering_associations:detail", association.pk)
    return render(
        request,
        "volunteering/associations/edit.html",
        {
            "association": association,
            "form": form,
            "cancel_url": reverse("volunteering_associations:detail", args=[association.pk]),
        },
    )


@require_http_methods(["GET", "POST"])
def managers(request: HttpRequest, association_id: int) -> HttpResponse:
    """An owner sees who manages the profile and invites a person by e-mail address."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    association = access.access_association_for_owner(request, association_id)
    assert isinstance(request.user, User)
    form = ManagerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.manager_invite(
                association=association,
                actor=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except AssociationRefused as exc:
            form.add_error("email", str(exc))
        else:
            # The same answer whether the address has an account or not.
            messages.success(
                request,
                _(
                    "An invitation is sent to %(email)s. The person manages the profile once "
                    "they accept it."
                )
                % {"email": invitation.email},
            )
            return redirect("volunteering_associations:managers", association.pk)
    return render(
        request,
        "volunteering/associations/managers.html",
        {
            "association": association,
            "managers": [
                m for m in selectors.managers_of(association) if m.state == Membership.State.ACTIVE
            ],
            "invitations": selectors.invitations_pending(association),
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def invitation_withdraw(
    request: HttpRequest, association_id: int, invitation_id: int
) -> HttpResponse:
    """An owner withdraws an invitation not yet accepted."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("volunteering_associations:detail", args=[association_id]))
    association = access.access_association_for_owner(request, association_id)
    assert isinstance(request.user, User)
    invitation = association.manager_invitations.filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404("No such invitation.")
    services.manager_invitation_withdraw(invitation=invitation, actor=request.user)
    messages.success(request, _("The invitation is withdrawn."))
    return redirect("volunteering_associations:managers", association.pk)


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The invited person's landing page: what the invitation is, then accept (logged in with
    the invited address) or decline. A used, withdrawn or expired link says so (404)."""
    organisation = request_organisation(request)
    found = services.manager_invitation_valid(organisation=organisation, token=token)
    if found is None:
        return render(
            request, "volunteering/associations/invitation.html", {"invitation": None}, status=404
        )
    error = ""
    if request.method == "POST":
        if request.POST.get("answer") == "decline":
            services.manager_invitation_decline(organisation=organisation, token=token)
            messages.success(request, _("The invitation is declined."))
            return redirect("volunteering_associations:list")
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        assert isinstance(request.user, User)
        try:
            services.manager_invitation_accept(
                organisation=organisation, token=token, user=request.user
            )
        except AssociationRefused as exc:
            error = str(exc)
        else:
            messages.success(request, _("You now manage the profile."))
            return redirect("volunteering_associations:detail", found.association_id)
    return render(
        request,
        "volunteering/associations/invitation.html",
        {
            "invitation": found,
            "error": error,
            "login_url": reverse("accounts:login")
            + "?"
            + urlencode({"next": request.get_full_path()}),
            "other_address": (
                request.user.is_authenticated
                and request.user.email.strip().lower() != found.email.strip().lower()
            ),
        },
        status=400 if error else 200,
    )


@require_POST
def manager_remove(request: HttpRequest, association_id: int, membership_id: int) -> HttpResponse:
    """An owner takes a manager off the profile."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("volunteering_associations:detail", args=[association_id]))
    association = access.access_association_for_owner(request, association_id)
    assert isinstance(request.user, User)
    membership = association.memberships.filter(pk=membership_id).first()
    if membership is None:
        raise Http404("No such manager.")
    try:
        services.membership_remove(membership=membership, actor=request.user)
    except AssociationRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The person no longer manages the profile."))
    return redirect("volunteering_associations:managers", association.pk)
