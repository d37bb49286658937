"""Reads of resident registration, and the only way views and the API load a subscriber."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from beffroi.accounts.models import User
from beffroi.alerts.models import Place, Subscriber
from beffroi.territory.models import Organisation


def subscriber_of_user(*, organisation: Organisation, user: User) -> Subscriber | None:
    return Subscriber.objects.filter(organisation=organisation, user=user).first()


def subscribers_for_agents(*, organisation: Organisation, query: str = "") -> QuerySet[Subscriber]:
    """The organisation's subscribers, newest first, filtered by name, e-mail or number."""
    subscribers = Subscriber.objects.filter(organisation=organisation)
    query = query.strip()[:200]
    if query:
        digits = "".join(c for c in query if c.isdigit())
        condition = Q(full_name__icontains=query) | Q(email__icontains=query)
        if len(digits) >= 4:
            # "06 12 34 56 78" and "+33612345678" find the same person.
            tail = digits.lstrip("0")
            condition |= Q(sms_number__contains=tail) | Q(voice_number__contains=tail)
        subscribers = subscribers.filter(condition)
    return subscribers.order_by("-created_at", "-pk")


def subscriber_places(*, subscriber: Subscriber) -> QuerySet[Place]:
    return subscriber.places.select_related("address__street", "address__commune").order_by("pk")
