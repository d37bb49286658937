"""Alert subscriptions API (mounted at /subscriptions/): self-service and agents.

``/me…``: the caller's own registration, for a resident logged in on the site (session
cookie, CSRF token on writes) or an agent's token. ``/subscribers…``: the organisation's
registrations, for an agent token of a role handling them (front desk, alert author, CCAS,
administrator). Validation errors are 422 with one message list per field.
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.params import functions as param_functions
from ninja.security import django_auth

from beffroi.accounts.access import has_role, request_organisation
from beffroi.accounts.models import User
from beffroi.alerts.access import SUBSCRIBER_ROLES, access_place, access_subscriber_for_user
from beffroi.alerts.models import Place, Subscriber
from beffroi.alerts.subscriptions import services as services
from beffroi.alerts.subscriptions.selectors import (
    subscriber_of_user,
    subscriber_places,
    subscribers_for_agents,
)
from beffroi.api.auth import agent_token
from beffroi.core.clients import client_address

router = Router(tags=["subscriptions"])

MAX_ID = 2**31 - 1
# No control characters: they have no place in a name or an address and PostgreSQL refuses
# NUL in text.
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
ChannelName = Literal["email", "sms", "voice"]
TopicName = Literal[
    "flood",
    "storm",
    "heat",
    "cold",
    "drought",
    "pollution",
    "water_cut",
    "power_cut",
    "roads",
    "health",
    "industrial",
    "public_events",
]
PlaceKind = Literal["home", "work", "relative", "other"]


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]]


class PlaceOut(Schema):
    id: int
    kind: PlaceKind
    label: str
    address_id: int
    lon: float
    lat: float
    on_map: bool = Field(description="A point placed on the map rather than a BAN address.")


class SubscriptionOut(Schema):
    id: int
    full_name: str
    email: str
    email_verified: bool
    sms_number: str = Field(description="E.164, e.g. +262692123456; empty when none.")
    sms_verified: bool
    voice_number: str
    voice_verified: bool
    channels: list[str]
    topics: list[str]
    language: str
    source: str
    active: bool
    consent_version: str
    places: list[PlaceOut]


class SubscriptionIn(Schema):
    channels: list[ChannelName] = Field(min_length=1, max_length=3)
    topics: list[TopicName] = Field(min_length=1, max_length=12)
    language: Literal["fr", "en"] = "fr"
    full_name: str | None = Field(None, max_length=200, pattern=_TEXT)
    email: str | None = Field(None, max_length=254, pattern=_TEXT)
    sms_number: str | None = Field(
        None, max_length=30, pattern=_TEXT, description="French, mainland or overseas."
    )
    voice_number: str | None = Field(None, max_length=30, pattern=_TEXT)


class PlaceIn(Schema):
    kind: PlaceKind = "home"
    address_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="An address from /territory/addresses/search."
    )
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)


class SubscriberFilter(Schema):
    q: str = Field("", max_length=200, pattern=_TEXT, description="Name, e-mail or number.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


def _place_out(place: Place) -> dict[str, Any]:
    address = place.address
    return {
        "id": place.pk,
        "kind": place.kind,
        "label": address.label,
        "address_id": address.pk,
        "lon": address.lon,
        "lat": address.lat,
        "on_map": address.street_id is None,
    }


def _subscription_out(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "id": subscriber.pk,
        "full_name": subscriber.full_name,
        "email": subscriber.email,
        "email_verified": subscriber.email_verified_at is not None,
        "sms_number": str(subscriber.sms_number or ""),
        "sms_verified": subscriber.sms_verified_at is not None,
        "voice_number": str(subscriber.voice_number or ""),
        "voice_verified": subscriber.voice_verified_at is not None,
        "channels": list(subscriber.channels),
        "topics": list(subscriber.topics),
        "language": subscriber.language,
        "source": subscriber.source,
        "active": subscriber.unsubscribed_at is None,
        "consent_version": subscriber.consent_version,
        "places": [_place_out(p) for p in subscriber_places(subscriber=subscriber)],
    }


def _caller(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _mine(request: HttpRequest) -> Subscriber:
    subscriber = subscriber_of_user(
        organisation=request_organisation(request), user=_caller(request)
    )
    if subscriber is None or subscriber.unsubscribed_at is not None:
        raise HttpError(404, _("You are not registered for alerts: register on the site first."))
    return subscriber


def _agents_subscriber(request: HttpRequest, subscriber_id: int) -> Subscriber:
    user = _caller(request)
    organisation = request_organisation(request)
    if not has_role(user, organisation, *SUBSCRIBER_ROLES):
        raise HttpError(403, _("Your role does not handle residents' registrations."))
    return access_subscriber_for_user(
        organisation=organisation, user=user, subscriber_id=subscriber_id
    )


def _update(
    subscriber: Subscriber, payload: SubscriptionIn, actor: User | None, client: str = ""
) -> dict[str, Any]:
    updated = services.subscriber_update(
        subscriber=subscriber,
        full_name=payload.full_name,
        email=payload.email,
        sms_number=payload.sms_number,
        voice_number=payload.voice_number,
        channels=list(payload.channels),
        topics=list(payload.topics),
        language=payload.language,
        actor=actor,
        client=client,
    )
    return _subscription_out(updated)


def _add_place(subscriber: Subscriber, payload: PlaceIn) -> Status[dict[str, Any]]:
    if payload.address_id is None and (payload.lat is None or payload.lon is None):
        raise ValidationError(
            {"address_id": [_("Give an address_id, or both lat and lon of a point.")]}
        )
    place = services.place_add(
        subscriber=subscriber,
        place=services.PlaceInput(
            kind=payload.kind,
            address_id=payload.address_id,
            lon=payload.lon if payload.address_id is None else None,
            lat=payload.lat if payload.address_id is None else None,
        ),
    )
    place = Place.objects.select_related("address__street", "address__commune").get(pk=place.pk)
    return Status(201, _place_out(place))


def _remove_place(subscriber: Subscriber, place_id: int) -> Status[None]:
    services.place_remove(place=access_place(subscriber=subscriber, place_id=place_id))
    return Status(204, None)


SELF_AUTH = [agent_token, django_auth]
READ = {200: SubscriptionOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}
WRITE = {**READ, 422: ValidationErrorOut}


def _id() -> Any:
    """A path id within the database's integer range (a larger one is a 422, not a 500)."""
    return param_functions.Path(..., ge=1, le=MAX_ID)


