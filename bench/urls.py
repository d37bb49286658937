"""Beffroi's URLs plus ``/bench/bare/<id>/``: the floor a page is compared with in the same
run — one indexed query (a proposal by primary key, or nothing for id 0) rendered through one
small template, with every middleware of the real site."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from beffroi.urls import urlpatterns as beffroi_urlpatterns

_TEMPLATE = engines["django"].from_string(
    "<!doctype html><html lang=fr><title>{{ title }}</title><h1>{{ title }}</h1>"
    "<p>{{ supports }}</p></html>"
)


def bare(request: HttpRequest, proposal_id: int) -> HttpResponse:
    from beffroi.participation.models import Proposal

    row = Proposal.objects.filter(pk=proposal_id).values("title", "supports_count").first()
    context = {"title": row["title"], "supports": row["supports_count"]} if row else {"title": "-"}
    return HttpResponse(_TEMPLATE.render(context, request))


urlpatterns = [path("bench/bare/<int:proposal_id>/", bare), *beffroi_urlpatterns]
