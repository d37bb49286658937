"""Missions: the agents' pages (under /backoffice/benevolat/missions/).

- every mission of the organisation, with status, association and text filters;
- creating the commune's own missions (its services, the CCAS);
- editing any mission, its slots and recurring schedule, publishing, closing, cancelling:
  the same pages as the association managers' (``views.Side``), loaded for an agent.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.volunteering.missions import access, selectors, views
from beffroi.volunteering.missions.views import Side
from beffroi.volunteering.models import Mission

BACKOFFICE = Side("volunteering_missions_backoffice", access.access_mission_for_agent, True)
PAGE_SIZE = 50


@require_GET
@roles_required(access.MISSION_ROLES)
def mission_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    status = request.GET.get("status", "")
    status = status if status in Mission.Status.values else ""
    association = request.GET.get("association", "")
    if association != "commune":
        association = str(views.parse_id(association) or "")
    query = request.GET.get("q", "").strip()[:200]
    rows = selectors.missions_for_agents(
        organisation=organisation, status=status, association=association, query=query
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    counts = selectors.status_counts(organisation=organisation)
    return render(
        request,
        "volunteering/missions/backoffice/list.html",
        {
            "page": page,
            "missions": list(page.object_list),
            "total": page.paginator.count,
            "query_string": params.urlencode(),
            "status": status,
            "association": association,
            "query": query,
            "statuses": [(v, label, counts.get(v, 0)) for v, label in Mission.Status.choices],
            "associations": selectors.associations_with_missions(organisation=organisation),
        },
    )


@require_http_methods(["GET", "POST"])
@roles_required(access.MISSION_ROLES)
def mission_create(request: HttpRequest) -> HttpResponse:
    """A mission of the commune itself."""
    return views.edit_page(request, BACKOFFICE, mission=None, association=None)


@require_http_methods(["GET", "POST"])
@roles_required(access.MISSION_ROLES)
def mission_edit(request: HttpRequest, mission_id: int) -> HttpResponse:
    mission = BACKOFFICE.load(request, mission_id)
    return views.edit_page(request, BACKOFFICE, mission=mission, association=mission.association)


@require_GET
@roles_required(access.MISSION_ROLES)
def mission_manage(request: HttpRequest, mission_id: int) -> HttpResponse:
    return views.manage_page(request, BACKOFFICE, BACKOFFICE.load(request, mission_id))


def _post(
    handler: Callable[[HttpRequest, Side, Mission], HttpResponse],
) -> Callable[[HttpRequest, int], HttpResponse]:
    @require_POST
    @roles_required(access.MISSION_ROLES)
    def view(request: HttpRequest, mission_id: int) -> HttpResponse:
        return handler(request, BACKOFFICE, BACKOFFICE.load(request, mission_id))

    return view


slot_add = _post(views.slot_add)
schedule = _post(views.schedule_apply)
publish = _post(lambda r, s, m: views.transition(r, s, m, "publish"))
close = _post(lambda r, s, m: views.transition(r, s, m, "close"))
cancel = _post(lambda r, s, m: views.transition(r, s, m, "cancel"))
urgency = _post(lambda r, s, m: views.transition(r, s, m, "urgency"))


@require_http_methods(["GET", "POST"])
@roles_required(access.MISSION_ROLES)
def slot_edit(request: HttpRequest, mission_id: int, slot_id: int) -> HttpResponse:
    return views.slot_edit(request, BACKOFFICE, BACKOFFICE.load(request, mission_id), slot_id)


@require_POST
@roles_required(access.MISSION_ROLES)
def slot_remove(request: HttpRequest, mission_id: int, slot_id: int) -> HttpResponse:
    return views.slot_remove(request, BACKOFFICE, BACKOFFICE.load(request, mission_id), slot_id)
