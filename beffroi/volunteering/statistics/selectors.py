"""Volunteering statistics for the agents: volunteers, missions, fill rate of the slots, hours
given, and how fast volunteers answer call-outs, over a period.

Every figure is an aggregate computed by the database (a handful of grouped queries whatever
the number of missions, slots or applications), read straight from the models. Two figures
are finished in Python from one query each, because SQL has no portable way to compute them:
the missions' activities (a JSON list per mission) and the median response time of
call-outs (PostgreSQL has ``percentile_cont``, SQLite has nothing).

Periods are whole local days: ``start`` at midnight to the end of ``end``.
"""

from __future__ import annotations

import statistics as stats
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Least, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from beffroi.territory.models import Organisation
from beffroi.volunteering.models import (
    Activity,
    Application,
    CallOut,
    CallOutContact,
    Certification,
    Mission,
    Slot,
    VolunteerCertification,
    VolunteerProfile,
)

# The contact states that answered "yes" (a yes that came too late is still a yes: the
# volunteer went on the waiting list).
YES_STATES = (CallOutContact.State.YES, CallOutContact.State.WAITLISTED)
ANSWERED_STATES = (*YES_STATES, CallOutContact.State.NO)
# Reached: sent, whatever the answer; "failed" and "queued" never reached the person.
REACHED_STATES = (*ANSWERED_STATES, CallOutContact.State.SENT)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @classmethod
    def default(cls, today: date | None = None) -> Period:
        """The last twelve months, this one included."""
        today = today or timezone.localdate()
        year, month = today.year, today.month - 11
        if month <= 0:
            year, month = year - 1, month + 12
        return cls(date(year, month, 1), today)

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        """The first instant after the period."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def months(self) -> list[date]:
        """The first day of each month the period touches."""
        months: list[date] = []
        current = self.start.replace(day=1)
        while current <= self.end:
            months.append(current)
            current = (current + timedelta(days=32)).replace(day=1)
        return months


def _month(value: Any) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    assert isinstance(value, date)
    return value


def _hours(value: Decimal | float | timedelta | None) -> float:
    if value is None:
        return 0.0
    if isinstance(value, timedelta):
        return value.total_seconds() / 3600
    return float(value)


def rate(held: int, needed: int) -> float | None:
    """Places held over places needed, in percent (None when nothing was needed)."""
    return round(100 * held / needed, 1) if needed else None


# --- Volunteers ------------------------------------------------------------------------------


@dataclass
class VolunteerFigures:
    active: int
    crisis: int
    certified: int
    new_in_period: int
    by_channel: list[tuple[str, int]]
    by_certification: list[tuple[str, int]]
    new_per_month: list[tuple[date, int]]


def volunteer_figures(*, organisation: Organisation, period: Period) -> VolunteerFigures:
    profiles = VolunteerProfile.objects.filter(organisation=organisation)
    totals = profiles.aggregate(
        n_active=Count("pk", filter=Q(active=True)),
        n_crisis=Count("pk", filter=Q(active=True, crisis_consent=True)),
        n_new=Count("pk", filter=Q(created_at__gte=period.since, created_at__lt=period.until)),
    )
    channels = dict(
        profiles.filter(active=True)
        .values("registration_channel")
        .annotate(n=Count("pk"))
        .values_list("registration_channel", "n")
    )
    today = timezone.localdate()
    valid = VolunteerCertification.objects.filter(
        profile__organisation=organisation, profile__active=True
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
    certified = valid.aggregate(n=Count("profile", distinct=True))["n"]
    kinds = dict(valid.values("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    new = {
        _month(row["month"]): row["n"]
        for row in profiles.filter(created_at__gte=period.since, created_at__lt=period.until)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    }
    labels = dict(Certification.choices)
    return VolunteerFigures(
        active=totals["n_active"],
        crisis=totals["n_crisis"],
        certified=certified,
        new_in_period=totals["n_new"],
        by_channel=[
            (str(label), channels.get(value, 0))
            for value, label in VolunteerProfile.Channel.choices
        ],
        by_certification=sorted(
            ((str(labels.get(kind, kind)), n) for kind, n in kinds.items()),
            key=lambda item: (-item[1], item[0]),
        ),
        new_per_month=[(month, new.get(month, 0)) for month in period.months()],
    )


# --- Missions and fill rate ------------------------------------------------------------------


def _missions(organisation: Organisation, period: Period) -> QuerySet[Mission]:
    """The missions of the period: created in it, or with a slot in it."""
    slot_in_period = Slot.objects.filter(
        mission=OuterRef("pk"), starts_at__gte=period.since, starts_at__lt=period.until
    )
    return Mission.objects.filter(organisation=organisation).filter(
        Q(created_at__gte=period.since, created_at__lt=period.until) | Exists(slot_in_period)
    )


def _slots(organisation: Organisation, period: Period) -> QuerySet[Slot]:
    """The slots that asked for people in the period: not cancelled, of a mission that was
    published (drafts and cancelled missions asked nobody)."""
    return Slot.objects.filter(
        mission__organisation=organisation,
        cancelled=False,
        starts_at__gte=period.since,
        starts_at__lt=period.until,
    ).exclude(mission__status__in=[Mission.Status.DRAFT, Mission.Status.CANCELLED])


# Places held beyond the places needed (an organiser who accepted one more) do not make a
# slot more than full.
HELD = Sum(Least("accepted_count", "volunteers_needed", output_field=IntegerField()))
NEEDED = Sum("volunteers_needed")


@dataclass(frozen=True)
class FillRow:
    label: str
    slots: int
    needed: int
    held: int
    key: date | None = None
    mission_id: int | None = None
    association: str = ""
    status: str = ""

    @property
    def rate(self) -> float | None:
        return rate(self.held, self.needed)


@dataclass
class MissionFigures:
    total: int
    by_status: list[tuple[str, int]]
    by_activity: list[tuple[str, int]]
    by_association: list[tuple[str, int]]
    fill: FillRow
    fill_per_month: list[FillRow]
    fill_per_mission: list[FillRow]


def mission_figures(*, organisation: Organisation, period: Period) -> MissionFigures:
    missions = _missions(organisation, period)
    statuses = dict(missions.values("status").annotate(n=Count("pk")).values_list("status", "n"))
    by_association = [
        (row["association__name"] or _("The commune"), row["n"])
        for row in missions.values("association__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "association__name")
    ]
    activity_labels = dict(Activity.choices)
    activities: Counter[str] = Counter()
    for values in missions.values_list("activities", flat=True):
        activities.update(v for v in (values or []) if isinstance(v, str))
    slots = _slots(organisation, period)
    totals = slots.aggregate(n_slots=Count("pk"), needed=NEEDED, held=HELD)
    per_month = {
        _month(row["month"]): row
        for row in slots.annotate(month=TruncMonth("starts_at"))
        .values("month")
        .annotate(n_slots=Count("pk"), needed=NEEDED, held=HELD)
        .order_by("month")
    }
    # Every mission of the period (the header's count), the commune's and the associations',
    # with the places of its slots in the period (none: zero, no rate).
    empty: Mapping[str, Any] = {}
    by_mission: dict[int, Mapping[str, Any]] = {
        row["mission_id"]: row
        for row in slots.values("mission_id")
        .annotate(n_slots=Count("pk"), needed=NEEDED, held=HELD)
        .order_by("mission_id")
    }
    per_mission = [
        FillRow(
            label=row["title"],
            slots=by_mission.get(row["pk"], empty).get("n_slots", 0),
            needed=by_mission.get(row["pk"], empty).get("needed") or 0,
            held=by_mission.get(row["pk"], empty).get("held") or 0,
            mission_id=row["pk"],
            association=row["association__name"] or _("The commune"),
            status=str(Mission.Status(row["status"]).label),
        )
        for row in missions.values("pk", "title", "association__name", "status").order_by(
            "title", "pk"
        )
    ]
    return MissionFigures(
        total=sum(statuses.values()),
        by_status=[(str(label), statuses.get(value, 0)) for value, label in Mission.Status.choices],
        by_activity=sorted(
            ((str(activity_labels.get(a, a)), n) for a, n in activities.items()),
            key=lambda item: (-item[1], item[0]),
        ),
        by_association=by_association,
        fill=FillRow(
            label=_("All the slots"),
            slots=totals["n_slots"],
            needed=totals["needed"] or 0,
            held=totals["held"] or 0,
        ),
        fill_per_month=[
            FillRow(
                label=month.isoformat()[:7],
                key=month,
                slots=per_month[month]["n_slots"] if month in per_month else 0,
                needed=(per_month[month]["needed"] or 0) if month in per_month else 0,
                held=(per_month[month]["held"] or 0) if month in per_month else 0,
            )
            for month in period.months()
        ],
        fill_per_mission=per_mission,
    )


# --- Hours -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoursRow:
    label: str
    hours: float
    volunteers: int
    attendances: int
    key: date | None = None
    association: str = ""


@dataclass
class HoursFigures:
    total: HoursRow
    per_month: list[HoursRow]
    per_association: list[HoursRow]
    per_association_month: list[HoursRow] = field(default_factory=list)


def _attendances(organisation: Organisation, period: Period) -> QuerySet[Application]:
    return Application.objects.filter(
        slot__mission__organisation=organisation,
        attendance=Application.Attendance.PRESENT,
        slot__starts_at__gte=period.since,
        slot__starts_at__lt=period.until,
    )


# The hours recorded for a volunteer, or else the length of their slot: a volunteer marked
# present without hours gave the slot's time. Two sums, because a decimal and a duration do
# not add up in SQL the same way on every database.
HOURS_AGGREGATES: dict[str, Any] = {
    "recorded": Sum("hours", filter=Q(hours__isnull=False)),
    "scheduled": Sum(
        ExpressionWrapper(F("slot__ends_at") - F("slot__starts_at"), output_field=DurationField()),
        filter=Q(hours__isnull=True),
    ),
    "volunteers": Count("profile", distinct=True),
    "attendances": Count("pk"),
}


def _hours_row(row: Mapping[str, Any], label: str, **extra: Any) -> HoursRow:
    return HoursRow(
        label=label,
        hours=round(_hours(row["recorded"]) + _hours(row["scheduled"]), 2),
        volunteers=row["volunteers"],
        attendances=row["attendances"],
        **extra,
    )


def hours_figures(*, organisation: Organisation, period: Period) -> HoursFigures:
    rows = _attendances(organisation, period)
    total = _hours_row(rows.aggregate(**HOURS_AGGREGATES), _("All the missions"))
    commune = _("The commune")
    per_month = {
        _month(row["month"]): row
        for row in rows.annotate(month=TruncMonth("slot__starts_at"))
        .values("month")
        .annotate(**HOURS_AGGREGATES)
        .order_by("month")
    }
    empty = {"recorded": None, "scheduled": None, "volunteers": 0, "attendances": 0}
    per_association = sorted(
        (
            _hours_row(row, row["slot__mission__association__name"] or commune)
            for row in rows.values("slot__mission__association__name")
            .annotate(**HOURS_AGGREGATES)
            .order_by("slot__mission__association__name")
        ),
        key=lambda r: (-r.hours, r.label),
    )
    per_association_month = sorted(
        (
            _hours_row(
                row,
                _month(row["month"]).isoformat()[:7],
                key=_month(row["month"]),
                association=row["slot__mission__association__name"] or commune,
            )
            for row in rows.annotate(month=TruncMonth("slot__starts_at"))
            .values("month", "slot__mission__association__name")
            .annotate(**HOURS_AGGREGATES)
            .order_by("month", "slot__mission__association__name")
        ),
        key=lambda r: (r.key or date.min, r.association),
    )
    return HoursFigures(
        total=total,
        per_month=[
            _hours_row(per_month.get(month, empty), month.isoformat()[:7], key=month)
            for month in period.months()
        ],
        per_association=per_association,
        per_association_month=per_association_month,
    )


# --- Call-outs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallOutRow:
    callout_id: int
    mission: str
    started_at: datetime
    status: str
    waves: int
    contacted: int
    reached: int
    yes: int
    no: int
    no_answer: int
    failed: int
    median_minutes: float | None

    def share(self, count: int) -> float | None:
        return round(100 * count / self.reached, 1) if self.reached else None

    @property
    def yes_share(self) -> float | None:
        return self.share(self.yes)

    @property
    def no_share(self) -> float | None:
        return self.share(self.no)

    @property
    def no_answer_share(self) -> float | None:
        return self.share(self.no_answer)


@dataclass
class CallOutFigures:
    callouts: int
    reached: int
    yes: int
    no: int
    no_answer: int
    median_minutes: float | None
    rows: list[CallOutRow]

    def share(self, count: int) -> float | None:
        return round(100 * count / self.reached, 1) if self.reached else None

    @property
    def yes_share(self) -> float | None:
        return self.share(self.yes)

    @property
    def no_share(self) -> float | None:
        return self.share(self.no)

    @property
    def no_answer_share(self) -> float | None:
        return self.share(self.no_answer)


def _median_minutes(delays: list[float]) -> float | None:
    return round(stats.median(delays), 1) if delays else None


def callout_figures(*, organisation: Organisation, period: Period) -> CallOutFigures:
    callouts = CallOut.objects.filter(
        organisation=organisation, created_at__gte=period.since, created_at__lt=period.until
    )
    counted = callouts.annotate(
        n_contacted=Count("contacts"),
        n_reached=Count(
            "contacts",
            filter=Q(contacts__sent_at__isnull=False, contacts__state__in=REACHED_STATES),
        ),
        n_yes=Count(
            "contacts", filter=Q(contacts__sent_at__isnull=False, contacts__state__in=YES_STATES)
        ),
        n_no=Count(
            "contacts",
            filter=Q(contacts__sent_at__isnull=False, contacts__state=CallOutContact.State.NO),
        ),
        n_waiting=Count(
            "contacts",
            filter=Q(contacts__sent_at__isnull=False, contacts__state=CallOutContact.State.SENT),
        ),
        n_failed=Count("contacts", filter=Q(contacts__state=CallOutContact.State.FAILED)),
    ).values(
        "pk",
        "mission__title",
        "created_at",
        "status",
        "waves_sent",
        "n_contacted",
        "n_reached",
        "n_yes",
        "n_no",
        "n_waiting",
        "n_failed",
    )
    # One query for every answer's delay; the medians are taken here.
    delays: dict[int, list[float]] = {}
    for callout_id, sent_at, answered_at in CallOutContact.objects.filter(
        callout__in=callouts,
        state__in=ANSWERED_STATES,
        sent_at__isnull=False,
        answered_at__isnull=False,
    ).values_list("callout_id", "sent_at", "answered_at"):
        if sent_at is None or answered_at is None:
            continue
        minutes = (answered_at - sent_at).total_seconds() / 60
        delays.setdefault(callout_id, []).append(max(0.0, minutes))
    rows = [
        CallOutRow(
            callout_id=row["pk"],
            mission=row["mission__title"],
            started_at=row["created_at"],
            status=str(CallOut.Status(row["status"]).label),
            waves=row["waves_sent"],
            contacted=row["n_contacted"],
            reached=row["n_reached"],
            yes=row["n_yes"],
            no=row["n_no"],
            no_answer=row["n_waiting"],
            failed=row["n_failed"],
            median_minutes=_median_minutes(delays.get(row["pk"], [])),
        )
        for row in counted.order_by("-created_at", "-pk")
    ]
    return CallOutFigures(
        callouts=len(rows),
        reached=sum(r.reached for r in rows),
        yes=sum(r.yes for r in rows),
        no=sum(r.no for r in rows),
        no_answer=sum(r.no_answer for r in rows),
        median_minutes=_median_minutes([d for values in delays.values() for d in values]),
        rows=rows,
    )


@dataclass
class VolunteeringStatistics:
    period: Period
    volunteers: VolunteerFigures
    missions: MissionFigures
    hours: HoursFigures
    callouts: CallOutFigures


def volunteering_statistics(
    *, organisation: Organisation, period: Period
) -> VolunteeringStatistics:
    return VolunteeringStatistics(
        period=period,
        volunteers=volunteer_figures(organisation=organisation, period=period),
        missions=mission_figures(organisation=organisation, period=period),
        hours=hours_figures(organisation=organisation, period=period),
        callouts=callout_figures(organisation=organisation, period=period),
    )
