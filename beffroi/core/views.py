from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from beffroi.accounts.access import request_organisation, roles_required, user_roles
from beffroi.accounts.models import Role
from beffroi.core.backoffice import visible_tools
from beffroi.core.models import AuditEvent
from beffroi.core.tiles import render_tile


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


def contact(request: HttpRequest) -> HttpResponse:
    request_organisation(request)
    return render(request, "core/contact.html")


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "core/accessibility.html")


@require_GET
@cache_control(public=True, max_age=86400)
def tile(request: HttpRequest, z: int, x: int, y: int) -> HttpResponse:
    if z > 22 or x >= 2**z or y >= 2**z:
        raise Http404
    return HttpResponse(render_tile(z, x, y), content_type="image/png")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@roles_required()
def backoffice(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    return render(
        request,
        "core/backoffice.html",
        {
            "tools": visible_tools(request),
            "role_labels": [
                Role(role).label for role in sorted(user_roles(request.user, organisation))
            ],
        },
    )


@roles_required([Role.ADMINISTRATOR])
def audit_log(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    events = AuditEvent.objects.filter(organisation=organisation).select_related("actor")
    action = request.GET.get("action", "").strip()
    if action:
        events = events.filter(action__startswith=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_log.html", {"page": page, "action": action})
