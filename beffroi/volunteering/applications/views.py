"""Applications, public pages (under /benevolat/candidatures/): applying to a mission's slots,
the volunteer's own applications with their threads, iCalendar files, testimonials and
yearly certificate of hours; and the organiser's page per mission (decisions, waiting list,
attendance, messages, testimonials).

Views parse, load through ``applications.access``, call one service or selector and render.
Every form works without JavaScript (POST, CSRF, a redirect with a message).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beffroi.accounts.access import request_organisation
from beffroi.accounts.models import User
from beffroi.territory.selectors import organisation_url
from beffroi.volunteering.applications import access, ical, selectors, services
from beffroi.volunteering.applications.forms import (
    ApplyForm,
    AttendanceForm,
    CancelForm,
    MessageForm,
    ReasonForm,
    TestimonialForm,
)
from beffroi.volunteering.applications.services import ApplicationRefused
from beffroi.volunteering.models import Application


def _login(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


def _posted(request: HttpRequest) -> QueryDict | None:
    """The submitted data, even empty (a form sent empty is bound and shows its errors)."""
    return request.POST if request.method == "POST" else None


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def slot_label(choice: selectors.SlotChoice) -> str:
    slot = choice.slot
    start = timezone.localtime(slot.starts_at)
    end = timezone.localtime(slot.ends_at)
    when = _("%(day)s, %(start)s – %(end)s") % {
        "day": formats.date_format(start, "l j F Y"),
        "start": formats.time_format(start, "H:i"),
        "end": formats.time_format(end, "H:i"),
    }
    if choice.full:
        places = _("full: join the waiting list")
    else:
        places = ngettext("%(count)s place left", "%(count)s places left", choice.places_left) % {
            "count": choice.places_left
        }
    return f"{when} — {places}"


@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, mission_id: int) -> HttpResponse:
    """A mission's future slots, the places left on each, and the form to apply (or join a
    waiting list); what the volunteer lacks is said before they try."""
    mission = access.access_mission_to_apply(request, mission_id)
    profile = access.profile_of(request)
    choices = selectors.slots_to_apply(mission=mission, profile=profile)
    open_choices = [c for c in choices if c.mine is None or c.mine.state == "cancelled"]
    form = ApplyForm(
        _posted(request),
        slots=[(c.slot.pk, slot_label(c)) for c in open_choices if not c.missing],
    )
    if request.method == "POST":
        if (response := _login(request)) is not None:
            return response
        if profile is None:
            messages.error(request, _("Create your volunteer profile first."))
            return redirect("volunteering_volunteers:profile")
        if form.is_valid():
            slot = next(c.slot for c in open_choices if c.slot.pk == form.cleaned_data["slot"])
            try:
                application = services.application_apply(
                    slot=slot, profile=profile, message=form.cleaned_data["message"]
                )
            except ApplicationRefused as exc:
                form.add_error(None, str(exc))
            else:
                if application.state == Application.State.WAITLISTED:
                    messages.success(
                        request,
                        _(
                            "The slot is full: you are on the waiting list, and will be told "
                            "if a place frees up."
                        ),
                    )
                else:
                    messages.success(
                        request,
                        _("Your application is sent: the organiser will answer you."),
                    )
                return redirect("volunteering_applications:mine")
    context: dict[str, Any] = {
        "mission": mission,
        "profile": profile,
        "choices": choices,
        "form": form,
        "can_apply": bool(form.fields["slot"].choices),  # type: ignore[attr-defined]
        "missing": sorted({m for c in choices for m in c.missing}),
        "testimonials": selectors.published_testimonials(mission=mission),
    }
    return render(
        request,
        "volunteering/applications/apply.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """Mes candidatures: the volunteer's applications by state."""
    if (response := _login(request)) is not None:
        return response
    profile = access.profile_of(request)
    context: dict[str, Any] = {
        "profile": profile,
        # An association's manager finds the applications to their missions here too.
        "organised": selectors.missions_followed(missions=access.missions_managed(request)),
    }
    if profile is not None:
        context["grouped"] = selectors.applications_grouped(profile=profile)
        context["years"] = selectors.certificate_years(profile=profile)
    return render(request, "volunteering/applications/mine.html", context)


