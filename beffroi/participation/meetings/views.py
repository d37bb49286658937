"""Workshops and meetings: public pages (list, meeting, registration, iCalendar) and the back
office (set up, cancel, registrations, attendance, minutes, proposals, printable sheets)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beffroi.accounts.access import has_role, request_organisation, roles_required
from beffroi.accounts.models import User
from beffroi.participation import access
from beffroi.participation.access import MANAGER_ROLES, ON_BEHALF_ROLES, ActionRefused
from beffroi.participation.meetings import selectors, services
from beffroi.participation.meetings.forms import (
    AttachProposalForm,
    AttendanceForm,
    CancelForm,
    MeetingForm,
    MinutesForm,
    OnBehalfForm,
)
from beffroi.participation.meetings.ical import meeting_ical
from beffroi.participation.models import Action, Meeting, Process, Registration
from beffroi.participation.richtext import editable_text
from beffroi.territory.models import Organisation
from beffroi.territory.selectors import organisation_url

AGENT_ROLES = MANAGER_ROLES | ON_BEHALF_ROLES


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _point(meeting: Meeting) -> dict[str, float] | None:
    if meeting.lat is None or meeting.lon is None:
        return None
    return {"lat": meeting.lat, "lon": meeting.lon}


# --- Public pages --------------------------------------------------------------------------


@require_GET
def meetings_index(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    by_process: dict[int, tuple[Process, list[tuple[Meeting, str]]]] = {}
    for meeting in selectors.meetings_upcoming(organisation=organisation)[:100]:
        entry = by_process.setdefault(meeting.process_id, (meeting.process, []))
        entry[1].append(
            (meeting, selectors.seats_in_words(meeting, getattr(meeting, "confirmed_count", None)))
        )
    return render(
        request,
        "participation/meetings/public/index.html",
        {"by_process": list(by_process.values())},
    )


@require_GET
def process_meetings(request: HttpRequest, slug: str) -> HttpResponse:
    process = access.access_process(request, slug)
    lists = selectors.meetings_of_process(process=process)
    return render(
        request,
        "participation/meetings/public/list.html",
        {
            "process": process,
            "upcoming": [
                (m, selectors.seats_in_words(m, getattr(m, "confirmed_count", None)))
                for m in lists["upcoming"]
            ],
            "past": lists["past"],
        },
    )


@require_GET
def meeting_detail(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    meeting = access.access_meeting(request, slug, meeting_id)
    participant = access.request_participant(request)
    registration = selectors.registration_of(meeting=meeting, participant=participant)
    if registration is not None and registration.status == Registration.Status.CANCELLED:
        registration = None
    now = timezone.now()
    decision = access.decide(participant, meeting.process, Action.REGISTER_MEETING, now=now)
    confirmed = selectors.confirmed_count(meeting)
    return render(
        request,
        "participation/meetings/public/detail.html",
        {
            "meeting": meeting,
            "process": meeting.process,
            "registration": registration,
            "waiting_position": (
                selectors.waiting_position(registration)
                if registration is not None and registration.status == Registration.Status.WAITING
                else None
            ),
            "decision": decision,
            # The link to join online: for the people registered, and the agents.
            "show_online_url": (
                registration is not None and registration.status == Registration.Status.CONFIRMED
            )
            or has_role(request.user, meeting.organisation, *AGENT_ROLES),
            "seats": selectors.seats_in_words(meeting, confirmed),
            "full": meeting.capacity is not None and confirmed >= meeting.capacity,
            "started": meeting.starts_at <= now,
            "over": meeting.ends_at <= now,
            "agenda_items": [line.strip() for line in meeting.agenda.splitlines() if line.strip()],
            "proposals": selectors.proposals_of_meeting(meeting=meeting),
            "point": _point(meeting),
            "login_url": f"{reverse('accounts:login')}?next={request.path}",
            "is_agent": has_role(request.user, meeting.organisation, *AGENT_ROLES),
        },
    )


@require_POST
def meeting_register(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    meeting = access.access_meeting(request, slug, meeting_id)
    try:
        registration = services.registration_create(
            meeting=meeting, participant=access.request_participant(request)
        )
    except ActionRefused as refused:
        messages.error(request, str(refused.decision.message))
    else:
        if registration.status == Registration.Status.CONFIRMED:
            messages.success(request, _("You are registered. See you there!"))
        else:
            messages.success(
                request,
                _(
                    "The meeting is full: you are on the waiting list. You will be told as "
                    "soon as a seat is free."
                ),
            )
    return redirect("participation_meetings:detail", slug=slug, meeting_id=meeting.pk)


@require_POST
def meeting_unregister(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    meeting = access.access_meeting(request, slug, meeting_id)
    registration = selectors.registration_of(
        meeting=meeting, participant=access.request_participant(request)
    )
    if registration is None or registration.status == Registration.Status.CANCELLED:
        messages.error(request, _("You are not registered for this meeting."))
    else:
        try:
            services.registration_cancel(registration=registration)
        except ActionRefused as refused:
            messages.error(request, str(refused.decision.message))
        else:
            messages.success(request, _("Your registration is cancelled."))
    return redirect("participation_meetings:detail", slug=slug, meeting_id=meeting.pk)


def _ical_response(meeting: Meeting, organisation: Organisation) -> HttpResponse:
    url = organisation_url(organisation, services.meeting_path(meeting))
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    parts = [meeting.description]
    if meeting.agenda:
        parts.append(_("Agenda:") + "\n" + meeting.agenda)
    if meeting.online_url:
        parts.append(_("Link to join: %(url)s") % {"url": meeting.online_url})
    if meeting.accessibility:
        parts.append(_("Accessibility:") + "\n" + meeting.accessibility)
    location = ", ".join(p for p in (meeting.place_name, meeting.address_text) if p)
    if not location and meeting.online_url:
        location = meeting.online_url
    content = meeting_ical(
        meeting=meeting,
        url=url,
        uid_host=host,
        now=timezone.now(),
        description="\n\n".join(p for p in parts if p),
        location=location,
    )
    response = HttpResponse(content.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rencontre-{meeting.pk}.ics"'
    return response


@require_GET
def meeting_calendar(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    meeting = access.access_meeting(request, slug, meeting_id)
    return _ical_response(meeting, request_organisation(request))


# --- Back office ---------------------------------------------------------------------------


@never_cache
@roles_required(AGENT_ROLES)
@require_GET
def backoffice_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    past = request.GET.get("quand") == "passees"
    return render(
        request,
        "participation/meetings/backoffice/list.html",
        {
            "meetings": list(
                selectors.meetings_for_agents(organisation=organisation, past=past)[:200]
            ),
            "past": past,
            "can_manage": has_role(request.user, organisation, *MANAGER_ROLES),
        },
    )


def _form_response(
    request: HttpRequest, form: MeetingForm, meeting: Meeting | None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "participation/meetings/backoffice/form.html",
        {"form": form, "meeting": meeting},
        status=status,
    )


def _posted_as_initial(request: HttpRequest) -> dict[str, Any]:
    return {key: value for key, value in request.POST.items() if key != "csrfmiddlewaretoken"}


@never_cache
@roles_required(MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def backoffice_create(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    if request.method != "POST":
        initial: dict[str, Any] = {}
        process_id = request.GET.get("process", "")
        if process_id.isdigit():
            initial["process"] = access.access_process_for_manager(request, int(process_id))
        return _form_response(
            request, MeetingForm(initial=initial, organisation=organisation), None
        )
    if "find_address" in request.POST:
        form = MeetingForm(initial=_posted_as_initial(request), organisation=organisation)
        return _form_response(request, form, None)
    form = MeetingForm(request.POST, organisation=organisation)
    if form.is_valid():
        process: Process = form.cleaned_data["process"]
        try:
            meeting = services.meeting_create(
                process=process, actor=_actor(request), data=form.to_data()
            )
        except services.MeetingError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The meeting has been created."))
            return redirect("participation_meetings_backoffice:detail", meeting_id=meeting.pk)
    return _form_response(request, form, None)


@never_cache
@roles_required(MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def backoffice_update(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = access.access_meeting_for_agents(request, meeting_id)
    organisation = request_organisation(request)
    if request.method != "POST":
        form = MeetingForm(
            initial=MeetingForm.initial_for(meeting), organisation=organisation, meeting=meeting
        )
        return _form_response(request, form, meeting)
    if "find_address" in request.POST:
        form = MeetingForm(
            initial=_posted_as_initial(request), organisation=organisation, meeting=meeting
        )
        return _form_response(request, form, meeting)
    form = MeetingForm(request.POST, organisation=organisation, meeting=meeting)
    if form.is_valid():
        try:
            services.meeting_update(meeting=meeting, actor=_actor(request), data=form.to_data())
        except services.MeetingError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The meeting has been updated."))
            return redirect("participation_meetings_backoffice:detail", meeting_id=meeting.pk)
    return _form_response(request, form, meeting)


@never_cache
@roles_required(MANAGER_ROLES)
@require_GET
def address_suggest(request: HttpRequest) -> HttpResponse:
    """The addresses matching what the agent types, as radio buttons (htmx)."""
    form = MeetingForm(
        initial={"address_query": request.GET.get("address_query", "")[:200]},
        organisation=request_organisation(request),
        meeting=Meeting(),
    )
    return render(
        request, "participation/meetings/backoffice/form.html#address_choices", {"form": form}
    )


def _detail_context(request: HttpRequest, meeting: Meeting) -> dict[str, Any]:
    rows = selectors.registrations_for_agents(meeting=meeting)
    present = rows[Registration.Status.CONFIRMED] + rows[Registration.Status.WAITING]
    now = timezone.now()
    return {
        "meeting": meeting,
        "process": meeting.process,
        "confirmed": rows[Registration.Status.CONFIRMED],
        "waiting": rows[Registration.Status.WAITING],
        "cancelled": rows[Registration.Status.CANCELLED],
        "attended_count": sum(1 for row in present if row.registration.attended),
        "seats": selectors.seats_in_words(
            meeting, len(rows[Registration.Status.CONFIRMED]), for_agents=True
        ),
        "started": meeting.starts_at <= now,
        "over": meeting.ends_at <= now,
        "show_online_url": True,
        "proposals": selectors.proposals_of_meeting(meeting=meeting, hidden=True),
        "point": _point(meeting),
        "can_manage": has_role(request.user, meeting.organisation, *MANAGER_ROLES),
        "public_url": services.meeting_path(meeting),
        "agenda_items": [line.strip() for line in meeting.agenda.splitlines() if line.strip()],
    }


@never_cache
@roles_required(AGENT_ROLES)
@require_GET
def backoffice_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = access.access_meeting_for_agents(request, meeting_id)
    context = _detail_context(request, meeting)
    context["on_behalf_form"] = OnBehalfForm()
    context["attach_form"] = AttachProposalForm(
        queryset=selectors.proposals_attachable(meeting=meeting)
    )
    return render(request, "participation/meetings/backoffice/detail.html", context)


def _detail_with(
    request: HttpRequest, meeting: Meeting, status: int = 400, **forms: Any
) -> HttpResponse:
    context = _detail_context(request, meeting)
    context["on_behalf_form"] = forms.get("on_behalf_form") or OnBehalfForm()
    context["attach_form"] = forms.get("attach_form") or AttachProposalForm(
        queryset=selectors.proposals_attachable(meeting=meeting)
    )
    return render(request, "participation/meetings/backoffice/detail.html", context, status=status)


@never_cache
@roles_required(MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def backoffice_cancel(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = access.access_meeting_for_agents(request, meeting_id)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and meeting.cancelled_at is None:
        try:
            services.meeting_cancel(
                meeting=meeting,
                actor=_actor(request),
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except services.MeetingError as error:
            for message in error.errors.get("__all__", []):
                messages.error(request, message)
        else:
            messages.success(
                request, _("The meeting is cancelled; the registered residents have been told.")
            )
        return redirect("participation_meetings_backoffice:detail", meeting_id=meeting.pk)
    return render(
        request, "participation/meetings/backoffice/cancel.html", {"meeting": meeting, "form": form}
    )


@never_cache
@roles_required(MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def backoffice_minutes(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = access.access_meeting_for_agents(request, meeting_id)
    if request.method == "POST":
        form = MinutesForm(request.POST)
        if form.is_valid():
            try:
                services.meeting_minutes_save(
                    meeting=meeting,
                    actor=_actor(request),
                    minutes=form.cleaned_data["minutes"],
                    publish=form.cleaned_data["publish"],
                    attendance=form.cleaned_data["attendance"],
                )
            except services.MeetingError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The minutes have been saved."))
                return redirect("participation_meetings_backoffice:detail", meeting_id=meeting.pk)
    else:
        form = MinutesForm(
            initial={
                "minutes": editable_text(meeting.minutes),
                "publish": meeting.minutes_published_at is not None,
                "attendance": meeting.attendance,
            }
        )
    return render(
        request,
        "participation/meetings/backoffice/minutes.html",
        {"meeting": meeting, "form": form},
        status=400 if form.errors else 200,
    )


@never_cache
@roles_required(MANAGER_ROLES)
@require_POST
def backoffice_attendance(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = access.access_meeting_for_agents(request, meeting_id)
    ids = list(
        Registration.objects.filter(
            meeting=meeting,
            status__in=(Registration.Status.CONFIRMED, Registration.Status.WAITING),
        ).values_list("pk", flat=True)
    )
    form = AttendanceForm(request.POST, choices=[(pk, str(pk)) for pk in ids])
    if not form.is_valid():
        messages.error(request, _("Tick the people present among the registered residents."))
    else:
        try:
            count = services.registrations_mark_attended(
                meeting=meeting, actor=_actor(request), present=set(form.cleaned_data["present"])
            )
        except services.MeetingError as error:
            messages.error(request, " ".join(error.errors.get("__all__", [])))
        else:
            messages.success(request, _("Attendance saved: %(count)d present.") % {"count": count})
    return redirect("participation_meetings_backoffice:detail", meeting_id=meeting.pk)


@never_cache
@roles_required(AGENT_ROLES)
@require_POST
def backoffice_register(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = access.access_meeting_for_agents(request, meeting_id)
    form = OnBehalfForm(request.POST)
    if form.is_valid():
        try:
            registration = services.registration_create_on_behalf(
                meeting=meeting,
                actor=_actor(request),
                contact=form.cleaned_data["contact"],
                request=request,
            )
        except services.MeetingError as error:
            form.add_service_errors(error)
        except ActionRefused as refused:
            form.add_error("contact", str(refused.decision.message))
        else:
            if getattr(registration, "already", False):
                if registration.status == Registration.Status.CONFIRMED:
                    messages.info(request, _("This resident was already registered."))
                else:
                    messages.info(request, _("This resident was already on the waiting list."))
            elif registration.status == Registration.Status.CONFIRMED:
                messages.success(request, _("The resident is registered."))
            else:
                messages.success(
                    request, _("The meeting is full: the resident is on the waiting list.")
                )
            return redirect("participation_meetings_backoffice:detail", meeting_id=meeting.pk)
    return _detail_with(request, meeting, on_behalf_form=form)


@never_cache
@roles_required(AGENT_ROLES)
@require_POST
def backoffice_unregister(
    request: HttpRequest, meeting_id: int, registration_id: int
) -> HttpResponse:
    meeting = access.access_meeting_for_agents(request, meeting_id)
    registration = (
        Registration.objects.filter(meeting=meeting, pk=registration_id)
        .select_related("meeting__organisation")
        .first()
    )
    if registration is None:
        from django.http import Http404

        raise Http404("No such registration.")
    try:
        promoted = services.registration_cancel_by_agent(
            registration=registration, actor=_actor(request), request=request
        )
    except ActionRefused as refused:
        messages.error(request, str(refused.decision.message))
    else:
        if promoted:
            messages.success(
                request,
                _("The registration is cancelled; the first on the waiting list has the seat."),
            )
        else:
            messages.success(request, _("The registration is cancelled."))
    return redirect("participation_meetings_backoffice:detail", meeting_id=meeting.pk)


@never_cache
@roles_required(MANAGER_ROLES)
@require_POST
def backoffice_attach(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = access.access_meeting_for_agents(request, meeting_id)
    form = AttachProposalForm(
        request.POST, queryset=selectors.proposals_attachable(meeting=meeting)
    )
    if form.is_valid():
        try:
            services.meeting_proposal_attach(
                meeting=meeting, actor=_actor(request), proposal_id=form.cleaned_data["proposal"].pk
            )
        except services.MeetingError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The proposal is linked to this meeting."))
            return redirect("participation_meetings_backoffice:detail", meeting_id=meeting.pk)
    return _detail_with(request, meeting, attach_form=form)


@never_cache
@roles_required(MANAGER_ROLES)
@require_POST
def backoffice_detach(request: HttpRequest, meeting_id: int, proposal_id: int) -> HttpResponse:
    meeting = access.access_meeting_for_agents(request, meeting_id)
    services.meeting_proposal_detach(
        meeting=meeting, actor=_actor(request), proposal_id=proposal_id
    )
    messages.success(request, _("The proposal is no longer linked to this meeting."))
    return redirect("participation_meetings_backoffice:detail", meeting_id=meeting.pk)


@never_cache
@roles_required(AGENT_ROLES)
@require_GET
def sign_in_sheet(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = access.access_meeting_for_agents(request, meeting_id)
    rows = selectors.registrations_for_agents(meeting=meeting)
    registered = rows[Registration.Status.CONFIRMED]
    # Room for the people who come without registering: at least 10 blank lines, and the
    # page filled up to a round 20.
    blank = max(10, 20 - len(registered) % 20)
    return render(
        request,
        "participation/meetings/print/sign_in.html",
        {
            "meeting": meeting,
            "registered": registered,
            "blank_lines": range(blank),
            "printed_at": timezone.now(),
        },
    )


@never_cache
@roles_required(AGENT_ROLES)
@require_GET
def proposal_form(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = access.access_meeting_for_agents(request, meeting_id)
    return render(
        request,
        "participation/meetings/print/proposal_form.html",
        {
            "meeting": meeting,
            "process": meeting.process,
            "categories": list(meeting.process.categories.all()),
            "copies": range(1),
        },
    )
