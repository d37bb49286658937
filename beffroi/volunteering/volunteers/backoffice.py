"""Volunteers: the front desk's pages (under /backoffice/benevolat/benevoles/).

- search the volunteers by name, e-mail or phone;
- register a volunteer met on the phone or at the desk, without an account;
- a volunteer's profile (an audited read: who looked at whom), its edit, pause and resume.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.accounts.models import User
from beffroi.volunteering.access import DESK_ROLES
from beffroi.volunteering.matching.selectors import grid_label
from beffroi.volunteering.models import (
    Activity,
    Certification,
    Skill,
    VolunteerProfile,
    free_cells,
)
from beffroi.volunteering.volunteers import selectors, services
from beffroi.volunteering.volunteers.access import access_profile_for_desk
from beffroi.volunteering.volunteers.forms import AgentProfileForm
from beffroi.volunteering.volunteers.services import LANGUAGES, DuplicateProfile, ProfileRefused

PAGE_SIZE = 200


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@require_GET
@roles_required(DESK_ROLES)
def profile_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    query = request.GET.get("q", "").strip()[:200]
    state = request.GET.get("state", "")
    state = state if state in ("active", "paused") else ""
    rows = selectors.profiles_search(organisation=organisation, query=query, state=state)
    return render(
        request,
        "volunteering/volunteers/backoffice/list.html",
        {
            "profiles": list(rows[:PAGE_SIZE]),
            "total": rows.count(),
            "query": query,
            "state": state,
        },
    )


@require_http_methods(["GET", "POST"])
@roles_required(DESK_ROLES)
def profile_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = AgentProfileForm(request.POST)
        duplicate_of: VolunteerProfile | None = None
        if form.is_valid():
            try:
                profile = services.profile_register(
                    organisation=request_organisation(request),
                    agent=_user(request),
                    data=form.to_input(),
                    channel=form.cleaned_data["channel"],
                    request=request,
                )
            except ProfileRefused as exc:
                form.add_error(None, str(exc))
                duplicate_of = exc.profile if isinstance(exc, DuplicateProfile) else None
            else:
                messages.success(
                    request,
                    _("%(name)s is registered as a volunteer.") % {"name": profile.full_name},
                )
                return redirect("volunteering_volunteers_backoffice:detail", profile.pk)
        return render(
            request,
            "volunteering/volunteers/backoffice/create.html",
            {"form": form, "duplicate_of": duplicate_of},
            status=400,
        )
    form = AgentProfileForm(initial={"radius_km": 5, "visibility": "matchable", "channel": "phone"})
    return render(request, "volunteering/volunteers/backoffice/create.html", {"form": form})


@require_GET
@roles_required(DESK_ROLES)
def profile_detail(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = access_profile_for_desk(request, profile_id)
    services.profile_read(profile=profile, actor=_user(request), request=request)
    activities, skills, certs = (
        dict(Activity.choices),
        dict(Skill.choices),
        dict(Certification.choices),
    )
    languages = dict(LANGUAGES)
    free = [grid_label(day, period) for day, period in free_cells(profile.availability)]
    return render(
        request,
        "volunteering/volunteers/backoffice/detail.html",
        {
            "profile": profile,
            "free": free,
            "interests": [str(activities.get(k, k)) for k in profile.interests],
            "skills": [str(skills.get(k, k)) for k in profile.skills],
            "profile_languages": [languages.get(k, k) for k in profile.languages],
            "certifications": [
                (str(certs.get(c.kind, c.kind)), c) for c in profile.certifications.all()
            ],
            "absences": list(profile.absences.all()),
        },
    )


@require_http_methods(["GET", "POST"])
@roles_required(DESK_ROLES)
def profile_edit(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = access_profile_for_desk(request, profile_id)
    duplicate_of: VolunteerProfile | None = None
    if request.method == "POST":
        form = AgentProfileForm(request.POST, profile=profile, editing=True)
        if form.is_valid():
            try:
                services.profile_update(
                    profile=profile, agent=_user(request), data=form.to_input(), request=request
                )
            except ProfileRefused as exc:
                form.add_error(None, str(exc))
                duplicate_of = exc.profile if isinstance(exc, DuplicateProfile) else None
            else:
                messages.success(request, _("The profile is saved."))
                return redirect("volunteering_volunteers_backoffice:detail", profile.pk)
        status = 400
    else:
        services.profile_read(
            profile=profile, actor=_user(request), purpose="edit", request=request
        )
        form = AgentProfileForm(profile=profile, editing=True)
        status = 200
    return render(
        request,
        "volunteering/volunteers/backoffice/edit.html",
        {"form": form, "profile": profile, "duplicate_of": duplicate_of},
        status=status,
    )


@require_POST
@roles_required(DESK_ROLES)
def profile_active(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = access_profile_for_desk(request, profile_id)
    active = request.POST.get("active") == "1"
    try:
        services.profile_set_active(
            profile=profile, actor=_user(request), active=active, request=request
        )
    except ProfileRefused as exc:
        messages.error(request, str(exc))
        return redirect("volunteering_volunteers_backoffice:detail", profile.pk)
    messages.success(
        request,
        _("The profile is active again.")
        if active
        else _("The profile is deactivated: no proposal and no call-out will reach them."),
    )
    return redirect("volunteering_volunteers_backoffice:detail", profile.pk)
