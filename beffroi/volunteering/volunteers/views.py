"""A resident's own volunteer profile (under /benevolat/profil/): create and edit it, the
periods away, pause it, delete it. One profile per person and organisation.

Views parse, load through ``volunteers.access``, call one service and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from beffroi.accounts.access import request_organisation
from beffroi.accounts.models import User
from beffroi.volunteering.models import VolunteerProfile
from beffroi.volunteering.volunteers import services
from beffroi.volunteering.volunteers.access import own_profile
from beffroi.volunteering.volunteers.forms import AbsenceForm, ProfileForm
from beffroi.volunteering.volunteers.services import ProfileRefused


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _page(
    request: HttpRequest,
    profile: VolunteerProfile | None,
    form: ProfileForm,
    absence_form: AbsenceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "profile": profile,
        "form": form,
        "absence_form": absence_form or AbsenceForm(),
        "absences": (
            list(profile.absences.filter(ends_on__gte=timezone.localdate()))
            if profile is not None
            else []
        ),
    }
    return render(request, "volunteering/volunteers/profile.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    current = own_profile(request)
    if request.method == "POST":
        form = ProfileForm(request.POST, profile=current)
        if form.is_valid():
            try:
                services.profile_save_own(
                    organisation=request_organisation(request),
                    user=_user(request),
                    data=form.to_input(),
                    request=request,
                )
            except ProfileRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Your volunteer profile is saved.")
                    if current is not None
                    else _("Your volunteer profile is created: missions suited to you are below."),
                )
                return redirect(
                    "volunteering_volunteers:profile"
                    if current is not None
                    else "volunteering_matching:for_me"
                )
        return _page(request, current, form, status=400)
    if current is None:
        user = _user(request)
        form = ProfileForm(
            initial={
                "full_name": user.full_name,
                "email": user.email,
                "radius_km": 5,
                "visibility": VolunteerProfile.Visibility.MATCHABLE,
            }
        )
    else:
        form = ProfileForm(profile=current)
    return _page(request, current, form)


def _own_or_redirect(request: HttpRequest) -> VolunteerProfile | None:
    current = own_profile(request)
    if current is None:
        messages.error(request, _("Create your volunteer profile first."))
    return current


@login_required
@require_POST
def absence_add(request: HttpRequest) -> HttpResponse:
    current = _own_or_redirect(request)
    if current is None:
        return redirect("volunteering_volunteers:profile")
    form = AbsenceForm(request.POST)
    if form.is_valid():
        try:
            services.absence_add(
                profile=current,
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
                note=form.cleaned_data.get("note") or "",
            )
        except ProfileRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The absence is recorded: nobody will ask you then."))
            return redirect("volunteering_volunteers:profile")
    return _page(request, current, ProfileForm(profile=current), absence_form=form, status=400)


@login_required
@require_POST
def absence_remove(request: HttpRequest, absence_id: int) -> HttpResponse:
    current = _own_or_redirect(request)
    if current is None:
        return redirect("volunteering_volunteers:profile")
    if services.absence_remove(profile=current, absence_id=absence_id):
        messages.success(request, _("The absence is removed."))
    else:
        messages.error(request, _("This absence no longer exists."))
    return redirect("volunteering_volunteers:profile")


@login_required
@require_POST
def pause(request: HttpRequest) -> HttpResponse:
    current = _own_or_redirect(request)
    if current is None:
        return redirect("volunteering_volunteers:profile")
    active = request.POST.get("active") == "1"
    try:
        services.profile_set_active(
            profile=current, actor=_user(request), active=active, request=request
        )
    except services.ProfileRefused as exc:
        messages.error(request, str(exc))
        return redirect("volunteering_volunteers:profile")
    messages.success(
        request,
        _("Your profile is active again: you may receive proposals.")
        if active
        else _("Your profile is paused: you will receive no proposal and no call-out."),
    )
    return redirect("volunteering_volunteers:profile")


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    current = own_profile(request)
    if current is None:
        return redirect("volunteering_volunteers:profile")
    if request.method == "POST":
        if request.POST.get("confirm") != "1":
            return render(
                request,
                "volunteering/volunteers/delete.html",
                {"profile": current, "error": _("Tick the box to confirm the deletion.")},
                status=400,
            )
        services.profile_erase(profile=current, actor=_user(request), request=request)
        messages.success(request, _("Your volunteer profile and its history are deleted."))
        return redirect("volunteering_volunteers:profile")
    return render(request, "volunteering/volunteers/delete.html", {"profile": current})
