"""Missions, public pages (under /benevolat/missions/): the list with its search, filters and
clustered map (a GET form: works without JavaScript; the list is the keyboard's and the
screen reader's way to what the map shows), a mission's page, and the pages where an
association's managers create and run their missions (slots, recurring schedule, publish,
close, cancel). The agents run the same pages in the back office (``backoffice.py``): both
go through ``Side``, which says where the pages live and how a mission is loaded.

Views parse, load through ``missions.access``, call one service or selector and render.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beffroi.accounts.access import found, request_organisation
from beffroi.accounts.models import User
from beffroi.volunteering.access import is_mission_agent_verified
from beffroi.volunteering.applications.selectors import published_testimonials
from beffroi.volunteering.missions import access, selectors, services
from beffroi.volunteering.missions.forms import (
    WEEKDAYS,
    MissionForm,
    ReasonForm,
    ScheduleForm,
    SlotForm,
    SlotRemoveForm,
    UrgencyForm,
)
from beffroi.volunteering.missions.selectors import MissionFilters
from beffroi.volunteering.missions.services import MissionRefused
from beffroi.volunteering.models import Activity, Association, Mission, Skill, Urgency

PAGE_SIZE = 20
FILTER_NAMES = ("q", "activity", "skill", "urgency", "from", "to", "remote", "association")


@dataclass(frozen=True)
class Side:
    """Where the organiser's pages live: the public site (association managers) or the back
    office (agents)."""

    namespace: str
    load: Callable[[HttpRequest, int], Mission]
    backoffice: bool

    def url(self, name: str, *args: int) -> str:
        return reverse(f"{self.namespace}:{name}", args=args)


PUBLIC = Side("volunteering_missions", access.access_mission_for_manager, backoffice=False)


# The largest id a database column holds (64-bit): a bigger one in a filter is ignored, not
# sent to the database (an OverflowError there, a 500).
MAX_ID = 2**63 - 1


def _int(value: str | None) -> int | None:
    try:
        number = int((value or "")[:30])
    except ValueError:
        return None
    return number if -MAX_ID <= number <= MAX_ID else None


def parse_id(value: str | None) -> int | None:
    """An object id from a query string: a positive integer within 64 bits, else None."""
    number = _int(value)
    return number if number is not None and number > 0 else None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


def _filters(request: HttpRequest) -> MissionFilters:
    """The list's GET parameters; anything unreadable is ignored."""
    get = request.GET
    activity, skill, urgency = get.get("activity", ""), get.get("skill", ""), get.get("urgency", "")
    remote = get.get("remote", "")
    association = get.get("association", "")
    return MissionFilters(
        query=get.get("q", "").strip()[:200],
        activity=activity if activity in Activity.values else "",
        skill=skill if skill in Skill.values else "",
        urgency=urgency if urgency in Urgency.values else "",
        date_from=_date(get.get("from")),
        date_to=_date(get.get("to")),
        remote=remote if remote in ("yes", "no") else "",
        association_id=parse_id(association),
        commune_only=association == "commune",
    )


