"""Alerts API (mounted at /alerts/): public alerts and their CAP documents without a token;
delivery statistics and CAP import with an agent token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from beffroi.accounts.access import has_role, request_organisation
from beffroi.accounts.models import User
from beffroi.alerts.access import (
    CAP_IMPORT_ROLES,
    COMPOSER_ROLES,
    access_organisation_alert,
    access_public_alert,
)
from beffroi.alerts.models import Alert, Topic
from beffroi.alerts.public.cap import MAX_DOCUMENT_BYTES
from beffroi.alerts.public.selectors import (
    area_names,
    current_threads,
    delivery_stats,
    public_messages,
)
from beffroi.alerts.public.services import (
    CAP_MEDIA_TYPE,
    alert_cap_url,
    alert_cap_xml,
    alert_public_url,
    cap_identifier,
    cap_import,
)
from beffroi.api.auth import agent_token
from beffroi.core.imports import ImportRefused
from beffroi.territory.selectors import organisation_url

router = Router(tags=["alerts"])

# Enumerated for the OpenAPI schema (and so fuzzed values get 422, never a 500).
TopicCode = Literal[
    "flood", "storm", "heat", "cold", "drought", "pollution", "water_cut", "power_cut", "roads",
    "health", "industrial", "public_events",
]  # fmt: skip
AlertId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The alert's number.")]
SeverityCode = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]


class ErrorOut(Schema):
    detail: str


class CapErrorOut(Schema):
    detail: str
    errors: list[str] | dict[str, list[str]] = Field(
        description="What is wrong, naming the CAP element at fault (or, for bad query "
        "parameters, the messages per field)."
    )


class AlertOut(Schema):
    id: int
    identifier: str = Field(description="The CAP <identifier>.")
    msg_type: Literal["Alert", "Update", "Cancel"]
    references: int | None = Field(description="The original alert of an update or cancel.")
    cap_status: Literal["Actual", "Exercise", "Test"]
    topic: str
    topic_label: str
    category: str
    urgency: str
    severity: str
    certainty: str
    headline: str
    description: str
    instruction: str
    sent_at: datetime
    onset: datetime | None
    expires: datetime | None
    in_force: bool
    whole_territory: bool
    areas: list[str]
    url: str
    cap_url: str


class AlertFilter(Schema):
    state: Literal["current", "past", "all"] = Field(
        "all", description="current: in force now; past: cancelled, ended or over."
    )
    topic: TopicCode | None = None
    severity: SeverityCode | None = None
    exercise: bool | None = Field(None, description="Only exercises (true) or none (false).")
    since: datetime | None = Field(None, description="Sent at or after this moment.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=100_000)


class ChannelStatsOut(Schema):
    pending: int
    sending: int
    sent: int
    delivered: int
    failed: int
    total: int


class DeliveryStatsOut(Schema):
    alert: int
    status: str
    channels: dict[str, ChannelStatsOut]
    total: int


class ImportOut(Schema):
    id: int
    status: str
    headline: str
    zones: list[int]
    whole_territory: bool
    warnings: list[str]


def _out(request: HttpRequest, alert: Alert, current_ids: set[int]) -> dict[str, Any]:
    base = organisation_url(request_organisation(request))
    return {
        "id": alert.pk,
        "identifier": cap_identifier(alert),
        "msg_type": alert.msg_type,
        "references": alert.references_id,
        "cap_status": alert.cap_status,
        "topic": alert.topic,
        "topic_label": str(Topic(alert.topic).label) if alert.topic in Topic.values else "",
        "category": alert.category,
        "urgency": alert.urgency,
        "severity": alert.severity,
        "certainty": alert.certainty,
        "headline": alert.headline,
        "description": alert.description,
        "instruction": alert.instruction,
        "sent_at": alert.sent_at,
        "onset": alert.onset,
        "expires": alert.expires,
        "in_force": alert.pk in current_ids,
        "whole_territory": alert.whole_territory,
        "areas": area_names(alert),
        "url": alert_public_url(alert, base),
        "cap_url": alert_cap_url(alert, base),
    }


def _current_ids(request: HttpRequest) -> set[int]:
    threads = current_threads(organisation=request_organisation(request))
    return {m.pk for t in threads for m in t.messages}


@router.post(
    "/cap-import",
    auth=agent_token,
    response={
        201: ImportOut,
        401: ErrorOut,
        403: ErrorOut,
        413: ErrorOut,
        422: CapErrorOut,
        429: ErrorOut,
    },
    summary="Create a draft alert from an authority's CAP 1.2 message (body: the XML)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                CAP_MEDIA_TYPE: {"schema": {"type": "string"}},
                "application/xml": {"schema": {"type": "string"}},
            },
        }
    },
)
def cap_import_endpoint(
    request: HttpRequest, allow_outside: bool = False
) -> Status[dict[str, Any]]:
    author = _agent(
        request, CAP_IMPORT_ROLES, _("Only alert authors and administrators may import alerts.")
    )
    # A body past the server's upload limit cannot even be read (RequestDataTooBig): the
    # client must learn that it was too large, not that the server failed.
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_DOCUMENT_BYTES:
        raise HttpError(413, _("The request is too large."))
    try:
        document = request.body
    except RequestDataTooBig:
        raise HttpError(413, _("The request is too large.")) from None
    if len(document) > MAX_DOCUMENT_BYTES:
        raise HttpError(413, _("The request is too large."))
    try:
        result = cap_import(
            organisation=request_organisation(request),
            document=document,
            author=author,
            allow_outside=allow_outside,
        )
    except ImportRefused as exc:
        return Status(
            422, {"detail": _("The CAP message was not imported."), "errors": exc.messages}
        )
    alert = result.alert
    assert alert is not None  # written: the import was not refused
    return Status(
        201,
        {
            "id": alert.pk,
            "status": alert.status,
            "headline": alert.headline,
            "zones": [z.pk for z in result.zones],
            "whole_territory": alert.whole_territory,
            "warnings": result.warnings,
        },
    )


@router.get(
    "/",
    response={200: list[AlertOut], 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Public alerts, newest first (each update and cancel is its own item)",
)
def alerts(request: HttpRequest, filters: Query[AlertFilter]) -> list[dict[str, Any]]:
    organisation = request_organisation(request)
    current = _current_ids(request)
    messages = public_messages(organisation=organisation).prefetch_related("zones")
    if filters.state == "current":
        messages = messages.filter(pk__in=current)
    elif filters.state == "past":
        messages = messages.exclude(pk__in=current)
    if filters.topic:
        messages = messages.filter(topic=filters.topic)
    if filters.severity:
        messages = messages.filter(severity=filters.severity)
    if filters.exercise is not None:
        exercise = Alert.CapStatus.EXERCISE
        messages = (
            messages.filter(cap_status=exercise)
            if filters.exercise
            else messages.exclude(cap_status=exercise)
        )
    if filters.since is not None:
        since = filters.since
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
        messages = messages.filter(sent_at__gte=since)
    page = messages.order_by("-sent_at", "-pk")[filters.offset : filters.offset + filters.limit]
    return [_out(request, alert, current) for alert in page]


@router.get(
    "/{alert_id}",
    response={200: AlertOut, 404: ErrorOut, 429: ErrorOut},
    summary="One public alert",
)
def alert(request: HttpRequest, alert_id: AlertId) -> dict[str, Any]:
    found = access_public_alert(request, alert_id)
    return _out(request, found, _current_ids(request))


@router.get(
    "/{alert_id}/cap",
    response={200: None, 404: ErrorOut, 429: ErrorOut},
    summary="The CAP 1.2 document of a public alert (application/cap+xml)",
    openapi_extra={
        "responses": {
            # An int key, like ninja's own: a "200" string would be a second, duplicate key
            # in the JSON schema, which Swagger UI refuses to parse (the docs page stays blank).
            200: {
                "description": "A CAP 1.2 document, valid against the OASIS schema.",
                "content": {CAP_MEDIA_TYPE: {"schema": {"type": "string"}}},
            }
        }
    },
)
def alert_cap(request: HttpRequest, alert_id: AlertId) -> HttpResponse:
    found = access_public_alert(request, alert_id)
    base = organisation_url(request_organisation(request))
    return HttpResponse(
        alert_cap_xml(found, base_url=base), content_type=f"{CAP_MEDIA_TYPE}; charset=utf-8"
    )


def _agent(request: HttpRequest, roles: frozenset[str], message: str) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    if not has_role(user, request_organisation(request), *roles):
        raise HttpError(403, message)
    return user


@router.get(
    "/{alert_id}/deliveries/stats",
    auth=agent_token,
    response={200: DeliveryStatsOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut},
    summary="Deliveries of an alert: counts per channel and status",
)
def deliveries_stats(request: HttpRequest, alert_id: AlertId) -> dict[str, Any]:
    _agent(
        request,
        COMPOSER_ROLES,
        _("Only alert authors, approvers and administrators may read delivery statistics."),
    )
    found = access_organisation_alert(request, alert_id)
    stats = delivery_stats(alert=found)
    channels = {
        channel: {**counts, "total": sum(counts.values())} for channel, counts in stats.items()
    }
    return {
        "alert": found.pk,
        "status": found.status,
        "channels": channels,
        "total": sum(c["total"] for c in channels.values()),
    }
