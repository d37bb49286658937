"""Call-outs: reads (the lists, the live coverage of one call-out, the offer on an alert)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from beffroi.accounts.models import User
from beffroi.territory.models import Organisation
from beffroi.volunteering.models import CallOut, CallOutContact, Membership, Mission, Slot

State = CallOutContact.State


@dataclass(frozen=True)
class WaveRow:
    wave: int
    contacted: int
    reservists: int
    confirmed: int
    waitlisted: int
    declined: int
    no_answer: int
    failed: int
    queued: int


@dataclass(frozen=True)
class Coverage:
    needed: int  # places of the future slots
    held: int  # places held by applications (call-out answers and others)
    contacted: int
    confirmed: int
    waitlisted: int
    declined: int
    no_answer: int
    failed: int
    queued: int
    waves: list[WaveRow] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return max(0, self.needed - self.held)

    @property
    def percent(self) -> int:
        return 100 if not self.needed else min(100, round(100 * self.held / self.needed))

    @property
    def segments(self) -> list[tuple[str, str, int]]:
        """(key, label, percentage of the contacted) for the stacked bar; its text says the
        same numbers."""
        total = self.contacted or 1
        return [
            ("confirmed", str(State.YES.label), round(100 * self.confirmed / total)),
            ("waitlisted", str(State.WAITLISTED.label), round(100 * self.waitlisted / total)),
            ("declined", str(State.NO.label), round(100 * self.declined / total)),
            ("no-answer", str(State.SENT.label), round(100 * self.no_answer / total)),
            ("failed", str(State.FAILED.label), round(100 * self.failed / total)),
        ]


_STATE_FIELDS = (
    ("confirmed", State.YES),
    ("waitlisted", State.WAITLISTED),
    ("declined", State.NO),
    ("no_answer", State.SENT),
    ("failed", State.FAILED),
    ("queued", State.QUEUED),
)


def callout_coverage(*, callout: CallOut, now: datetime | None = None) -> Coverage:
    now = now or timezone.now()
    slots = Slot.objects.filter(mission_id=callout.mission_id, cancelled=False, starts_at__gt=now)
    places = slots.aggregate(needed=Sum("volunteers_needed"), held=Sum("accepted_count"))
    aggregates = {
        "contacted": Count("pk"),
        "reservists": Count("pk", filter=Q(reservist=True)),
        **{name: Count("pk", filter=Q(state=state)) for name, state in _STATE_FIELDS},
    }
    waves = [
        WaveRow(**row)  # type: ignore[call-arg,arg-type,unused-ignore]
        for row in CallOutContact.objects.filter(callout=callout)
        .values("wave")
        .order_by("wave")
        .annotate(**aggregates)
    ]
    return Coverage(
        needed=int(places["needed"] or 0),
        held=min(int(places["held"] or 0), int(places["needed"] or 0)),
        contacted=sum(w.contacted for w in waves),
        confirmed=sum(w.confirmed for w in waves),
        waitlisted=sum(w.waitlisted for w in waves),
        declined=sum(w.declined for w in waves),
        no_answer=sum(w.no_answer for w in waves),
        failed=sum(w.failed for w in waves),
        queued=sum(w.queued for w in waves),
        waves=waves,
    )


def callout_contacts(*, callout: CallOut) -> QuerySet[CallOutContact]:
    return (
        CallOutContact.objects.filter(callout=callout)
        .select_related("profile")
        .order_by("wave", "-reservist", "profile__full_name", "pk")
    )


def callouts_of_organisation(*, organisation: Organisation) -> QuerySet[CallOut]:
    return (
        CallOut.objects.filter(organisation=organisation)
        .select_related("mission", "mission__association", "created_by")
        .annotate(
            contacted=Count("contacts"),
            confirmed=Count("contacts", filter=Q(contacts__state=State.YES)),
        )
    )


def managed_association_ids(user: User) -> list[int]:
    return list(
        Membership.objects.filter(
            user=user, state=Membership.State.ACTIVE, association__status="validated"
        ).values_list("association_id", flat=True)
    )


def callouts_of_manager(*, organisation: Organisation, user: User) -> QuerySet[CallOut]:
    return callouts_of_organisation(organisation=organisation).filter(
        mission__association_id__in=managed_association_ids(user)
    )


def missions_to_call_out(
    *, organisation: Organisation, association_ids: list[int] | None = None
) -> QuerySet[Mission]:
    """Open missions with a future slot: all the organisation's for the crisis cell, those
    of ``association_ids`` for an association's managers."""
    query = Mission.objects.filter(
        organisation=organisation,
        status__in=(Mission.Status.PUBLISHED, Mission.Status.FULL),
        slots__starts_at__gt=timezone.now(),
        slots__cancelled=False,
    )
    if association_ids is not None:
        query = query.filter(association_id__in=association_ids)
    return query.distinct().order_by("title", "pk")
