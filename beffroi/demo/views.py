"""The outbox of the demo gateways: what residents would have received."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.demo.models import OutboxMessage
from beffroi.demo.selectors import demo_gateways_in_use, outbox_messages, outbox_total
from beffroi.demo.services import ReplyRefused, outbox_reply_send


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


@require_POST
@roles_required()
def reply(request: HttpRequest, message_id: int) -> HttpResponse:
    """Answer an SMS as the resident who received it, from the outbox's phone: the reply
    reaches the site through the demo SMSC and the SMS receiver, as a real one would."""
    if not demo_gateways_in_use():
        raise Http404("The demo gateways are not in use.")
    organisation = request_organisation(request)
    message = OutboxMessage.objects.filter(
        organisation=organisation, pk=message_id, channel=OutboxMessage.Channel.SMS
    ).first()
    if message is None:
        raise Http404("No such SMS.")
    try:
        outbox_reply_send(message=message, text=request.POST.get("text", ""))
    except ReplyRefused as exc:
        flash.error(request, str(exc))
    else:
        flash.success(
            request,
            _("Reply sent from %(number)s: the site handles it as a real SMS.")
            % {"number": message.to},
        )
    # The outbox's top: the message says what happened, and a reply, the newest message,
    # is the first in the list.
    return redirect("demo:outbox")