# --- The caller's own registration ---------------------------------------------------------


@router.get("/me", auth=SELF_AUTH, response=READ, summary="My alert registration")
def me_get(request: HttpRequest) -> dict[str, Any]:
    return _subscription_out(_mine(request))


@router.put(
    "/me",
    auth=SELF_AUTH,
    response=WRITE,
    summary="Change my channels, topics, language and contact details",
    description="A changed e-mail or mobile number loses its verification; a new link or "
    "code is sent.",
)
def me_put(request: HttpRequest, payload: SubscriptionIn) -> dict[str, Any]:
    return _update(_mine(request), payload, actor=None, client=client_address(request))


@router.get(
    "/me/places",
    auth=SELF_AUTH,
    response={200: list[PlaceOut], 401: ErrorOut, 404: ErrorOut, 429: ErrorOut},
    summary="My places",
)
def me_places(request: HttpRequest) -> list[dict[str, Any]]:
    return [_place_out(p) for p in subscriber_places(subscriber=_mine(request))]


@router.post(
    "/me/places",
    auth=SELF_AUTH,
    response={
        201: PlaceOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
        429: ErrorOut,
    },
    summary="Add a place: a BAN address, or a point inside the territory",
)
def me_place_add(request: HttpRequest, payload: PlaceIn) -> Status[dict[str, Any]]:
    return _add_place(_mine(request), payload)


@router.delete(
    "/me/places/{place_id}",
    auth=SELF_AUTH,
    response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut},
    summary="Remove one of my places",
)
def me_place_remove(request: HttpRequest, place_id: int = _id()) -> Status[None]:
    return _remove_place(_mine(request), place_id)


# --- Agents: the organisation's registrations ----------------------------------------------


@router.get(
    "/subscribers",
    auth=agent_token,
    response={200: list[SubscriptionOut], 401: ErrorOut, 403: ErrorOut, 429: ErrorOut},
    summary="The organisation's registered residents (agents)",
)
def subscribers_list(
    request: HttpRequest, filters: Query[SubscriberFilter]
) -> list[dict[str, Any]]:
    user = _caller(request)
    organisation = request_organisation(request)
    if not has_role(user, organisation, *SUBSCRIBER_ROLES):
        raise HttpError(403, _("Your role does not handle residents' registrations."))
    found = subscribers_for_agents(organisation=organisation, query=filters.q)
    return [_subscription_out(s) for s in found[filters.offset : filters.offset + filters.limit]]


@router.get(
    "/subscribers/{subscriber_id}",
    auth=agent_token,
    response=READ,
    summary="One registered resident (agents)",
)
def subscriber_get(request: HttpRequest, subscriber_id: int = _id()) -> dict[str, Any]:
    return _subscription_out(_agents_subscriber(request, subscriber_id))


@router.put(
    "/subscribers/{subscriber_id}",
    auth=agent_token,
    response=WRITE,
    summary="Change a resident's channels, topics, language and contact details (agents)",
)
def subscriber_put(
    request: HttpRequest, payload: SubscriptionIn, subscriber_id: int = _id()
) -> dict[str, Any]:
    subscriber = _agents_subscriber(request, subscriber_id)
    if subscriber.unsubscribed_at is not None:
        raise Http404
    return _update(subscriber, payload, actor=_caller(request))


@router.get(
    "/subscribers/{subscriber_id}/places",
    auth=agent_token,
    response={200: list[PlaceOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut},
    summary="A resident's places (agents)",
)
def subscriber_places_list(
    request: HttpRequest, subscriber_id: int = _id()
) -> list[dict[str, Any]]:
    subscriber = _agents_subscriber(request, subscriber_id)
    return [_place_out(p) for p in subscriber_places(subscriber=subscriber)]


@router.post(
    "/subscribers/{subscriber_id}/places",
    auth=agent_token,
    response={
        201: PlaceOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
        429: ErrorOut,
    },
    summary="Add a place to a resident (agents)",
)
def subscriber_place_add(
    request: HttpRequest, payload: PlaceIn, subscriber_id: int = _id()
) -> Status[dict[str, Any]]:
    return _add_place(_agents_subscriber(request, subscriber_id), payload)


@router.delete(
    "/subscribers/{subscriber_id}/places/{place_id}",
    auth=agent_token,
    response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut},
    summary="Remove a resident's place (agents)",
)
def subscriber_place_remove(
    request: HttpRequest, subscriber_id: int = _id(), place_id: int = _id()
) -> Status[None]:
    return _remove_place(_agents_subscriber(request, subscriber_id), place_id)
