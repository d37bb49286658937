"""Call-outs, the pages: starting one (mission pre-filled from ``?mission=`` or from an
alert in force, ``?alert=``), the list, the live coverage of one (htmx polling while
answers may still change it; a reload without JavaScript shows the same numbers), stopping
it; and the volunteer's answer page, reached by the link of the SMS or e-mail, where they
choose their slot and confirm (GET shows, only POST answers: a link preview must never
answer for the volunteer).

The organiser side (association managers, under /benevolat/appels/) and the back office
(crisis cell, under /backoffice/benevolat/appels/) share these views; ``backoffice.py``
guards the latter with the crisis roles.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beffroi.accounts.access import request_organisation
from beffroi.accounts.models import User
from beffroi.core.clients import client_address
from beffroi.core.ratelimit import rate_hit
from beffroi.territory.models import Organisation
from beffroi.volunteering.callouts import selectors, services
from beffroi.volunteering.callouts.access import (
    access_callout,
    access_contact_by_token,
    access_mission_to_call_out,
)
from beffroi.volunteering.callouts.forms import CallOutForm
from beffroi.volunteering.callouts.selectors import alert_in_force
from beffroi.volunteering.callouts.services import AlreadyTakingPart, CallOutRefused
from beffroi.volunteering.models import CallOut, CallOutContact, Mission, Slot


def _ns(backoffice: bool) -> str:
    return "volunteering_callouts_backoffice" if backoffice else "volunteering_callouts"


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


# --- Lists ------------------------------------------------------------------------------


def callout_list(request: HttpRequest, *, backoffice: bool) -> HttpResponse:
    organisation = request_organisation(request)
    if backoffice:
        rows = selectors.callouts_of_organisation(organisation=organisation)
    else:
        rows = selectors.callouts_of_manager(organisation=organisation, user=_user(request))
    return render(
        request,
        "volunteering/callouts/list.html",
        {
            "callouts": list(rows[:200]),
            "backoffice": backoffice,
            "ns": _ns(backoffice),
            "may_start": backoffice or bool(selectors.managed_association_ids(_user(request))),
        },
    )


# --- Start ------------------------------------------------------------------------------


def _initial(request: HttpRequest, organisation: Organisation) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    mission_id = _int(request.GET.get("mission"))
    if mission_id is not None:
        mission = access_mission_to_call_out(request, mission_id)
        initial["mission"] = mission.pk
        initial["message"] = _("Urgent: volunteers needed for “%(title)s”.") % {
            "title": mission.title
        }
    alert_id = _int(request.GET.get("alert"))
    if alert_id is not None:
        alert = alert_in_force(organisation, alert_id)
        if alert is None:
            raise Http404("alert not in force")
        initial["alert"] = alert_id
        initial.setdefault(
            "message",
            _("%(headline)s: the town hall needs volunteers.") % {"headline": alert.headline},
        )
        # No mission is chosen for the author: the alert says what happens, not which
        # mission answers it, and a wrong guess taken in a hurry calls the wrong people.
    if request.GET.get("reserve"):
        initial["reserve_first"] = True
    return initial


def callout_start(request: HttpRequest, *, backoffice: bool) -> HttpResponse:
    organisation = request_organisation(request)
    user = _user(request)
    association_ids = None if backoffice else selectors.managed_association_ids(user)
    if association_ids == []:
        raise Http404("no association managed")
    missions = selectors.missions_to_call_out(
        organisation=organisation, association_ids=association_ids
    )
    max_wave = (
        services.WAVE_SIZE_MAX
        if backoffice
        else services.limit_setting("ASSOCIATION_MAX_CONTACTS", services.ASSOCIATION_MAX_CONTACTS)
    )
    initial = _initial(request, organisation) if request.method == "GET" else {}
    if not backoffice:
        initial.pop("reserve_first", None)
    form = CallOutForm(
        request.POST or None,
        initial=initial,
        missions=missions,
        max_wave=max_wave,
        crisis=backoffice,
    )
    alert = None
    raw_alert = str(initial.get("alert") or request.POST.get("alert") or "").strip()
    alert_id = _int(raw_alert)
    if raw_alert and alert_id is None:
        raise Http404("no such alert")
    if alert_id is not None:
        # Missing, over, or another organisation's: refused on POST as on GET.
        alert = alert_in_force(organisation, alert_id)
        if alert is None:
            raise Http404("alert not in force")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            mission: Mission = data["mission"]
            try:
                callout = services.callout_start(
                    mission=mission,
                    actor=user,
                    message=data["message"],
                    channels=data["channels"],
                    wave_size=data["wave_size"],
                    wave_minutes=data["wave_minutes"],
                    reserve_first=bool(data.get("reserve_first", False)),
                    alert_id=alert.pk if alert is not None else None,
                )
            except CallOutRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("The call-out has started: the first wave is being sent.")
                )
                return redirect(f"{_ns(backoffice)}:detail", callout.pk)
    return render(
        request,
        "volunteering/callouts/start.html",
        {
            "form": form,
            "alert": alert,
            "backoffice": backoffice,
            "ns": _ns(backoffice),
            "no_mission": not missions.exists(),
            "horizon_days": selectors.association_horizon_days(),
        },
        status=status,
    )


# --- One call-out -----------------------------------------------------------------------


def callout_detail(request: HttpRequest, callout_id: int, *, backoffice: bool) -> HttpResponse:
    callout = access_callout(request, callout_id, backoffice=backoffice)
    coverage = selectors.callout_coverage(callout=callout)
    context = {
        "callout": callout,
        "coverage": coverage,
        "contacts": list(selectors.callout_contacts(callout=callout)[:2000]),
        "backoffice": backoffice,
        "ns": _ns(backoffice),
        "running": callout.status == CallOut.Status.RUNNING,
        "live": selectors.callout_is_live(callout=callout, coverage=coverage),
    }
    if request.headers.get("HX-Request") == "true":
        # htmx polling: only the live region (it stops polling once answers can change
        # nothing more).
        return render(request, "volunteering/callouts/detail.html#live", context)
    return render(request, "volunteering/callouts/detail.html", context)


def callout_stop(request: HttpRequest, callout_id: int, *, backoffice: bool) -> HttpResponse:
    callout = access_callout(request, callout_id, backoffice=backoffice)
    try:
        services.callout_stop(callout=callout, actor=_user(request))
    except CallOutRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The call-out is stopped: no more waves will be sent."))
    return redirect(f"{_ns(backoffice)}:detail", callout.pk)


def callout_wave(request: HttpRequest, callout_id: int, *, backoffice: bool) -> HttpResponse:
    callout = access_callout(request, callout_id, backoffice=backoffice)
    try:
        services.callout_wave_now(callout=callout, actor=_user(request))
    except CallOutRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The next wave is being sent."))
    return redirect(f"{_ns(backoffice)}:detail", callout.pk)


# --- The organiser side (association managers) ----------------------------------------


@require_GET
@login_required
def organiser_list(request: HttpRequest) -> HttpResponse:
    return callout_list(request, backoffice=False)


@require_http_methods(["GET", "POST"])
@login_required
def organiser_start(request: HttpRequest) -> HttpResponse:
    return callout_start(request, backoffice=False)


@require_GET
@login_required
def organiser_detail(request: HttpRequest, callout_id: int) -> HttpResponse:
    return callout_detail(request, callout_id, backoffice=False)


@require_POST
@login_required
def organiser_stop(request: HttpRequest, callout_id: int) -> HttpResponse:
    return callout_stop(request, callout_id, backoffice=False)


# --- The volunteer's answer -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    contact = access_contact_by_token(request, token)
    callout = contact.callout
    mission = callout.mission
    error = ""
    status = 200
    if request.method == "POST":
        choice = request.POST.get("answer", "")
        slot_id = _int(request.POST.get("slot"))
        if choice not in ("yes", "no"):
            error = _("Choose “Yes, I come” or “No, not this time”.")
            status = 400
        elif not rate_hit(
            f"callout:answer-client:{client_address(request)}",
            limit=services.limit_setting(
                "ANSWERS_PER_CLIENT_PER_HOUR", services.ANSWERS_PER_CLIENT_PER_HOUR
            ),
            window_seconds=3600,
        ).allowed:
            error = _("Too many answers from this connection: try again in an hour.")
            status = 429
        else:
            try:
                contact = services.callout_answer(
                    contact=contact, yes=choice == "yes", slot_id=slot_id
                )
            except AlreadyTakingPart:
                # Said on the page, as for anyone who opens the link while taking part.
                return redirect("volunteering_callouts:answer", contact.token)
            except CallOutRefused as exc:
                error = str(exc)
                status = 400
            else:
                return redirect("volunteering_callouts:answer", contact.token)
    suggested = request.GET.get("r", "").lower()
    answered = contact.state in (
        CallOutContact.State.YES,
        CallOutContact.State.WAITLISTED,
        CallOutContact.State.NO,
    )
    slot = contact.application.slot if contact.application_id else None  # type: ignore[union-attr]
    slots = selectors.callout_slots(callout, timezone.now()) if not answered else []
    open_now = bool(slots) and mission.is_open
    held = selectors.live_place(contact.profile_id, slots) if open_now else None
    choices, best = _slot_choices(contact, slots) if open_now and held is None else ([], None)
    return render(
        request,
        "volunteering/callouts/answer.html",
        {
            "contact": contact,
            "callout": callout,
            "mission": mission,
            "sender": services.sender_label(callout),
            "slots": slots[:5],
            "choices": choices,
            "best": best,
            # Past its last slot (or closed), a call-out only shows what was answered.
            "over": not answered and not open_now,
            "already": services.already_text(held) if held is not None else "",
            "slot": slot,
            "answered": answered,
            # "Answer the SMS with OUI or NON" only to one who received the SMS.
            "sms_sent": "sms" in contact.channel.split(","),
            "error": error,
            "suggested": suggested if suggested in ("oui", "non") else "",
        },
        status=status,
    )


# The slots offered as a choice on the answer page: the first ones with room (and the best
# fit, wherever it falls), few enough to read on a phone.
CHOICES_SHOWN = 8


def _slot_choices(contact: CallOutContact, slots: list[Slot]) -> tuple[list[Slot], Slot | None]:
    """(slots with room to choose from, the one preselected)."""
    with_room = [s for s in slots if s.places_left > 0]
    best = services.best_slot(contact.profile, slots)
    shown = with_room[:CHOICES_SHOWN]
    if best is not None and best in with_room and best not in shown:
        shown.append(best)
    return shown, best
