"""Territory API: zones as GeoJSON, address search, point → zones (mounted at /territory/).

Zones and addresses are public data: reads need no token. Creating or deleting a zone needs
an agent token of an administrator or alert author of the host's organisation.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from beffroi.accounts.access import has_role, request_organisation
from beffroi.accounts.models import User
from beffroi.api.auth import agent_token
from beffroi.territory.access import EDIT_ROLES, access_zone
from beffroi.territory.selectors import (
    address_search,
    zone_feature,
    zones_at_point,
    zones_feature_collection,
    zones_with_counts,
)
from beffroi.territory.services import ZoneError, zone_create, zone_delete

router = Router(tags=["territory"])

ZoneKind = Literal["hamlet", "district", "flood", "risk", "custom"]
Position = Annotated[list[float], Field(min_length=2, max_length=3)]


class ErrorOut(Schema):
    detail: str


class ZoneErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]]


class PolygonGeometry(Schema):
    type: Literal["Polygon"]
    coordinates: list[list[Position]] = Field(
        description="Rings of [longitude, latitude] positions (WGS84); the first is the outline."
    )


class MultiPolygonGeometry(Schema):
    type: Literal["MultiPolygon"]
    coordinates: list[list[list[Position]]]


Geometry = Annotated[PolygonGeometry | MultiPolygonGeometry, Field(discriminator="type")]


class ZoneProperties(Schema):
    name: str
    kind: ZoneKind
    kind_label: str
    description: str
    area_m2: float
    address_count: int | None = Field(description="Addresses lying in the zone.")
    bbox: list[float] = Field(description="[min_lon, min_lat, max_lon, max_lat]")


class ZoneFeatureOut(Schema):
    type: Literal["Feature"]
    id: int
    geometry: Geometry
    properties: ZoneProperties


class ZoneCollectionOut(Schema):
    type: Literal["FeatureCollection"]
    features: list[ZoneFeatureOut]


class ZoneFilter(Schema):
    kind: ZoneKind | None = None


class NewZoneProperties(Schema):
    name: str = Field(min_length=1, max_length=200)
    kind: ZoneKind = "custom"
    description: str = Field("", max_length=5000)


class ZoneIn(Schema):
    type: Literal["Feature"]
    geometry: Geometry
    properties: NewZoneProperties


class SearchQuery(Schema):
    q: str = Field(min_length=1, max_length=200, description="Free text: “12 r de la mairie”.")
    limit: int = Field(10, ge=1, le=50)


class AddressMatchOut(Schema):
    address_id: int
    label: str
    lon: float
    lat: float
    score: float = Field(description="0 to 100; 100 is an exact match.")


class PointQuery(Schema):
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


class ZoneRef(Schema):
    id: int
    name: str
    kind: ZoneKind
    kind_label: str


@router.get(
    "/zones",
    response={200: ZoneCollectionOut, 404: ErrorOut},
    summary="The organisation's zones as a GeoJSON FeatureCollection",
)
def zones(request: HttpRequest, filters: Query[ZoneFilter]) -> dict[str, Any]:
    organisation = request_organisation(request)
    return zones_feature_collection(zones_with_counts(organisation=organisation, kind=filters.kind))


@router.get(
    "/zones/{zone_id}",
    response={200: ZoneFeatureOut, 404: ErrorOut},
    summary="One zone as a GeoJSON Feature",
)
def zone(request: HttpRequest, zone_id: int) -> dict[str, Any]:
    return zone_feature(access_zone(request, zone_id))


def _editor(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    if not has_role(user, request_organisation(request), *EDIT_ROLES):
        raise HttpError(403, _("Only administrators and alert authors may change zones."))
    return user


@router.post(
    "/zones",
    auth=agent_token,
    response={201: ZoneFeatureOut, 401: ErrorOut, 403: ErrorOut, 422: ZoneErrorOut},
    summary="Create a zone from a GeoJSON Feature",
)
def zone_create_endpoint(request: HttpRequest, payload: ZoneIn) -> tuple[int, dict[str, Any]]:
    actor = _editor(request)
    try:
        zone = zone_create(
            organisation=request_organisation(request),
            name=payload.properties.name,
            kind=payload.properties.kind,
            description=payload.properties.description,
            geometry=payload.geometry.model_dump(),
            actor=actor,
        )
    except ZoneError as exc:
        return 422, {"detail": _("The zone is invalid."), "errors": exc.errors}
    return 201, zone_feature(zone, address_count=zone.memberships.count())


@router.delete(
    "/zones/{zone_id}",
    auth=agent_token,
    response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Delete a zone",
)
def zone_delete_endpoint(request: HttpRequest, zone_id: int) -> tuple[int, None]:
    actor = _editor(request)
    zone = access_zone(request, zone_id)
    zone_delete(zone=zone, actor=actor)
    return 204, None


@router.get(
    "/addresses/search",
    response={200: list[AddressMatchOut], 404: ErrorOut},
    summary="Addresses matching free text, best first (typos and abbreviations tolerated)",
)
def addresses_search(request: HttpRequest, params: Query[SearchQuery]) -> list[Any]:
    return address_search(
        organisation=request_organisation(request), query=params.q, limit=params.limit
    )


@router.get(
    "/point-zones",
    response={200: list[ZoneRef], 404: ErrorOut},
    summary="The zones containing a point (longitude/latitude in WGS84)",
)
def point_zones(request: HttpRequest, params: Query[PointQuery]) -> list[dict[str, Any]]:
    found = zones_at_point(
        organisation=request_organisation(request), lon=params.lon, lat=params.lat
    )
    return [
        {"id": z.pk, "name": z.name, "kind": z.kind, "kind_label": str(z.get_kind_display())}
        for z in found
    ]