def _query(request: HttpRequest) -> str:
    params = request.GET.copy()
    for name in list(params):
        if name not in FILTER_NAMES:
            params.pop(name)
    return params.urlencode()


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@require_GET
def mission_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    filters = _filters(request)
    rows = selectors.missions_filtered(organisation=organisation, filters=filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = _query(request)
    map_url = reverse("volunteering_missions:map")
    association = None
    if filters.association_id is not None:
        association = Association.objects.filter(
            organisation=organisation, pk=filters.association_id
        ).first()
    context: dict[str, Any] = {
        "filters": filters,
        "page": page,
        "missions": list(page.object_list),
        "total": page.paginator.count,
        "query": query,
        "activities": Activity.choices,
        "skills": Skill.choices,
        "urgencies": Urgency.choices,
        "associations": selectors.filter_associations(organisation=organisation),
        "filtered_association": association,
        "map_url": f"{map_url}?{query}" if query else map_url,
        "organiser_of": access.managed_associations(request.user, organisation),
    }
    return render(request, "volunteering/missions/list.html", context)


@require_GET
def mission_map(request: HttpRequest) -> HttpResponse:
    """The map's points at the zoom asked (``zoom``), clustered; the list's filters apply."""
    organisation = request_organisation(request)
    zoom = _int(request.GET.get("zoom"))
    document = selectors.missions_map(
        organisation=organisation,
        filters=_filters(request),
        zoom=zoom if zoom is not None else organisation.default_zoom,
    )
    return HttpResponse(
        json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(),
        content_type="application/geo+json",
    )


def _slot_rows(mission: Mission) -> list[dict[str, Any]]:
    now = timezone.now()
    return [
        {"slot": slot, "past": slot.ends_at <= now, "places_left": slot.places_left}
        for slot in selectors.slots_of(mission)
    ]


@require_GET
def mission_detail(request: HttpRequest, mission_id: int) -> HttpResponse:
    mission = access.access_mission(request, mission_id)
    rows = _slot_rows(mission)
    organiser = access.can_edit(request.user, mission)
    manage_url = ""
    if access.can_manage_here(request.user, mission):
        manage_url = PUBLIC.url("manage", mission.pk)
    elif access.is_mission_agent(request.user, mission.organisation):
        manage_url = reverse("volunteering_missions_backoffice:manage", args=[mission.pk])
    context = {
        "mission": mission,
        "labels": selectors.mission_labels(mission),
        "slots": [r for r in rows if not r["past"]],
        "past_count": sum(1 for r in rows if r["past"]),
        "can_apply": mission.is_open
        and any(not r["past"] and not r["slot"].cancelled for r in rows),
        "organiser": organiser,
        # The applications and recommended volunteers open only to the association's managers
        # and to agents whose second factor is proven: no link to a page that answers 404.
        "may_organise": access.can_manage_here(request.user, mission)
        or is_mission_agent_verified(request),
        "manage_url": manage_url,
        "had_applied": access.had_applied(request.user, mission),
        "testimonials": published_testimonials(mission=mission),
    }
    return render(request, "volunteering/missions/detail.html", context)


@require_GET
def my_missions(request: HttpRequest) -> HttpResponse:
    """The missions of the associations the person manages, whatever their status."""
    organisation = request_organisation(request)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    associations = access.managed_associations(request.user, organisation)
    missions = selectors.missions_of_associations(associations=associations)
    return render(
        request,
        "volunteering/missions/mine.html",
        {"associations": associations, "missions": missions},
    )


# --- Organiser pages, shared by the public site and the back office --------------------------


def edit_page(
    request: HttpRequest,
    side: Side,
    *,
    mission: Mission | None,
    association: Association | None,
) -> HttpResponse:
    """Create (``mission`` None) or edit a mission."""
    organisation = request_organisation(request)
    form = MissionForm(request.POST or None, mission=mission)
    if request.method == "POST" and form.is_valid():
        try:
            if mission is None:
                mission = services.mission_create(
                    organisation=organisation,
                    association=association,
                    actor=_user(request),
                    data=form.as_input(),
                )
                messages.success(
                    request,
                    _("The mission is saved as a draft: add its slots, then publish it."),
                )
            else:
                services.mission_update(
                    mission=mission,
                    actor=_user(request),
                    data=form.as_input(reserve_only=mission.reserve_only),
                )
                messages.success(request, _("The mission is saved."))
        except MissionRefused as exc:
            form.add_error(None, str(exc))
        else:
            assert mission is not None
            return redirect(side.url("manage", mission.pk))
    if mission is not None:
        cancel_url = side.url("manage", mission.pk)
    elif side.backoffice:
        cancel_url = side.url("list")
    else:
        cancel_url = PUBLIC.url("mine")
    return render(
        request,
        "volunteering/missions/edit.html",
        {
            "mission": mission,
            "association": association if mission is None else mission.association,
            "form": form,
            "side": side,
            "cancel_url": cancel_url,
        },
        status=400 if request.method == "POST" else 200,
    )


def _schedule_text(mission: Mission) -> str:
    schedule = mission.schedule
    if not schedule:
        return ""
    names = dict(WEEKDAYS)
    try:
        return _(
            "%(days)s, %(start)s to %(end)s, from %(from)s to %(until)s, %(needed)s volunteers "
            "per slot."
        ) % {
            "days": ", ".join(str(names[d]) for d in schedule["weekdays"]),
            "start": schedule["start"],
            "end": schedule["end"],
            "from": date_format(date.fromisoformat(schedule["from"])),
            "until": date_format(date.fromisoformat(schedule["until"])),
            "needed": schedule["needed"],
        }
    except (KeyError, TypeError, ValueError):
        return ""


def manage_page(
    request: HttpRequest,
    side: Side,
    mission: Mission,
    *,
    slot_form: SlotForm | None = None,
    schedule_form: ScheduleForm | None = None,
    cancel_form: ReasonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The organiser's page of a mission: status and transitions, slots with their places,
    a slot to add, the recurring schedule."""
    return render(
        request,
        "volunteering/missions/manage.html",
        {
            "mission": mission,
            "labels": selectors.mission_labels(mission),
            "slots": _slot_rows(mission),
            "slot_form": slot_form or SlotForm(),
            "schedule_form": schedule_form or ScheduleForm(mission=mission),
            "cancel_form": cancel_form or ReasonForm(),
            "urgency_form": UrgencyForm(initial={"urgency": mission.urgency}),
            "side": side,
            "schedule_text": _schedule_text(mission),
        },
        status=status,
    )


def slot_add(request: HttpRequest, side: Side, mission: Mission) -> HttpResponse:
    form = SlotForm(request.POST)
    if form.is_valid():
        try:
            services.slot_add(
                mission=mission,
                actor=_user(request),
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                needed=form.cleaned_data["needed"],
            )
        except MissionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The slot is added."))
            return redirect(side.url("manage", mission.pk))
    return manage_page(request, side, mission, slot_form=form, status=400)


def schedule_apply(request: HttpRequest, side: Side, mission: Mission) -> HttpResponse:
    form = ScheduleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            created = services.schedule_apply(
                mission=mission,
                actor=_user(request),
                weekdays=data["weekdays"],
                start=data["start"],
                end=data["end"],
                from_date=data["from_date"],
                until_date=data["until_date"],
                needed=data["needed"],
            )
        except MissionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("The schedule is applied: %(count)s slots created.") % {"count": created},
            )
            return redirect(side.url("manage", mission.pk))
    return manage_page(request, side, mission, schedule_form=form, status=400)


def slot_edit(request: HttpRequest, side: Side, mission: Mission, slot_id: int) -> HttpResponse:
    slot = access.access_slot(mission, slot_id)
    form = SlotForm(
        request.POST or None,
        initial=SlotForm.initial_of(slot.starts_at, slot.ends_at, slot.volunteers_needed),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.slot_update(
                slot=slot,
                actor=_user(request),
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                needed=form.cleaned_data["needed"],
            )
        except MissionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The slot is saved."))
            return redirect(side.url("manage", mission.pk))
    return render(
        request,
        "volunteering/missions/slot_edit.html",
        {
            "mission": mission,
            "slot": slot,
            "form": form,
            "remove_form": SlotRemoveForm(),
            "side": side,
        },
        status=400 if request.method == "POST" else 200,
    )


def slot_remove(request: HttpRequest, side: Side, mission: Mission, slot_id: int) -> HttpResponse:
    slot = access.access_slot(mission, slot_id)
    form = SlotRemoveForm(request.POST)
    form.is_valid()
    try:
        told = services.slot_remove(
            slot=slot, actor=_user(request), reason=form.cleaned_data.get("reason", "")
        )
    except MissionRefused as exc:
        messages.error(request, str(exc))
        return redirect(side.url("slot_edit", mission.pk, slot.pk))
    if told:
        messages.success(
            request,
            _("The slot is cancelled; %(count)s volunteers are told.") % {"count": told},
        )
    else:
        messages.success(request, _("The slot is removed."))
    return redirect(side.url("manage", mission.pk))


def transition(request: HttpRequest, side: Side, mission: Mission, action: str) -> HttpResponse:
    actor = _user(request)
    try:
        if action == "publish":
            services.mission_publish(mission=mission, actor=actor)
            messages.success(request, _("The mission is published."))
        elif action == "close":
            services.mission_close(mission=mission, actor=actor)
            messages.success(request, _("The mission is closed: it takes no more volunteers."))
        elif action == "urgency":
            form = UrgencyForm(request.POST)
            urgency = form.cleaned_data["urgency"] if form.is_valid() else ""
            services.mission_set_urgency(mission=mission, actor=actor, urgency=urgency)
            messages.success(request, _("The urgency is saved."))
        else:
            cancel_form = ReasonForm(request.POST)
            if not cancel_form.is_valid():
                return manage_page(request, side, mission, cancel_form=cancel_form, status=400)
            services.mission_cancel(
                mission=mission, actor=actor, reason=cancel_form.cleaned_data["reason"]
            )
            messages.success(
                request, _("The mission is cancelled; the volunteers who applied are told.")
            )
    except MissionRefused as exc:
        messages.error(request, str(exc))
    return redirect(side.url("manage", mission.pk))


# --- Public organiser views (association managers) ------------------------------------------


def _manager_mission(request: HttpRequest, mission_id: int) -> Mission:
    return PUBLIC.load(request, mission_id)


def _login(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


@require_http_methods(["GET", "POST"])
def mission_create(request: HttpRequest, association_id: int) -> HttpResponse:
    if (response := _login(request)) is not None:
        return response
    organisation = request_organisation(request)
    association = found(
        next(
            (
                a
                for a in access.managed_associations(request.user, organisation)
                if a.pk == association_id
            ),
            None,
        ),
        "association",
    )
    return edit_page(request, PUBLIC, mission=None, association=association)


@require_http_methods(["GET", "POST"])
def mission_edit(request: HttpRequest, mission_id: int) -> HttpResponse:
    if (response := _login(request)) is not None:
        return response
    mission = _manager_mission(request, mission_id)
    return edit_page(request, PUBLIC, mission=mission, association=mission.association)


@require_GET
def mission_manage(request: HttpRequest, mission_id: int) -> HttpResponse:
    if (response := _login(request)) is not None:
        return response
    return manage_page(request, PUBLIC, _manager_mission(request, mission_id))


def _post(handler: Callable[[HttpRequest, Side, Mission], HttpResponse]) -> Any:
    @require_POST
    def view(request: HttpRequest, mission_id: int) -> HttpResponse:
        if (response := _login(request)) is not None:
            return response
        return handler(request, PUBLIC, _manager_mission(request, mission_id))

    return view


manager_slot_add = _post(slot_add)
manager_schedule = _post(schedule_apply)
manager_publish = _post(lambda r, s, m: transition(r, s, m, "publish"))
manager_close = _post(lambda r, s, m: transition(r, s, m, "close"))
manager_cancel = _post(lambda r, s, m: transition(r, s, m, "cancel"))
manager_urgency = _post(lambda r, s, m: transition(r, s, m, "urgency"))


@require_http_methods(["GET", "POST"])
def manager_slot_edit(request: HttpRequest, mission_id: int, slot_id: int) -> HttpResponse:
    if (response := _login(request)) is not None:
        return response
    return slot_edit(request, PUBLIC, _manager_mission(request, mission_id), slot_id)


@require_POST
def manager_slot_remove(request: HttpRequest, mission_id: int, slot_id: int) -> HttpResponse:
    if (response := _login(request)) is not None:
        return response
    return slot_remove(request, PUBLIC, _manager_mission(request, mission_id), slot_id)
