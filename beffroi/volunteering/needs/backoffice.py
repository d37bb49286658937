"""Needs: the agents' pages (under /backoffice/benevolat/besoins/): every need of the
organisation, whoever asks (the commune or an association), with its offers counted, and
a need's page where agents act as its organisers (publish, close, accept or decline offers).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.volunteering.access import AGENT_ROLES
from beffroi.volunteering.models import Need
from beffroi.volunteering.needs import access, selectors
from beffroi.volunteering.needs.views import manage_context

LIMIT = 500


@require_GET
@roles_required(AGENT_ROLES)
def need_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    status = request.GET.get("status", "")
    status = status if status in Need.Status.values else ""
    kind = request.GET.get("kind", "")
    kind = kind if kind in Need.Kind.values else ""
    rows = selectors.needs_for_agents(organisation=organisation, status=status, kind=kind)
    counts = selectors.status_counts(organisation=organisation)
    needs = list(rows[:LIMIT])
    return render(
        request,
        "volunteering/needs/backoffice/list.html",
        {
            "needs": needs,
            "total": rows.count(),
            "limited": len(needs) == LIMIT,
            "status": status,
            "kind": kind,
            "kinds": Need.Kind.choices,
            "statuses": [
                (value, label, counts.get(value, 0)) for value, label in Need.Status.choices
            ],
        },
    )


@require_GET
@roles_required(AGENT_ROLES)
def need_detail(request: HttpRequest, need_id: int) -> HttpResponse:
    need = access.access_need_for_agent(request, need_id)
    return render(
        request, "volunteering/needs/manage.html", manage_context(request, need, backoffice=True)
    )
