"""Applications: reads for the pages (they raise nothing HTTP)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from beffroi.volunteering.applications.hours import hours_help
from beffroi.volunteering.models import (
    Application,
    ApplicationMessage,
    Mission,
    Slot,
    Testimonial,
    VolunteerProfile,
)
from beffroi.volunteering.rules import prerequisites_missing

State = Application.State


@dataclass
class SlotChoice:
    slot: Slot
    places_left: int
    mine: Application | None
    missing: list[str]
    # The requester's place on another slot at the same time, if any: applying is refused.
    clash: Application | None = None

    @property
    def full(self) -> bool:
        return self.places_left == 0


def slots_to_apply(
    *, mission: Mission, profile: VolunteerProfile | None, now: datetime | None = None
) -> list[SlotChoice]:
    """The mission's future, non-cancelled slots, with the places left, the requester's own
    application on each and what they lack for it."""
    now = now or timezone.now()
    slots = list(Slot.objects.filter(mission=mission, cancelled=False, starts_at__gt=now))
    mine: dict[int, Application] = {}
    held: list[Application] = []
    if profile is not None:
        mine = {a.slot_id: a for a in Application.objects.filter(profile=profile, slot__in=slots)}
        held = list(
            Application.objects.filter(
                profile=profile,
                state__in=[State.PENDING, State.ACCEPTED],
                slot__cancelled=False,
                slot__ends_at__gt=now,
            ).select_related("slot__mission")
        )
    missing_by_day: dict[date, list[str]] = {}
    choices = []
    for slot in slots:
        missing: list[str] = []
        if profile is not None:
            day = timezone.localdate(slot.starts_at)
            if day not in missing_by_day:
                missing_by_day[day] = prerequisites_missing(
                    mission=mission, profile=profile, on=day
                )
            missing = missing_by_day[day]
        clash = next(
            (
                a
                for a in held
                if a.slot_id != slot.pk
                and a.slot.starts_at < slot.ends_at
                and a.slot.ends_at > slot.starts_at
            ),
            None,
        )
        choices.append(SlotChoice(slot, slot.places_left, mine.get(slot.pk), missing, clash))
    return choices


def applications_of_profile(*, profile: VolunteerProfile) -> list[Application]:
    return list(
        Application.objects.filter(profile=profile)
        .select_related("slot__mission__association", "slot__mission__organisation")
        .prefetch_related(
            "messages",
            Prefetch(
                "testimonials",
                queryset=Testimonial.objects.filter(from_organiser=False),
                to_attr="own_testimonials",
            ),
        )
        .order_by("-slot__starts_at", "pk")
    )


@dataclass
class ApplicationsByState:
    upcoming: list[Application] = field(default_factory=list)
    waiting: list[Application] = field(default_factory=list)
    past: list[Application] = field(default_factory=list)
    closed: list[Application] = field(default_factory=list)


def applications_grouped(
    *, profile: VolunteerProfile, now: datetime | None = None
) -> ApplicationsByState:
    """The volunteer's applications: coming (holding a place), on a waiting list, past
    (taken part or not), and closed (declined or cancelled)."""
    now = now or timezone.now()
    grouped = ApplicationsByState()
    for application in applications_of_profile(profile=profile):
        if application.state in (State.DECLINED, State.CANCELLED):
            grouped.closed.append(application)
        elif application.slot.starts_at <= now:
            if application.state != State.WAITLISTED:
                grouped.past.append(application)
        elif application.state == State.WAITLISTED:
            grouped.waiting.append(application)
        else:
            grouped.upcoming.append(application)
    grouped.upcoming.reverse()
    grouped.waiting.reverse()
    return grouped


@dataclass
class SlotApplications:
    slot: Slot
    started: bool
    holding: list[Application]
    waiting: list[Application]
    closed: list[Application]
    # Beside the hours field once the slot has started: its length and the most one may
    # credit.
    hours_help: str = ""


def mission_applications(
    *, mission: Mission, now: datetime | None = None
) -> list[SlotApplications]:
    """Per slot of the mission (newest last): who holds a place, who waits (in order), who
    was declined or cancelled."""
    now = now or timezone.now()
    applications = (
        Application.objects.filter(slot__mission=mission)
        .select_related("profile", "slot")
        .prefetch_related(
            "messages",
            Prefetch(
                "testimonials",
                queryset=Testimonial.objects.filter(from_organiser=False),
                to_attr="own_testimonials",
            ),
        )
        .order_by("created_at", "pk")
    )
    by_slot: dict[int, list[Application]] = {}
    for application in applications:
        by_slot.setdefault(application.slot_id, []).append(application)
    rows = []
    for slot in Slot.objects.filter(mission=mission).order_by("starts_at", "pk"):
        items = by_slot.get(slot.pk, [])
        rows.append(
            SlotApplications(
                slot=slot,
                started=slot.starts_at <= now,
                holding=[a for a in items if a.state in (State.PENDING, State.ACCEPTED)],
                waiting=[a for a in items if a.state == State.WAITLISTED],
                closed=[a for a in items if a.state in (State.DECLINED, State.CANCELLED)],
                hours_help=hours_help(slot),
            )
        )
    return rows


def thread(application: Application) -> QuerySet[ApplicationMessage]:
    return ApplicationMessage.objects.filter(application=application).select_related("author")


def public_name(full_name: str) -> str:
    """ "Camille M." for "Camille Martin": a public page names a volunteer no further."""
    words = full_name.split()
    if len(words) < 2:
        return full_name
    return f"{words[0]} {words[-1][0]}."


def published_testimonials(*, mission: Mission, limit: int = 10) -> list[Testimonial]:
    """The testimonials the organiser published, for the mission's page; each carries
    ``author_label``, the volunteer's public name."""
    rows = list(
        Testimonial.objects.filter(
            application__slot__mission=mission, published=True, from_organiser=False
        )
        .select_related("application__profile")
        .order_by("-created_at", "pk")[:limit]
    )
    for row in rows:
        row.author_label = public_name(row.application.profile.full_name)  # type: ignore[attr-defined]
    return rows


