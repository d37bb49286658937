"""The outbox of the demo gateways: what residents would have received."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.demo.selectors import demo_gateways_in_use, outbox_messages, outbox_total


@roles_required()
def outbox(request: HttpRequest) -> HttpResponse:
    if not demo_gateways_in_use():
        # A real installation has no outbox: its messages went to residents' phones.
        raise Http404("The demo gateways are not in use.")
    organisation = request_organisation(request)
    query = request.GET.get("q", "")[:200].strip()
    messages = outbox_messages(organisation=organisation, query=query)
    page = Paginator(messages, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "demo/outbox.html",
        {"page": page, "query": query, "total": outbox_total(organisation=organisation)},
    )
