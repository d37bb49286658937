"""The civil-protection reserve: reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy, pgettext_lazy

from beffroi.territory.models import Organisation
from beffroi.volunteering.models import (
    ReserveMember,
    TrainingAttendance,
    TrainingSession,
    VolunteerProfile,
)

ENDING_WITHIN_DAYS = 30
STATUSES = (
    ("active", pgettext_lazy("reservist", "Engaged")),
    ("ending", gettext_lazy("Ending within 30 days")),
    ("upcoming", pgettext_lazy("reservist", "Not started yet")),
    ("ended", pgettext_lazy("reservist", "Ended")),
)


def member_status(member: ReserveMember, today: date) -> str:
    if member.engaged_until < today:
        return "ended"
    if member.engaged_from > today:
        return "upcoming"
    if member.engaged_until <= today + timedelta(days=ENDING_WITHIN_DAYS):
        return "ending"
    return "active"


@dataclass(frozen=True)
class MemberRow:
    member: ReserveMember
    status: str
    status_label: str
    trainings_attended: int


def reserve_rows(*, organisation: Organisation, today: date, status: str = "") -> list[MemberRow]:
    labels = dict(STATUSES)
    members = (
        ReserveMember.objects.filter(organisation=organisation)
        .select_related("profile")
        .annotate(attended=Count("attendances", filter=Q(attendances__present=True)))
    )
    rows = []
    for member in members:
        current = member_status(member, today)
        if status and current != status:
            continue
        rows.append(
            MemberRow(member, current, str(labels[current]), int(getattr(member, "attended", 0)))
        )
    return rows


def status_counts(*, organisation: Organisation, today: date) -> dict[str, int]:
    counts = {key: 0 for key, _label in STATUSES}
    for member in ReserveMember.objects.filter(organisation=organisation):
        counts[member_status(member, today)] += 1
    return counts


def call_list(*, organisation: Organisation, today: date) -> QuerySet[ReserveMember]:
    """The reservists engaged today, with their phones: the phone tree of the reserve."""
    return (
        ReserveMember.objects.filter(
            organisation=organisation, engaged_from__lte=today, engaged_until__gte=today
        )
        .select_related("profile")
        .order_by("profile__full_name", "pk")
    )


def profiles_to_enrol(*, organisation: Organisation) -> QuerySet[VolunteerProfile]:
    return (
        VolunteerProfile.objects.filter(organisation=organisation, active=True)
        .exclude(reserve__organisation=organisation)
        .order_by("full_name", "pk")
    )


def trainings(*, organisation: Organisation) -> QuerySet[TrainingSession]:
    return TrainingSession.objects.filter(organisation=organisation).annotate(
        invited=Count("attendances"),
        present=Count("attendances", filter=Q(attendances__present=True)),
        absent=Count("attendances", filter=Q(attendances__present=False)),
    )


def attendance_rows(
    *, session: TrainingSession, today: date
) -> list[tuple[ReserveMember, bool | None]]:
    """Every reservist invited to ``session`` and every one engaged on its day, with what is
    recorded."""
    recorded = {a.member_id: a.present for a in TrainingAttendance.objects.filter(session=session)}
    day = session.starts_at.date()
    members = (
        ReserveMember.objects.filter(organisation_id=session.organisation_id)
        .filter(Q(pk__in=list(recorded)) | Q(engaged_from__lte=day, engaged_until__gte=day))
        .select_related("profile")
        .order_by("profile__full_name", "pk")
    )
    return [(m, recorded.get(m.pk)) for m in members]