@dataclass
class CertificateLine:
    mission: str
    organiser: str
    day: date
    hours: Decimal


@dataclass
class Certificate:
    year: int
    profile: VolunteerProfile
    lines: list[CertificateLine]
    total: Decimal
    organisers: list[str]


def certificate(*, profile: VolunteerProfile, year: int) -> Certificate:
    """The hours the volunteer was recorded present during ``year`` (local dates)."""
    applications = (
        Application.objects.filter(
            profile=profile,
            attendance=Application.Attendance.PRESENT,
            slot__starts_at__year=year,
        )
        .select_related("slot__mission__association", "slot__mission__organisation")
        .order_by("slot__starts_at", "pk")
    )
    lines = []
    for application in applications:
        mission = application.slot.mission
        organiser = mission.association.name if mission.association else mission.organisation.name
        lines.append(
            CertificateLine(
                mission=mission.title,
                organiser=organiser,
                day=timezone.localdate(application.slot.starts_at),
                hours=application.hours or Decimal("0"),
            )
        )
    return Certificate(
        year=year,
        profile=profile,
        lines=lines,
        total=sum((line.hours for line in lines), Decimal("0")),
        organisers=sorted({line.organiser for line in lines}),
    )


def certificate_years(*, profile: VolunteerProfile) -> list[int]:
    """The years the volunteer has recorded hours in, newest first."""
    dates = Application.objects.filter(
        profile=profile, attendance=Application.Attendance.PRESENT
    ).dates("slot__starts_at", "year", order="DESC")
    return [d.year for d in dates]


@dataclass
class MissionFollowUp:
    mission: Mission
    pending: int
    waitlisted: int
    accepted: int
    attendance_due: int


def missions_followed(
    *, missions: QuerySet[Mission], now: datetime | None = None
) -> list[MissionFollowUp]:
    """For each mission (published, full or closed, newest first): applications awaiting an
    answer and on waiting lists for coming slots, accepted ones coming, and past places whose
    attendance is still to record."""
    now = now or timezone.now()
    holding = [State.PENDING, State.ACCEPTED]
    rows = (
        missions.filter(
            status__in=[Mission.Status.PUBLISHED, Mission.Status.FULL, Mission.Status.CLOSED]
        )
        .select_related("association")
        .annotate(
            n_pending=Count(
                "slots__applications",
                filter=Q(slots__applications__state=State.PENDING, slots__starts_at__gt=now),
            ),
            n_waitlisted=Count(
                "slots__applications",
                filter=Q(slots__applications__state=State.WAITLISTED, slots__starts_at__gt=now),
            ),
            n_accepted=Count(
                "slots__applications",
                filter=Q(slots__applications__state=State.ACCEPTED, slots__starts_at__gt=now),
            ),
            n_due=Count(
                "slots__applications",
                filter=Q(
                    slots__applications__state__in=holding,
                    slots__applications__attendance=Application.Attendance.UNKNOWN,
                    slots__starts_at__lte=now,
                ),
            ),
        )
        .order_by("-published_at", "-pk")
    )
    return [
        MissionFollowUp(m, m.n_pending, m.n_waitlisted, m.n_accepted, m.n_due)  # type: ignore[attr-defined]
        for m in rows
    ]