@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, application_id: int) -> HttpResponse:
    """The volunteer cancels their application, with a reason the organiser reads."""
    if (response := _login(request)) is not None:
        return response
    application = access.access_application_for_volunteer(request, application_id)
    return _cancel(
        request,
        application,
        form=CancelForm(_posted(request)),
        by=Application.CancelledBy.VOLUNTEER,
        done=_("Your application is cancelled."),
        then=reverse("volunteering_applications:mine"),
    )


def _cancel(
    request: HttpRequest,
    application: Application,
    *,
    form: CancelForm | ReasonForm,
    by: str,
    done: str,
    then: str,
) -> HttpResponse:
    """Either side's cancel page: the form, then the cancellation with its reason; an
    application no longer open shows what it is and changes nothing."""
    organiser = by == Application.CancelledBy.ORGANISER
    if application.state not in services.CANCELLABLE:
        return _closed(request, application, organiser=organiser)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_cancel(
                application=application,
                by=by,
                actor=_user(request),
                reason=form.cleaned_data["reason"],
            )
        except ApplicationRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, done)
            return redirect(then)
    return render(
        request,
        "volunteering/applications/cancel.html",
        {"application": application, "form": form, "organiser": organiser},
        status=400 if request.method == "POST" else 200,
    )


def _closed(request: HttpRequest, application: Application, *, organiser: bool) -> HttpResponse:
    """The cancel page of an application that is no longer open: what it is, no form; a
    POST changes nothing (409)."""
    return render(
        request,
        "volunteering/applications/cancel.html",
        {"application": application, "form": None, "organiser": organiser, "closed": True},
        status=409 if request.method == "POST" else 200,
    )


@require_GET
def calendar(request: HttpRequest, application_id: int) -> HttpResponse:
    """The slot's iCalendar file, for an application holding a place."""
    if (response := _login(request)) is not None:
        return response
    application = access.access_application_for_volunteer(request, application_id)
    if application.state not in services.HOLDING:
        raise Http404("No calendar for this application.")
    content = ical.slot_calendar(
        slot=application.slot,
        site=organisation_url(request_organisation(request)),
        tentative=application.state == Application.State.PENDING,
    )
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="mission-{application.slot_id}.ics"'
    return response


@require_http_methods(["GET", "POST"])
def thread(request: HttpRequest, application_id: int) -> HttpResponse:
    """The volunteer's thread with the organiser about one application."""
    if (response := _login(request)) is not None:
        return response
    application = access.access_application_for_volunteer(request, application_id)
    return _thread(request, application, organiser=False)


@require_http_methods(["GET", "POST"])
def organiser_thread(request: HttpRequest, application_id: int) -> HttpResponse:
    """The organiser's thread with the volunteer about one application."""
    if (response := _login(request)) is not None:
        return response
    application = access.access_application_for_organiser(request, application_id)
    return _thread(request, application, organiser=True)


