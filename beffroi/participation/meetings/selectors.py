"""Reads of workshops and meetings: lists, seats, registrations, proposals born there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beffroi.participation.models import Meeting, Participant, Process, Proposal, Registration
from beffroi.territory.models import Organisation

Status = Registration.Status


def meetings_of_process(
    *, process: Process, now: datetime | None = None
) -> dict[str, list[Meeting]]:
    """``upcoming`` (soonest first, cancelled ones included and marked) and ``past`` (latest
    first) meetings of ``process``."""
    now = now or timezone.now()
    meetings: list[Meeting] = list(
        Meeting.objects.filter(process=process).annotate(
            confirmed_count=Count("registrations", filter=Q(registrations__status=Status.CONFIRMED))
        )
    )
    for meeting in meetings:
        meeting.process = process  # the cards link through it: no query per meeting
    return {
        "upcoming": [m for m in meetings if m.ends_at > now],
        "past": sorted((m for m in meetings if m.ends_at <= now), key=lambda m: m.starts_at)[::-1],
    }


def meetings_upcoming(
    *, organisation: Organisation, now: datetime | None = None
) -> QuerySet[Meeting]:
    """Meetings of the organisation's published processes not over yet."""
    now = now or timezone.now()
    return (
        Meeting.objects.filter(
            organisation=organisation,
            process__status=Process.Status.PUBLISHED,
            ends_at__gt=now,
        )
        .select_related("process")
        .annotate(
            confirmed_count=Count("registrations", filter=Q(registrations__status=Status.CONFIRMED))
        )
        .order_by("starts_at", "pk")
    )


def meetings_for_agents(*, organisation: Organisation, past: bool = False) -> QuerySet[Meeting]:
    now = timezone.now()
    meetings = (
        Meeting.objects.filter(organisation=organisation)
        .select_related("process")
        .annotate(
            confirmed_count=Count(
                "registrations", filter=Q(registrations__status=Status.CONFIRMED)
            ),
            waiting_count=Count("registrations", filter=Q(registrations__status=Status.WAITING)),
        )
    )
    if past:
        return meetings.filter(ends_at__lte=now).order_by("-starts_at", "-pk")
    return meetings.filter(ends_at__gt=now).order_by("starts_at", "pk")


def confirmed_count(meeting: Meeting) -> int:
    return Registration.objects.filter(meeting=meeting, status=Status.CONFIRMED).count()


def seats_left(meeting: Meeting, confirmed: int | None = None) -> int | None:
    """Free seats, None without a limit."""
    if meeting.capacity is None:
        return None
    if confirmed is None:
        confirmed = confirmed_count(meeting)
    return max(meeting.capacity - confirmed, 0)


def seats_in_words(
    meeting: Meeting, confirmed: int | None = None, *, for_agents: bool = False
) -> str:
    """What a resident reads before registering (or an agent, ``for_agents``): the count in
    words, never a colour."""
    left = seats_left(meeting, confirmed)
    if left is None:
        return _("No limit on the number of participants.")
    if left == 0:
        if for_agents:
            return _("Full: new registrations go on the waiting list.")
        return _("Full: registering puts you on the waiting list.")
    return ngettext("%(count)d seat left.", "%(count)d seats left.", left) % {"count": left}


def registration_of(*, meeting: Meeting, participant: Participant | None) -> Registration | None:
    if participant is None:
        return None
    return Registration.objects.filter(meeting=meeting, participant=participant).first()


def waiting_position(registration: Registration) -> int:
    """1 for the first on the waiting list."""
    return (
        Registration.objects.filter(meeting_id=registration.meeting_id, status=Status.WAITING)
        .filter(
            Q(created_at__lt=registration.created_at)
            | Q(created_at=registration.created_at, pk__lt=registration.pk)
        )
        .count()
        + 1
    )


@dataclass(frozen=True)
class RegistrationRow:
    registration: Registration
    name: str
    contact: str


def registrations_for_agents(*, meeting: Meeting) -> dict[str, list[RegistrationRow]]:
    """Confirmed, waiting (in order) and cancelled registrations, with the person's full name
    and a way to reach them (the agents' sheet, not the public name)."""
    from beffroi.core.phone import phone_display

    rows: dict[str, list[RegistrationRow]] = {s.value: [] for s in Status}
    registrations = Registration.objects.filter(meeting=meeting).select_related(
        "participant__user", "participant__subscriber"
    )
    for registration in registrations.order_by("created_at", "pk"):
        person = registration.participant
        name, contact = person.public_name, ""
        if person.erased_at is None:
            if person.user is not None:
                name = person.user.full_name or person.display_name or person.user.email
                contact = person.user.email
            elif person.subscriber is not None:
                subscriber = person.subscriber
                name = subscriber.full_name or person.display_name or name
                contact = phone_display(subscriber.sms_number) or subscriber.email
        rows[registration.status].append(RegistrationRow(registration, name, contact))
    return rows


def proposals_of_meeting(*, meeting: Meeting, hidden: bool = False) -> QuerySet[Proposal]:
    """The proposals born at ``meeting`` (hidden ones only for agents)."""
    proposals = Proposal.objects.filter(meeting=meeting, process_id=meeting.process_id)
    if not hidden:
        proposals = proposals.filter(hidden_at__isnull=True, state=Proposal.State.PUBLISHED)
    return proposals.order_by("created_at", "pk")


def proposals_attachable(*, meeting: Meeting) -> QuerySet[Proposal]:
    """Proposals of the meeting's process not yet linked to it, newest first."""
    return (
        Proposal.objects.filter(process_id=meeting.process_id)
        .exclude(meeting=meeting)
        .order_by("-created_at", "-pk")
    )


def reminders_due(*, now: datetime | None = None) -> QuerySet[Meeting]:
    """Meetings to remind: not cancelled, not reminded yet, starting before the end of
    tomorrow (local time) and not started. Run daily or hourly: each meeting's registrants
    hear of it once, the day before (or on the day, for a meeting set up at the last
    minute)."""
    now = now or timezone.now()
    day_after_tomorrow = timezone.localtime(now).date() + timedelta(days=2)
    end_of_tomorrow = timezone.make_aware(datetime.combine(day_after_tomorrow, time.min))
    return Meeting.objects.filter(
        cancelled_at__isnull=True,
        reminders_sent_at__isnull=True,
        starts_at__gt=now,
        starts_at__lt=end_of_tomorrow,
        process__status=Process.Status.PUBLISHED,
    ).order_by("starts_at", "pk")
