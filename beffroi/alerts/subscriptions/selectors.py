"""Reads of resident registration, and the only way views and the API load a subscriber."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from beffroi.accounts.access import has_role, request_organisation
from beffroi.accounts.models import Role, User
from beffroi.alerts.models import Place, Subscriber
from beffroi.territory.models import Organisation

# Who handles residents' registrations: the front desk takes them on the phone, alert
# authors and administrators keep the list, CCAS agents register the people they follow.
SUBSCRIBER_ROLES: frozenset[str] = frozenset(
    {Role.FRONT_DESK, Role.ALERT_AUTHOR, Role.ADMINISTRATOR, Role.SOCIAL_AGENT}
)
# A bulk import touches hundreds of people at once: the people who own the list only.
IMPORT_ROLES: frozenset[str] = frozenset({Role.ALERT_AUTHOR, Role.ADMINISTRATOR})


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


def access_subscriber(request: HttpRequest, subscriber_id: int) -> Subscriber:
    """A subscriber of the request's organisation, for agents handling registrations; 404
    for anyone else and for other organisations' subscribers."""
    organisation = request_organisation(request)
    subscriber = Subscriber.objects.filter(pk=subscriber_id, organisation=organisation).first()
    if subscriber is None or not has_role(request.user, organisation, *SUBSCRIBER_ROLES):
        raise Http404("No such subscriber.")
    return subscriber


def access_subscriber_for_user(
    *, organisation: Organisation, user: User, subscriber_id: int
) -> Subscriber:
    """Same check for an API caller identified by a token."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id, organisation=organisation).first()
    if subscriber is None or not has_role(user, organisation, *SUBSCRIBER_ROLES):
        raise Http404("No such subscriber.")
    return subscriber


def access_place(*, subscriber: Subscriber, place_id: int) -> Place:
    place = Place.objects.filter(pk=place_id, subscriber=subscriber).first()
    if place is None:
        raise Http404("No such place.")
    return place
