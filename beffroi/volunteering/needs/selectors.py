"""Needs: reads for the public list, the organisers' pages, the offerer's list and the back
office."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse

from beffroi.accounts.models import User
from beffroi.territory.models import Organisation
from beffroi.volunteering.models import Association, Membership, Need, NeedOffer, Urgency

# The list shows this many needs at most; filters narrow it (a commune has a few dozen).
LIST_LIMIT = 300


@dataclass(frozen=True)
class NeedFilters:
    kind: str = ""
    urgency: str = ""
    association_id: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.kind or self.urgency or self.association_id)


def _urgent_first(rows: QuerySet[Need]) -> QuerySet[Need]:
    return rows.annotate(
        urgent_rank=Case(
            When(urgency=Urgency.URGENT, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("urgent_rank", "-published_at", "-pk")


def needs_published(*, organisation: Organisation, filters: NeedFilters) -> QuerySet[Need]:
    """The needs taking offers, urgent ones first, then the latest published."""
    rows = Need.objects.filter(organisation=organisation, status=Need.Status.PUBLISHED)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.urgency:
        rows = rows.filter(urgency=filters.urgency)
    if filters.association_id is not None:
        rows = rows.filter(association_id=filters.association_id)
    return _urgent_first(rows.select_related("association"))


def filter_associations(*, organisation: Organisation) -> list[Association]:
    """The associations with a published need (the list's filter)."""
    return list(
        Association.objects.filter(organisation=organisation, needs__status=Need.Status.PUBLISHED)
        .distinct()
        .order_by("name", "pk")
    )


def offers_of_need(need: Need) -> list[NeedOffer]:
    return list(
        NeedOffer.objects.filter(need=need)
        .select_related("user", "association")
        .order_by("created_at", "pk")
    )


def live_offer_of(*, need: Need, user: object) -> NeedOffer | None:
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    return (
        NeedOffer.objects.filter(
            need=need,
            user=user,
            state__in=[NeedOffer.State.PROPOSED, NeedOffer.State.ACCEPTED],
        )
        .select_related("association")
        .first()
    )


def offers_of_user(*, user: User, organisation: Organisation) -> list[NeedOffer]:
    return list(
        NeedOffer.objects.filter(user=user, need__organisation=organisation)
        .select_related("need", "need__association", "association")
        .order_by("-created_at", "-pk")
    )


def needs_organised_by(*, user: User, organisation: Organisation) -> list[Need]:
    """The needs of the associations ``user`` actively manages, with their offers counted."""
    rows = Need.objects.filter(
        organisation=organisation,
        association__status=Association.Status.VALIDATED,
        association__memberships__user=user,
        association__memberships__state=Membership.State.ACTIVE,
    ).distinct()
    return list(_with_counts(rows).select_related("association").order_by("status", "-pk"))


def _with_counts(rows: QuerySet[Need]) -> QuerySet[Need]:
    return rows.annotate(
        offers_waiting=Count("offers", filter=Q(offers__state=NeedOffer.State.PROPOSED)),
        offers_accepted=Count("offers", filter=Q(offers__state=NeedOffer.State.ACCEPTED)),
    )


def needs_for_agents(
    *, organisation: Organisation, status: str = "", kind: str = ""
) -> QuerySet[Need]:
    rows = Need.objects.filter(organisation=organisation)
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    return _urgent_first(_with_counts(rows).select_related("association"))


def status_counts(*, organisation: Organisation) -> dict[str, int]:
    return dict(
        Need.objects.filter(organisation=organisation)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )


def needs_map(*, organisation: Organisation, filters: NeedFilters) -> dict[str, Any]:
    """The published needs placed at an address, as GeoJSON (the list's filters apply). A
    commune has a few dozen needs at most: one point each, no clustering."""
    rows = [
        (pk, title, street_address, urgency, lon or 0.0, lat or 0.0)
        for pk, title, street_address, urgency, lon, lat in needs_published(
            organisation=organisation, filters=filters
        )
        .filter(lat__isnull=False, lon__isnull=False)
        .values_list("pk", "title", "street_address", "urgency", "lon", "lat")
    ]
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "id": pk,
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "name": title,
                "city": street_address,
                "urgent": urgency == Urgency.URGENT,
                "url": reverse("volunteering_needs:detail", args=[pk]),
            },
        }
        for pk, title, street_address, urgency, lon, lat in rows
    ]
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if rows:
        collection["bbox"] = [
            min(r[4] for r in rows),
            min(r[5] for r in rows),
            max(r[4] for r in rows),
            max(r[5] for r in rows),
        ]
    return collection
