"""Call-outs, the crisis cell's pages (under /backoffice/benevolat/appels/): the same views
as the organiser side, for any mission of the organisation, guarded by the crisis roles
(which prove a second factor)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beffroi.accounts.access import roles_required
from beffroi.volunteering.access import CRISIS_ROLES
from beffroi.volunteering.callouts import views


@require_GET
@roles_required(CRISIS_ROLES)
def callout_list(request: HttpRequest) -> HttpResponse:
    return views.callout_list(request, backoffice=True)


@require_http_methods(["GET", "POST"])
@roles_required(CRISIS_ROLES)
def callout_start(request: HttpRequest) -> HttpResponse:
    return views.callout_start(request, backoffice=True)


@require_GET
@roles_required(CRISIS_ROLES)
def callout_detail(request: HttpRequest, callout_id: int) -> HttpResponse:
    return views.callout_detail(request, callout_id, backoffice=True)


@require_POST
@roles_required(CRISIS_ROLES)
def callout_stop(request: HttpRequest, callout_id: int) -> HttpResponse:
    return views.callout_stop(request, callout_id, backoffice=True)


@require_POST
@roles_required(CRISIS_ROLES)
def callout_wave(request: HttpRequest, callout_id: int) -> HttpResponse:
    return views.callout_wave(request, callout_id, backoffice=True)
