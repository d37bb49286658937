"""Reads of the processes area: the public list in sections, a process's timeline, its map
data, the back office's list. They return data and raise nothing HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from beffroi.participation.access import open_actions
from beffroi.participation.models import (
    Action,
    Blueprint,
    Follow,
    Participant,
    Phase,
    Process,
    Proposal,
)
from beffroi.territory.models import Organisation
from beffroi.territory.selectors import zone_feature

OPEN = "open"
UPCOMING = "upcoming"
PAST = "past"


def url_or_empty(*names: str, **kwargs: Any) -> str:
    """The address of a page another area serves (the first of ``names`` that exists), or ""
    while that area has no such page: the link is then left out instead of breaking this
    page."""
    for name in names:
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return ""


def process_state(process: Process, now: datetime | None = None) -> str:
    """Open (some phase is open), upcoming (the first phase is still to come) or past.
    ``phases`` should be prefetched."""
    now = now or timezone.now()
    if process.status == Process.Status.ARCHIVED:
        return PAST
    phases = list(process.phases.all())
    if any(phase.is_open(now) for phase in phases):
        return OPEN
    if not phases or any(
        phase.mode == Phase.Mode.DATES and phase.starts_at > now for phase in phases
    ):
        return UPCOMING
    return PAST


@dataclass
class ProcessSections:
    open: list[Process] = field(default_factory=list)
    upcoming: list[Process] = field(default_factory=list)
    past: list[Process] = field(default_factory=list)


def public_processes(*, organisation: Organisation, now: datetime | None = None) -> ProcessSections:
    """Published and archived processes, by state: open ones first by their closing date,
    upcoming ones by their opening date, past ones from the latest."""
    now = now or timezone.now()
    processes = (
        Process.objects.filter(
            organisation=organisation,
            status__in=[Process.Status.PUBLISHED, Process.Status.ARCHIVED],
        )
        .prefetch_related("phases")
        .order_by("-created_at")
    )
    sections = ProcessSections()
    for process in processes:
        state = process_state(process, now)
        getattr(sections, state).append(process)
    sections.open.sort(key=lambda p: min((ph.ends_at for ph in p.phases.all()), default=now))
    sections.upcoming.sort(key=lambda p: min((ph.starts_at for ph in p.phases.all()), default=now))
    sections.past.sort(
        key=lambda p: max((ph.ends_at for ph in p.phases.all()), default=p.created_at),
        reverse=True,
    )
    return sections


def current_phases(process: Process, now: datetime | None = None) -> list[Phase]:
    now = now or timezone.now()
    return [phase for phase in process.phases.all() if phase.is_open(now)]


@dataclass(frozen=True)
class TimelineStep:
    phase: Phase
    state: str
    # Said in words beside the step: the state is never shown by colour alone.
    state_label: str | Promise
    current: bool


def timeline(process: Process, now: datetime | None = None) -> list[TimelineStep]:
    now = now or timezone.now()
    steps = []
    for phase in process.phases.all():
        if phase.is_open(now):
            state, label = OPEN, _("Current phase")
            if phase.mode == Phase.Mode.OPEN:
                label = _("Current phase (opened by the commune)")
        elif phase.mode == Phase.Mode.CLOSED:
            state, label = PAST, _("Closed by the commune")
        elif phase.starts_at > now:
            state, label = UPCOMING, _("To come")
        else:
            state, label = PAST, _("Finished")
        steps.append(TimelineStep(phase, state, label, state == OPEN))
    return steps


def actions_now(process: Process, now: datetime | None = None) -> list[tuple[str, str]]:
    """What residents may do now (value, translated name), from the open phases."""
    allowed = open_actions(process, now)
    return [(value, str(label)) for value, label in Action.choices if value in allowed]


def process_links(process: Process) -> dict[str, str]:
    """The process's pages served by the other areas (empty while they do not exist)."""
    return {
        "proposals": url_or_empty("participation_proposals:list", slug=process.slug),
        "meetings": url_or_empty(
            "participation_meetings:list", "participation_meetings:process", slug=process.slug
        ),
        "consultations": url_or_empty("participation_consultations:process", slug=process.slug),
        # Only a participatory-budget process holds budgets (no query for the others).
        "budgets": url_or_empty("participation_budgets:process", slug=process.slug)
        if process.blueprint == Blueprint.BUDGET
        else "",
    }


def proposal_link_pattern() -> str:
    """The address of proposal 0 (map popups link there, 0 replaced by the id)."""
    return url_or_empty("participation_proposals:detail", proposal_id=0)


def map_proposals(process: Process) -> QuerySet[Proposal]:
    """The process's visible proposals that have a place (their own point, or their
    address's): hidden and withdrawn ones are not shown."""
    return (
        Proposal.objects.filter(
            process=process,
            hidden_at__isnull=True,
            state=Proposal.State.PUBLISHED,
        )
        .filter(Q(lat__isnull=False, lon__isnull=False) | Q(address__isnull=False))
        .order_by("-supports_count", "pk")
    )


def proposals_geojson(process: Process) -> dict[str, Any]:
    features = []
    for row in map_proposals(process).values(
        "pk", "title", "lat", "lon", "address__lat", "address__lon", "supports_count"
    ):
        if row["lat"] is not None and row["lon"] is not None:
            lon, lat = row["lon"], row["lat"]
        else:
            lon, lat = row["address__lon"], row["address__lat"]
        features.append(
            {
                "type": "Feature",
                "id": row["pk"],
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"name": row["title"], "supports": row["supports_count"]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def zones_geojson(process: Process) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [zone_feature(zone) for zone in process.zones.order_by("kind", "name")],
    }


def is_following(participant: Participant | None, process: Process) -> bool:
    if participant is None:
        return False
    return Follow.objects.filter(participant=participant, process=process).exists()


def processes_for_managers(*, organisation: Organisation) -> QuerySet[Process]:
    return (
        Process.objects.filter(organisation=organisation)
        .annotate(proposal_count=Count("proposals", distinct=True))
        .prefetch_related(Prefetch("phases", queryset=Phase.objects.order_by("position")))
        .order_by("-created_at")
    )
