"""The civil-protection reserve, the crisis cell's pages (under /backoffice/benevolat/reserve/):
the reservists with the state of their engagement, enrolment and its edit, ending an
engagement, the printable phone tree, a shortcut to call the reserve out, and training
sessions with their attendance.

Views parse, load through ``reserve.access``, call one service and render.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.accounts.models import User
from beffroi.volunteering.access import CRISIS_ROLES
from beffroi.volunteering.reserve import selectors, services
from beffroi.volunteering.reserve.access import access_member, access_session
from beffroi.volunteering.reserve.forms import (
    AttendanceForm,
    EndForm,
    EngagementForm,
    EnrolForm,
    TrainingForm,
    today_initial,
)
from beffroi.volunteering.reserve.services import ReserveRefused


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@require_GET
@roles_required(CRISIS_ROLES)
def reserve_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    today = timezone.localdate()
    status = request.GET.get("status", "")
    status = status if status in dict(selectors.STATUSES) else ""
    counts = selectors.status_counts(organisation=organisation, today=today)
    return render(
        request,
        "volunteering/reserve/list.html",
        {
            "rows": selectors.reserve_rows(organisation=organisation, today=today, status=status),
            "status": status,
            "statuses": [(key, label, counts[key]) for key, label in selectors.STATUSES],
            "trainings": list(selectors.trainings(organisation=organisation)[:5]),
        },
    )


@require_http_methods(["GET", "POST"])
@roles_required(CRISIS_ROLES)
def reserve_enrol(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    form = EnrolForm(
        request.POST or None,
        initial=today_initial(),
        profiles=selectors.profiles_to_enrol(organisation=organisation),
    )
    if request.method == "POST" and form.is_valid():
        try:
            member = services.reserve_enrol(
                organisation=organisation,
                actor=_user(request),
                profile=form.cleaned_data["profile"],
                data=form.as_input(),
                consent_on=form.consent_on(),
            )
        except ReserveRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(name)s is enrolled in the reserve.") % {"name": member.profile.full_name},
            )
            return redirect("volunteering_reserve_backoffice:list")
    return render(
        request,
        "volunteering/reserve/engagement.html",
        {"form": form, "member": None},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@roles_required(CRISIS_ROLES)
def reserve_edit(request: HttpRequest, member_id: int) -> HttpResponse:
    member = access_member(request, member_id)
    form = EngagementForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.reserve_update(member=member, actor=_user(request), data=form.as_input())
        except ReserveRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The engagement is saved."))
            return redirect("volunteering_reserve_backoffice:list")
    return render(
        request,
        "volunteering/reserve/engagement.html",
        {
            "form": form,
            "member": member,
            "end_form": EndForm(),
            "status": selectors.member_status(member, timezone.localdate()),
        },
        status=400 if form.is_bound else 200,
    )


@require_POST
@roles_required(CRISIS_ROLES)
def reserve_end(request: HttpRequest, member_id: int) -> HttpResponse:
    member = access_member(request, member_id)
    form = EndForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.reserve_end(member=member, actor=_user(request), reason=reason)
    except ReserveRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("The engagement of %(name)s has ended.") % {"name": member.profile.full_name},
        )
    return redirect("volunteering_reserve_backoffice:list")


@require_GET
@roles_required(CRISIS_ROLES)
def call_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    today = timezone.localdate()
    return render(
        request,
        "volunteering/reserve/call_list.html",
        {
            "members": [
                (member, services.mission_type_labels(member.mission_types))
                for member in selectors.call_list(organisation=organisation, today=today)
            ],
            "today": today,
            "callout_url": f"{reverse('volunteering_callouts_backoffice:start')}?reserve=1",
        },
    )


@require_GET
@roles_required(CRISIS_ROLES)
def training_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    return render(
        request,
        "volunteering/reserve/trainings.html",
        {"sessions": list(selectors.trainings(organisation=organisation))},
    )


@require_http_methods(["GET", "POST"])
@roles_required(CRISIS_ROLES)
def training_create(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    start = (timezone.localtime() + timedelta(days=14)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    form = TrainingForm(
        request.POST or None, initial={"starts_at": start, "ends_at": start + timedelta(hours=3)}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = services.training_create(
                organisation=organisation,
                actor=_user(request),
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                place=data["place"],
                description=data["description"],
            )
        except ReserveRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The session is planned; the reservists are invited."))
            return redirect("volunteering_reserve_backoffice:training", session.pk)
    return render(
        request,
        "volunteering/reserve/training_form.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@roles_required(CRISIS_ROLES)
def training_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    session = access_session(request, session_id)
    rows = selectors.attendance_rows(session=session, today=timezone.localdate())
    form = AttendanceForm(request.POST or None, rows=rows)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.training_attendance_record(
                    session=session, actor=_user(request), presence=form.presence()
                )
            except ReserveRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The attendance is recorded."))
                return redirect("volunteering_reserve_backoffice:training", session.pk)
    present = sum(1 for _m, p in rows if p is True)
    absent = sum(1 for _m, p in rows if p is False)
    return render(
        request,
        "volunteering/reserve/training_detail.html",
        {
            "session": session,
            "form": form,
            "present": present,
            "absent": absent,
            "rows": rows,
            "started": session.starts_at <= timezone.now(),
        },
        status=status,
    )
