"""Realisations: reads for the public list, map, timeline and exports. Nothing HTTP here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.urls import reverse

from beffroi.participation.models import (
    Budget,
    Milestone,
    Participant,
    Process,
    Realisation,
    RealisationFollow,
)
from beffroi.participation.realisations.access import realisations_public
from beffroi.territory.models import Organisation, Zone

# The timeline shows this many recent milestones; older ones are on each realisation's page.
TIMELINE_MAX = 30


@dataclass(frozen=True)
class RealisationFilters:
    year: int | None = None
    zone_id: int | None = None
    status: str = ""

    @property
    def active(self) -> bool:
        return self.year is not None or self.zone_id is not None or bool(self.status)


def realisations_filtered(
    *, organisation: Organisation, filters: RealisationFilters
) -> QuerySet[Realisation]:
    rows = realisations_public(organisation)
    if filters.year is not None:
        rows = rows.filter(year=filters.year)
    if filters.zone_id is not None:
        rows = rows.filter(zones__pk=filters.zone_id)
    if filters.status:
        rows = rows.filter(status=filters.status)
    return rows.distinct()


def realisations_listed(
    *, organisation: Organisation, filters: RealisationFilters
) -> list[Realisation]:
    """The realisations of the list, with their zones and milestone count (one query each)."""
    return list(
        realisations_filtered(organisation=organisation, filters=filters)
        .select_related("budget")
        .prefetch_related(Prefetch("zones", queryset=Zone.objects.only("pk", "name", "kind")))
        .annotate(milestone_count=Count("milestones", distinct=True))
        .order_by("-year", "title", "pk")
    )


def timeline(*, organisation: Organisation, filters: RealisationFilters) -> list[Milestone]:
    """The latest milestones of the filtered realisations, newest first."""
    ids = realisations_filtered(organisation=organisation, filters=filters).values("pk")
    return list(
        Milestone.objects.filter(realisation_id__in=ids)
        .select_related("realisation")
        .order_by("-date", "-pk")[:TIMELINE_MAX]
    )


def realisation_years(*, organisation: Organisation) -> list[int]:
    return sorted(
        set(realisations_public(organisation).values_list("year", flat=True)), reverse=True
    )


def filter_zones(*, organisation: Organisation) -> list[Zone]:
    """The hamlets and districts residents filter by."""
    return list(
        Zone.objects.filter(
            organisation=organisation, kind__in=[Zone.Kind.HAMLET, Zone.Kind.DISTRICT]
        )
        .only("pk", "name", "kind")
        .order_by("kind", "name")
    )


def is_following(*, participant: Participant | None, realisation: Realisation) -> bool:
    if participant is None:
        return False
    return realisation.follows.filter(participant=participant).exists()


def milestones_of(realisation: Realisation) -> list[Milestone]:
    return list(realisation.milestones.prefetch_related("photos").order_by("date", "pk"))


def _properties(realisation: Realisation, *, full: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "id": realisation.pk,
        "name": realisation.title,
        "status": realisation.status,
        "status_label": str(Realisation.Status(realisation.status).label),
        "progress": realisation.progress,
        "year": realisation.year,
        "url": reverse("participation_realisations:detail", args=[realisation.pk]),
    }
    if full:
        properties.update(
            {
                "budget": realisation.budget.title,
                "service": realisation.service,
                "budget_planned": str(realisation.budget_planned),
                "budget_spent": str(realisation.budget_spent),
                "currency": realisation.budget.currency,
                "zones": [z.name for z in realisation.zones.all()],
                "delivered_at": (
                    realisation.delivered_at.isoformat() if realisation.delivered_at else None
                ),
                "abandon_reason": realisation.abandon_reason,
            }
        )
    return properties


def _geometry(realisation: Realisation) -> dict[str, Any] | None:
    if realisation.lat is None or realisation.lon is None:
        return None
    # GeoJSON: longitude first.
    return {"type": "Point", "coordinates": [realisation.lon, realisation.lat]}


def realisations_geojson(
    *, organisation: Organisation, filters: RealisationFilters, full: bool = False
) -> dict[str, Any]:
    """A FeatureCollection of the filtered realisations. The map's (``full`` False) holds
    only those with a place; the export (``full``) holds every one, a realisation without
    a place with a null geometry, as GeoJSON allows."""
    rows = realisations_filtered(organisation=organisation, filters=filters).select_related(
        "budget"
    )
    if full:
        rows = rows.prefetch_related("zones")
    else:
        rows = rows.filter(lat__isnull=False, lon__isnull=False)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": r.pk,
                "geometry": _geometry(r),
                "properties": _properties(r, full=full),
            }
            for r in rows.order_by("-year", "title", "pk")
        ],
    }


def export_rows(*, organisation: Organisation, filters: RealisationFilters) -> list[list[object]]:
    """One row per realisation for the CSV export (header first is the view's)."""
    rows = (
        realisations_filtered(organisation=organisation, filters=filters)
        .select_related("budget", "project")
        .prefetch_related("zones")
        .annotate(milestone_count=Count("milestones", distinct=True))
        .order_by("-year", "title", "pk")
    )
    return [
        [
            r.pk,
            r.title,
            r.budget.title,
            r.year,
            str(Realisation.Status(r.status).label),
            r.progress,
            r.service,
            r.budget_planned,
            r.budget_spent,
            r.budget.currency,
            ", ".join(z.name for z in r.zones.all()),
            "" if r.lat is None else f"{r.lat:.6f}",
            "" if r.lon is None else f"{r.lon:.6f}",
            r.delivered_at.isoformat() if r.delivered_at else "",
            r.abandon_reason,
            r.milestone_count,  # type: ignore[attr-defined]
        ]
        for r in rows
    ]


# --- For the API (beffroi/api/realisations.py) -----------------------------------------------


def realisation_budget_shown(*, organisation: Organisation, budget_id: int) -> bool:
    """Whether the list may be narrowed to this budget: one of the organisation's, of a
    process residents see (a draft's budget is refused like a missing one: its realisations
    are hidden)."""
    return (
        Budget.objects.filter(organisation=organisation, pk=budget_id)
        .exclude(process__status=Process.Status.DRAFT)
        .exists()
    )


def realisations_to_page(
    *, organisation: Organisation, filters: RealisationFilters, budget_id: int | None = None
) -> QuerySet[Realisation]:
    """The list's realisations (``realisations_filtered``, then of one budget if given) as a
    query to count and slice, in the list's order, with what a row shows (budget, process,
    zones, milestone count) loaded in a constant number of queries."""
    rows = realisations_filtered(organisation=organisation, filters=filters)
    if budget_id is not None:
        rows = rows.filter(budget_id=budget_id)
    return (
        rows.select_related("budget__process")
        .prefetch_related(Prefetch("zones", queryset=Zone.objects.only("pk", "name", "kind")))
        .annotate(milestone_count=Count("milestones", distinct=True))
        .order_by("-year", "title", "pk")
    )


def followed_ids(*, participant: Participant | None, realisation_ids: list[int]) -> set[int]:
    """Which of ``realisation_ids`` the person follows (one query for a page)."""
    if participant is None or not realisation_ids:
        return set()
    return set(
        RealisationFollow.objects.filter(
            participant=participant, realisation_id__in=realisation_ids
        ).values_list("realisation_id", flat=True)
    )


def follower_count(realisation: Realisation) -> int:
    return realisation.follows.count()
