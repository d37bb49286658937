"""Reads of the demo app: the outbox of the demo gateways."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet

from beffroi.demo.models import OutboxMessage
from beffroi.territory.models import Organisation


def demo_gateways_in_use() -> bool:
    """True when ``beffroi serve`` routes the installation's messages to the demo gateways."""
    return bool(settings.DEMO_GATEWAYS)


def outbox_messages(*, organisation: Organisation, query: str = "") -> QuerySet[OutboxMessage]:
    """The organisation's received messages, newest first; ``query`` searches recipients,
    subjects and texts."""
    messages = OutboxMessage.objects.filter(organisation=organisation)
    query = query.strip()
    if query:
        messages = messages.filter(
            Q(to__icontains=query) | Q(subject__icontains=query) | Q(body__icontains=query)
        )
    return messages.order_by("-received_at", "-pk")
