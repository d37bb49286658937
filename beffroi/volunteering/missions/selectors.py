"""Missions: reads for the public list, its map, a mission's page and the back office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Min, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from beffroi.territory.models import Organisation
from beffroi.territory.text import fold
from beffroi.volunteering.clusters import MapPoint, clustered_collection
from beffroi.volunteering.missions.access import missions_public
from beffroi.volunteering.models import (
    Activity,
    Association,
    Certification,
    Mission,
    Skill,
    Slot,
    Urgency,
)

# Points closer than this on the screen at the map's zoom are drawn as one numbered disc
# (as the associations' directory map).


@dataclass(frozen=True)
class MissionFilters:
    query: str = ""
    activity: str = ""
    skill: str = ""
    urgency: str = ""
    date_from: date | None = None
    date_to: date | None = None
    remote: str = ""  # "", "yes" (remote only), "no" (on site only)
    association_id: int | None = None
    commune_only: bool = False

    @property
    def active(self) -> bool:
        return bool(
            self.query
            or self.activity
            or self.skill
            or self.urgency
            or self.date_from
            or self.date_to
            or self.remote
            or self.association_id
            or self.commune_only
        )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _filtered(rows: QuerySet[Mission], filters: MissionFilters) -> QuerySet[Mission]:
    for word in fold(filters.query).split()[:10]:
        rows = rows.filter(search_text__contains=word)
    if filters.urgency:
        rows = rows.filter(urgency=filters.urgency)
    if filters.remote == "yes":
        rows = rows.filter(remote=True)
    elif filters.remote == "no":
        rows = rows.filter(remote=False)
    if filters.association_id is not None:
        rows = rows.filter(association_id=filters.association_id)
    elif filters.commune_only:
        rows = rows.filter(association__isnull=True)
    if filters.date_from or filters.date_to:
        slots = Slot.objects.filter(cancelled=False)
        if filters.date_from:
            slots = slots.filter(ends_at__gt=_day_start(filters.date_from))
        if filters.date_to:
            slots = slots.filter(starts_at__lt=_day_start(filters.date_to + timedelta(days=1)))
        rows = rows.filter(pk__in=slots.values("mission_id"))
    if filters.activity or filters.skill:
        # JSON lists, few missions per commune: read in Python, the same on every database.
        wanted = [
            pk
            for pk, activities, skills in rows.values_list("pk", "activities", "skills")
            if (not filters.activity or filters.activity in (activities or []))
            and (not filters.skill or filters.skill in (skills or []))
        ]
        rows = rows.filter(pk__in=wanted)
    return rows


def missions_filtered(*, organisation: Organisation, filters: MissionFilters) -> QuerySet[Mission]:
    """The public missions matching the filters, urgent first, then by their next slot (the
    open ones before the closed ones and those without a future slot)."""
    now = timezone.now()
    return (
        _filtered(missions_public(organisation), filters)
        .select_related("association")
        .annotate(
            next_slot=Min(
                "slots__starts_at",
                filter=Q(slots__cancelled=False, slots__starts_at__gt=now),
            ),
            urgent_first=Case(
                When(urgency=Urgency.URGENT, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            closed_last=Case(
                When(status=Mission.Status.CLOSED, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .order_by("closed_last", "urgent_first", F("next_slot").asc(nulls_last=True), "pk")
    )


def filter_associations(*, organisation: Organisation) -> list[Association]:
    """The associations with a public mission: the list's association filter."""
    return list(
        Association.objects.filter(
            pk__in=missions_public(organisation)
            .filter(association__isnull=False)
            .values("association_id")
        ).order_by("name")
    )


def missions_map(
    *, organisation: Organisation, filters: MissionFilters, zoom: int
) -> dict[str, Any]:
    """The map's GeoJSON at ``zoom``: a Point per mission standing alone, one per cluster of
    missions close on the screen (``beffroi.volunteering.clusters``). Remote missions,
    missions without a point and closed ones are not on it."""
    rows = (
        _filtered(missions_public(organisation), filters)
        .filter(
            lat__isnull=False,
            lon__isnull=False,
            remote=False,
            # Closed missions keep their page (old links) but leave the map.
            status__in=(Mission.Status.PUBLISHED, Mission.Status.FULL),
        )
        .order_by("title", "pk")
        .values_list("pk", "title", "lon", "lat", "street_address", "urgency")
    )
    urgent_label = str(Urgency.URGENT.label)
    return clustered_collection(
        (
            MapPoint(
                pk=pk,
                lon=lon or 0.0,
                lat=lat or 0.0,
                properties={
                    "name": title,
                    # The directory map's script shows it under the title.
                    "city": " — ".join(
                        part
                        for part in (urgent_label if urgency == Urgency.URGENT else "", address)
                        if part
                    ),
                    "url": reverse("volunteering_missions:detail", args=[pk]),
                },
            )
            for pk, title, lon, lat, address, urgency in rows
        ),
        zoom,
    )


def slots_of(mission: Mission, *, include_past: bool = True) -> list[Slot]:
    rows = Slot.objects.filter(mission=mission)
    if not include_past:
        rows = rows.filter(ends_at__gt=timezone.now())
    return list(rows.order_by("starts_at", "pk"))


def labels(values: list[str], choices: list[tuple[str, Any]]) -> list[str]:
    known = dict(choices)
    return [str(known.get(v, v)) for v in values]


def mission_labels(mission: Mission) -> dict[str, list[str]]:
    return {
        "activities": labels(mission.activities, Activity.choices),
        "skills": labels(mission.skills, Skill.choices),
        "certifications": labels(mission.certifications, Certification.choices),
    }


def missions_of_associations(*, associations: list[Association]) -> QuerySet[Mission]:
    """Every mission of these associations, whatever its status (the organisers' list)."""
    return (
        Mission.objects.filter(association__in=associations)
        .select_related("association")
        .order_by("association__name", "-created_at", "-pk")
    )


def missions_for_agents(
    *,
    organisation: Organisation,
    status: str = "",
    association: str = "",
    query: str = "",
) -> QuerySet[Mission]:
    """The back office's list: ``association`` is an id, "commune" (the commune's own), or
    empty (all)."""
    rows = Mission.objects.filter(organisation=organisation).select_related("association")
    if status:
        rows = rows.filter(status=status)
    if association == "commune":
        rows = rows.filter(association__isnull=True)
    elif association.isdigit() and 0 < int(association[:30]) < 2**63:
        rows = rows.filter(association_id=int(association))
    for word in fold(query).split()[:10]:
        rows = rows.filter(search_text__contains=word)
    return rows.annotate(
        next_slot=Min(
            "slots__starts_at",
            filter=Q(slots__cancelled=False, slots__starts_at__gt=timezone.now()),
        )
    ).order_by("-created_at", "-pk")


def status_counts(*, organisation: Organisation) -> dict[str, int]:
    return dict(
        Mission.objects.filter(organisation=organisation)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )


def associations_with_missions(*, organisation: Organisation) -> list[Association]:
    return list(
        Association.objects.filter(organisation=organisation, missions__isnull=False)
        .distinct()
        .order_by("name")
    )
