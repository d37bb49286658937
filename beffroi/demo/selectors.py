"""Reads of the demo app: the outbox of the demo gateways."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet

from beffroi.core.phone import phone_search_key
from beffroi.demo.models import OutboxMessage
from beffroi.territory.models import Organisation


def demo_gateways_in_use() -> bool:
    """True when ``beffroi serve`` routes the installation's messages to the demo gateways."""
    return bool(settings.DEMO_GATEWAYS)


def outbox_messages(*, organisation: Organisation, query: str = "") -> QuerySet[OutboxMessage]:
    """The organisation's received messages, newest first; ``query`` searches recipients
    (and the senders of residents' replies),
    subjects and texts. A number is found however it is typed ("06 41", "0641", "+33 6 41"):
    SMS recipients are stored in international form."""
    messages = OutboxMessage.objects.filter(organisation=organisation)
    query = query.strip()
    if query:
        condition = Q(to__icontains=query) | Q(subject__icontains=query) | Q(body__icontains=query)
        key = phone_search_key(query)
        if key is not None:
            # A resident's replies too: their number is the sender.
            condition |= Q(to__contains=key) | Q(sender__contains=key, inbound=True)
        messages = messages.filter(condition)
    return messages.order_by("-received_at", "-pk")


def outbox_total(*, organisation: Organisation) -> int:
    """How many messages the organisation's outbox holds, whatever the search."""
    return OutboxMessage.objects.filter(organisation=organisation).count()