def _thread(request: HttpRequest, application: Application, *, organiser: bool) -> HttpResponse:
    form = MessageForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.application_message_send(
                application=application,
                author=_user(request),
                body=form.cleaned_data["body"],
                from_organiser=organiser,
            )
        except ApplicationRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your message is sent."))
            name = "organiser_thread" if organiser else "thread"
            return redirect(f"volunteering_applications:{name}", application.pk)
    if request.method == "GET":
        services.messages_mark_read(application=application, reader_is_organiser=organiser)
    return render(
        request,
        "volunteering/applications/thread.html",
        {
            "application": application,
            "thread": selectors.thread(application),
            "form": form,
            "organiser": organiser,
        },
        # A refused message answers 400, as every other form of the site.
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def testimonial(request: HttpRequest, application_id: int) -> HttpResponse:
    """The volunteer's testimonial, once they took part."""
    if (response := _login(request)) is not None:
        return response
    application = access.access_application_for_volunteer(request, application_id)
    if application.attendance != Application.Attendance.PRESENT:
        raise Http404("Not taken part.")
    current = application.testimonials.filter(from_organiser=False).first()
    form = TestimonialForm(_posted(request), initial={"body": current.body if current else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.testimonial_write(
                application=application, author=_user(request), body=form.cleaned_data["body"]
            )
        except ApplicationRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Thank you! The organiser may publish it on the mission's page.")
            )
            return redirect("volunteering_applications:mine")
    return render(
        request,
        "volunteering/applications/testimonial.html",
        {"application": application, "form": form, "current": current},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def certificate(request: HttpRequest, year: int) -> HttpResponse:
    """The yearly certificate of hours, a page designed for printing (or saving as PDF from
    the browser's print dialogue)."""
    if (response := _login(request)) is not None:
        return response
    profile = access.profile_of(request)
    if profile is None or not 2000 <= year <= 2100:
        raise Http404("No certificate.")
    document = selectors.certificate(profile=profile, year=year)
    return render(
        request,
        "volunteering/applications/certificate.html",
        {
            "certificate": document,
            "organisation": request_organisation(request),
            "issued_on": timezone.localdate(),
        },
    )


# --- Organisers ----------------------------------------------------------------------------


@require_GET
def organiser_mission(request: HttpRequest, mission_id: int) -> HttpResponse:
    """The organiser's page of a mission: per slot, the applications to answer, the waiting
    list, attendance and hours once the slot has started."""
    if (response := _login(request)) is not None:
        return response
    mission = access.access_mission_for_organiser(request, mission_id)
    rows = selectors.mission_applications(mission=mission)
    return render(
        request,
        "volunteering/applications/organiser_mission.html",
        {
            "mission": mission,
            "rows": rows,
            "now": timezone.now(),
        },
    )


def _back(application: Application, *, anchor: bool = True) -> str:
    """The organiser's page of the mission, at the application's slot; at its top when
    ``anchor`` is false, where a refusal's message shows (a jump to the slot would leave
    it out of sight)."""
    page = reverse(
        "volunteering_applications:organiser_mission", args=[application.slot.mission_id]
    )
    return f"{page}#slot-{application.slot_id}" if anchor else page


@require_POST
def accept(request: HttpRequest, application_id: int) -> HttpResponse:
    if (response := _login(request)) is not None:
        return response
    application = access.access_application_for_organiser(request, application_id)
    try:
        services.application_accept(application=application, actor=_user(request))
    except ApplicationRefused as exc:
        messages.error(request, str(exc))
        return redirect(_back(application, anchor=False))
    else:
        messages.success(
            request,
            _("Application of %(name)s accepted; they are told.")
            % {"name": application.profile.full_name},
        )
    return redirect(_back(application))


@require_http_methods(["GET", "POST"])
def decline(request: HttpRequest, application_id: int) -> HttpResponse:
    if (response := _login(request)) is not None:
        return response
    application = access.access_application_for_organiser(request, application_id)
    form = ReasonForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.application_decline(
                application=application, actor=_user(request), reason=form.cleaned_data["reason"]
            )
        except ApplicationRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(name)s's application is declined; they are told the reason.")
                % {"name": application.profile.full_name},
            )
            return redirect(_back(application))
    return render(
        request,
        "volunteering/applications/decline.html",
        {"application": application, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def organiser_cancel(request: HttpRequest, application_id: int) -> HttpResponse:
    """The organiser cancels a participation, with a reason the volunteer is told."""
    if (response := _login(request)) is not None:
        return response
    application = access.access_application_for_organiser(request, application_id)
    return _cancel(
        request,
        application,
        form=ReasonForm(_posted(request)),
        by=Application.CancelledBy.ORGANISER,
        done=_("The participation is cancelled; the volunteer is told."),
        then=_back(application),
    )


@require_POST
def attendance(request: HttpRequest, application_id: int) -> HttpResponse:
    if (response := _login(request)) is not None:
        return response
    application = access.access_application_for_organiser(request, application_id)
    form = AttendanceForm(request.POST, slot=application.slot)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{application.profile.full_name}{_(':')} {error}")
        return redirect(_back(application, anchor=False))
    try:
        services.application_attendance_record(
            application=application,
            actor=_user(request),
            present=form.cleaned_data["present"],
            hours=form.cleaned_data["hours"],
        )
    except ApplicationRefused as exc:
        messages.error(request, str(exc))
        return redirect(_back(application, anchor=False))
    else:
        messages.success(
            request,
            _("Attendance of %(name)s is recorded.") % {"name": application.profile.full_name},
        )
    return redirect(_back(application))


@require_POST
def testimonial_publish(request: HttpRequest, testimonial_id: int) -> HttpResponse:
    if (response := _login(request)) is not None:
        return response
    item = access.access_testimonial_for_organiser(request, testimonial_id)
    published = request.POST.get("published") == "1"
    services.testimonial_publish(testimonial=item, actor=_user(request), published=published)
    if published:
        messages.success(request, _("The testimonial is published on the mission's page."))
    else:
        messages.success(request, _("The testimonial is no longer shown."))
    return redirect(_back(item.application))
