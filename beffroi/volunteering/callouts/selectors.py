"""Call-outs: reads (the lists, the slots a call-out is for, the live coverage of one
call-out, the offer on an alert)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from beffroi.accounts.access import has_role
from beffroi.accounts.models import User
from beffroi.territory.models import Organisation
from beffroi.volunteering.access import CRISIS_ROLES
from beffroi.volunteering.models import (
    Application,
    CallOut,
    CallOutContact,
    Membership,
    Mission,
    Slot,
)

State = CallOutContact.State
# The applications that hold a place or wait for one: whoever has one on a call-out's coming
# slots already takes part, and is neither contacted nor counted as confirmed by it.
LIVE_APPLICATION_STATES = (
    Application.State.PENDING,
    Application.State.ACCEPTED,
    Application.State.WAITLISTED,
)


def association_horizon_days() -> int:
    """How far ahead an association's call-out may reach (``CALLOUT_ASSOCIATION_HORIZON_DAYS``):
    the residents' crisis consent is for urgent, near needs, not next season's fair."""
    return int(getattr(settings, "CALLOUT_ASSOCIATION_HORIZON_DAYS", 7))


def callout_slots_all(callout: CallOut) -> QuerySet[Slot]:
    """The slots ``callout`` is for, whatever the time now: the mission's slots not cancelled
    that start after the call-out began; for an association's call-out (``sms_counted``),
    only those starting within the horizon of its start."""
    slots = Slot.objects.filter(
        mission_id=callout.mission_id, cancelled=False, starts_at__gt=callout.created_at
    )
    if callout.sms_counted:
        horizon = callout.created_at + timedelta(days=association_horizon_days())
        slots = slots.filter(starts_at__lte=horizon)
    return slots.order_by("starts_at", "pk")


def callout_slots(callout: CallOut, now: datetime) -> list[Slot]:
    """The call-out's slots still to come at ``now``, first first."""
    return list(callout_slots_all(callout).filter(starts_at__gt=now))


def live_place(profile_id: int, slots: list[Slot]) -> Application | None:
    """The volunteer's live application (a place held, or on the waiting list) on one of
    ``slots``, if any."""
    return (
        Application.objects.filter(
            profile_id=profile_id,
            slot_id__in=[s.pk for s in slots],
            state__in=LIVE_APPLICATION_STATES,
        )
        .select_related("slot")
        .order_by("slot__starts_at", "pk")
        .first()
    )


@dataclass(frozen=True)
class WaveRow:
    wave: int
    contacted: int
    reservists: int
    confirmed: int
    waitlisted: int
    declined: int
    already: int
    no_answer: int
    failed: int
    queued: int


@dataclass(frozen=True)
class Coverage:
    needed: int  # places of the call-out's coming slots (of all its slots once they are over)
    held: int  # places held by applications (call-out answers and others)
    contacted: int
    confirmed: int
    waitlisted: int
    declined: int
    already: int  # answered "yes" while already taking part: nothing filled
    no_answer: int
    failed: int
    queued: int
    waves: list[WaveRow] = field(default_factory=list)
    # Every slot of the call-out has started: the figures are those of all its slots, as
    # they stood (a past call-out must not read "0 of 0, 100 %").
    over: bool = False

    @property
    def missing(self) -> int:
        return max(0, self.needed - self.held)

    @property
    def percent(self) -> int | None:
        return None if not self.needed else min(100, round(100 * self.held / self.needed))

    @property
    def segments(self) -> list[tuple[str, str, int]]:
        """(key, label, percentage of the contacted) for the stacked bar; its text says the
        same numbers."""
        total = self.contacted or 1
        return [
            ("confirmed", str(State.YES.label), round(100 * self.confirmed / total)),
            ("waitlisted", str(State.WAITLISTED.label), round(100 * self.waitlisted / total)),
            ("declined", str(State.NO.label), round(100 * self.declined / total)),
            ("already", str(ALREADY_LABEL), round(100 * self.already / total)),
            ("no-answer", str(State.SENT.label), round(100 * self.no_answer / total)),
            ("failed", str(State.FAILED.label), round(100 * self.failed / total)),
        ]


ALREADY_LABEL = pgettext_lazy("contact", "Already taking part")
# A "yes" from someone already taking part leaves the contact "sent" (nothing was filled)
# with the time of the answer: the one mark that tells it from no answer at all.
_STATE_FILTERS: tuple[tuple[str, Q], ...] = (
    ("confirmed", Q(state=State.YES)),
    ("waitlisted", Q(state=State.WAITLISTED)),
    ("declined", Q(state=State.NO)),
    ("already", Q(state=State.SENT, answered_at__isnull=False)),
    ("no_answer", Q(state=State.SENT, answered_at__isnull=True)),
    ("failed", Q(state=State.FAILED)),
    ("queued", Q(state=State.QUEUED)),
)


def callout_coverage(*, callout: CallOut, now: datetime | None = None) -> Coverage:
    now = now or timezone.now()
    slots = callout_slots_all(callout)
    over = not slots.filter(starts_at__gt=now).exists()
    if not over:
        slots = slots.filter(starts_at__gt=now)
    places = slots.aggregate(needed=Sum("volunteers_needed"), held=Sum("accepted_count"))
    aggregates = {
        "contacted": Count("pk"),
        "reservists": Count("pk", filter=Q(reservist=True)),
        **{name: Count("pk", filter=condition) for name, condition in _STATE_FILTERS},
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
        already=sum(w.already for w in waves),
        no_answer=sum(w.no_answer for w in waves),
        failed=sum(w.failed for w in waves),
        queued=sum(w.queued for w in waves),
        waves=waves,
        over=over,
    )


def callout_is_live(*, callout: CallOut, coverage: Coverage) -> bool:
    """Whether answers may still change the figures: the call-out runs, or it ended (filled,
    stopped, nobody left) while messages still await an answer that the answer page takes
    (a coming slot, an open mission). The coverage view keeps polling while it is live."""
    if callout.status == CallOut.Status.RUNNING:
        return True
    return (
        bool(coverage.no_answer or coverage.queued)
        and not coverage.over
        and callout.mission.is_open
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


def alert_in_force(organisation: Organisation, alert_id: int) -> Any:
    """The alert ``alert_id`` of ``organisation`` if it is in force (its thread's original
    or latest message), else None: the one rule for the offer on the alert's page and for
    the call-out started from it."""
    from beffroi.alerts.public.selectors import current_threads

    for thread in current_threads(organisation=organisation):
        if alert_id == thread.root.pk or any(m.pk == alert_id for m in thread.messages):
            return thread.latest
    return None


def alert_offer_shown(*, user: Any, organisation: Organisation, alert_id: int) -> bool:
    """Whether the alert's page offers ``user`` to call volunteers out for it: the crisis
    cell, for an alert in force (the call-out page refuses any other)."""
    return has_role(user, organisation, *CRISIS_ROLES) and (
        alert_in_force(organisation, alert_id) is not None
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
