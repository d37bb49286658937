"""Associations: reads for the directory, its map and the back office."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.db.models import Count, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from beffroi.accounts.models import User
from beffroi.territory.geojson import geometry_shape
from beffroi.territory.models import Organisation, Zone
from beffroi.territory.text import fold
from beffroi.volunteering.access import associations_public
from beffroi.volunteering.clusters import MapPoint, clustered_collection
from beffroi.volunteering.models import (
    Activity,
    Association,
    AssociationActivity,
    ManagerInvitation,
    Membership,
)

# Side of a cluster's cell on the screen, in pixels: points closer than this at the map's
# zoom are drawn as one numbered circle, so that a village's dozen associations on the
# square of the town hall do not hide each other.


@dataclass(frozen=True)
class DirectoryFilters:
    query: str = ""
    activity: str = ""
    zone_id: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.query or self.activity or self.zone_id)


def filter_zones(*, organisation: Organisation) -> list[Zone]:
    """The hamlets and districts residents filter by."""
    return list(
        Zone.objects.filter(
            organisation=organisation, kind__in=[Zone.Kind.HAMLET, Zone.Kind.DISTRICT]
        )
        .only("pk", "name", "kind")
        .order_by("kind", "name")
    )


def _in_zone(rows: QuerySet[Association], zone: Zone) -> QuerySet[Association]:
    """The rows placed inside ``zone`` (its boundary included): the bounding box in SQL,
    one vectorised shapely test for the rest."""
    candidates = list(
        rows.filter(
            lon__gte=zone.min_lon,
            lon__lte=zone.max_lon,
            lat__gte=zone.min_lat,
            lat__lte=zone.max_lat,
        ).values_list("pk", "lon", "lat")
    )
    if not candidates:
        return rows.none()
    ids = np.array([c[0] for c in candidates])
    inside = shapely.intersects_xy(
        geometry_shape(zone.geometry),
        np.array([c[1] for c in candidates], dtype=float),
        np.array([c[2] for c in candidates], dtype=float),
    )
    return rows.filter(pk__in=[int(i) for i in ids[inside]])


def directory_filtered(
    *, organisation: Organisation, filters: DirectoryFilters
) -> QuerySet[Association]:
    """The public profiles matching the filters. The search is accent- and case-insensitive:
    every word typed must appear in the name, the short name, the purpose or the town."""
    rows = associations_public(organisation)
    for word in fold(filters.query).split()[:10]:
        rows = rows.filter(search_text__contains=word)
    if filters.activity:
        rows = rows.filter(activities__activity=filters.activity)
    if filters.zone_id is not None:
        zone = Zone.objects.filter(organisation=organisation, pk=filters.zone_id).first()
        rows = _in_zone(rows, zone) if zone is not None else rows.none()
    return rows


def directory_listed(*, organisation: Organisation, filters: DirectoryFilters) -> list[Association]:
    """The profiles in the order of a French index: "École" among the E's, whatever the
    database's collation."""
    rows = directory_filtered(organisation=organisation, filters=filters).prefetch_related(
        Prefetch("activities", queryset=AssociationActivity.objects.all())
    )
    return sorted(rows, key=lambda a: (fold(a.name), a.pk))


def activity_counts(*, organisation: Organisation) -> list[tuple[str, str, int]]:
    """Each activity of the taxonomy with the number of public profiles that have it."""
    counts = dict(
        AssociationActivity.objects.filter(association__in=associations_public(organisation))
        .values("activity")
        .annotate(n=Count("pk"))
        .values_list("activity", "n")
    )
    return [(value, str(label), counts.get(value, 0)) for value, label in Activity.choices]


def directory_map(
    *, organisation: Organisation, filters: DirectoryFilters, zoom: int
) -> dict[str, Any]:
    """The map's GeoJSON at ``zoom``: one Point per association standing alone, one per
    cluster of associations close on the screen (``beffroi.volunteering.clusters``)."""
    rows = (
        directory_filtered(organisation=organisation, filters=filters)
        .filter(lat__isnull=False, lon__isnull=False)
        .order_by("name", "pk")
        .values_list("pk", "name", "lon", "lat", "city")
    )
    return clustered_collection(
        (
            MapPoint(
                pk=pk,
                lon=lon or 0.0,
                lat=lat or 0.0,
                properties={
                    "name": name,
                    "city": city,
                    "url": reverse("volunteering_associations:detail", args=[pk]),
                },
            )
            for pk, name, lon, lat, city in rows
        ),
        zoom,
    )


def managers_of(association: Association) -> list[Membership]:
    return list(
        association.memberships.select_related("user").order_by("state", "role", "created_at")
    )


def invitations_pending(association: Association) -> list[ManagerInvitation]:
    """The invitations sent and not yet accepted, declined, withdrawn or expired."""
    return list(
        association.manager_invitations.filter(expires_at__gt=timezone.now()).order_by(
            "created_at", "pk"
        )
    )


def memberships_of_user(*, user: User, organisation: Organisation) -> list[Membership]:
    """The profiles a person manages or asked to manage, with their state."""
    return list(
        Membership.objects.filter(user=user, association__organisation=organisation)
        .select_related("association")
        .order_by("association__name")
    )


def associations_for_agents(
    *, organisation: Organisation, status: str = "", query: str = ""
) -> QuerySet[Association]:
    rows = Association.objects.filter(organisation=organisation)
    if status:
        rows = rows.filter(status=status)
    for word in fold(query).split()[:10]:
        rows = rows.filter(search_text__contains=word)
    return rows.order_by("name", "pk")


def status_counts(*, organisation: Organisation) -> dict[str, int]:
    return dict(
        Association.objects.filter(organisation=organisation)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
