from __future__ import annotations

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from beffroi.core.sections import visible_sections
from beffroi.core.tiles import render_tile

# The home page's first call to action, by section key (core knows no domain): the alert
# registration, because being warned of a flood is what a resident most needs from the site.
# The first of these sections that is installed and visible leads the hero.
CALLS_TO_ACTION = ("alerts_subscribe",)


def home(request: HttpRequest) -> HttpResponse:
    sections = {section.key: section for section in visible_sections(request)}
    call = next((sections[key] for key in CALLS_TO_ACTION if key in sections), None)
    return render(request, "core/home.html", {"call_to_action": call})


def contact(request: HttpRequest) -> HttpResponse:
    # The contact details are the organisation's: none is resolved from this host name.
    if getattr(request, "organisation", None) is None:
        raise Http404("No organisation is configured on this installation.")
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
