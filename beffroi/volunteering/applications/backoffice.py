"""Applications: the agents' list of missions to follow (under
/backoffice/benevolat/candidatures/): applications to answer, waiting lists, attendance to
record, for every mission of the commune and of its associations. Each row leads to the
mission's organiser page (public, guarded by ``applications.access``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from beffroi.accounts.access import roles_required
from beffroi.volunteering.access import MISSION_ROLES
from beffroi.volunteering.applications import access, selectors


@require_GET
@roles_required(MISSION_ROLES)
def mission_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.missions_followed(missions=access.missions_of_organisation(request))
    return render(
        request,
        "volunteering/applications/backoffice/list.html",
        {
            "rows": rows,
            "to_answer": [r for r in rows if r.pending or r.attendance_due],
        },
    )
