"""The civil-protection reserve (réserve communale de sécurité civile): every write.

The mayor enrols a volunteer by decision (its reference and date) for an engagement period
and mission types; the crisis cell records it here, edits it, ends it early. Training
sessions invite every reservist engaged on their day, and attendance is recorded per
reservist. Every decision is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from beffroi.accounts.models import User
from beffroi.core.audit import audit_record
from beffroi.territory.models import Organisation
from beffroi.volunteering.models import (
    ReserveMember,
    TrainingAttendance,
    TrainingSession,
    VolunteerProfile,
)
from beffroi.volunteering.rules import FIRST_YEAR, LAST_YEAR, plausible_day


class ReserveMissionType(TextChoices):
    """The missions of a communal reserve (code de la sécurité intérieure, art. L724-1)."""

    FLOOD = "flood", gettext_lazy("Floods: sand bags, pumping, cleaning")
    STORM = "storm", gettext_lazy("Storms: clearing, securing")
    WEATHER = "weather", gettext_lazy("Heat waves and cold spells: calling vulnerable people")
    SHELTER = "shelter", gettext_lazy("Evacuation and shelter of residents")
    LOGISTICS = "logistics", gettext_lazy("Logistics and supplies")
    SEARCH = "search", gettext_lazy("Searching for missing people")
    EVENTS = "events", gettext_lazy("Prevention at public events")
    RECOVERY = "recovery", gettext_lazy("Helping residents after a disaster")


def mission_type_labels(codes: list[str]) -> list[str]:
    """The mission types' labels in the reader's language, in the order of the list above
    (a code no longer known shows as it is rather than disappear from a call sheet)."""
    labels = dict(ReserveMissionType.choices)
    order = {code: i for i, code in enumerate(ReserveMissionType.values)}
    ordered = sorted(codes, key=lambda code: (order.get(code, len(order)), code))
    return [str(labels.get(code, code)) for code in ordered]


class ReserveRefused(Exception):
    """A write the rules refuse; ``str()`` is a translated message for the person."""


@dataclass
class EngagementInput:
    decision_reference: str
    decision_date: date
    engaged_from: date
    engaged_until: date
    mission_types: list[str] = field(default_factory=list)
    notes: str = ""


def _check_year(day: date) -> None:
    if not plausible_day(day):
        raise ReserveRefused(
            _("The date %(date)s is not plausible: give a date between %(min)d and %(max)d.")
            % {"date": day.strftime("%d/%m/%Y"), "min": FIRST_YEAR, "max": LAST_YEAR}
        )


def _check(data: EngagementInput) -> None:
    if not data.decision_reference.strip():
        raise ReserveRefused(_("Give the reference of the mayor's decision."))
    for day in (data.decision_date, data.engaged_from, data.engaged_until):
        _check_year(day)
    if data.engaged_until < data.engaged_from:
        raise ReserveRefused(_("The engagement cannot end before it starts."))
    # The law caps an engagement at five years, renewable.
    if data.engaged_until > data.engaged_from + timedelta(days=5 * 366):
        raise ReserveRefused(_("An engagement lasts five years at most; renew it afterwards."))
    if data.decision_date > data.engaged_from:
        raise ReserveRefused(_("The engagement cannot start before the mayor's decision."))
    unknown = set(data.mission_types) - set(ReserveMissionType.values)
    if unknown:
        raise ReserveRefused(_("Unknown mission type: %(value)s.") % {"value": sorted(unknown)[0]})


def _consent_missing(profile: VolunteerProfile) -> str:
    return _(
        "%(name)s has not agreed to be called in a crisis: no call-out could reach them. "
        "Record their agreement (ticked below, with its date, once they gave it, for "
        "instance in their signed engagement), or ask them to give it on their volunteer "
        "profile; then enrol them."
    ) % {"name": profile.full_name}


def reserve_enrol(
    *,
    organisation: Organisation,
    actor: User,
    profile: VolunteerProfile,
    data: EngagementInput,
    consent_on: date | None = None,
) -> ReserveMember:
    """Record a volunteer's enrolment in the reserve by decision of the mayor.

    A reservist is there to be called out, and call-outs reach only volunteers who agreed to
    be called in a crisis: a volunteer who has not is refused (nothing written), unless the
    crisis cell records here the day they agreed (``consent_on``, for instance the day they
    signed their engagement), which sets that consent on their profile, audited in the
    agent's name as the front desk's consent taken on the phone is."""
    if profile.organisation_id != organisation.pk:
        raise ReserveRefused(_("This volunteer is not registered with the commune."))
    _check(data)
    if consent_on is not None:
        _check_year(consent_on)
        if consent_on > timezone.localdate():
            raise ReserveRefused(_("The day they agreed cannot be in the future."))
    try:
        with transaction.atomic():
            locked = VolunteerProfile.objects.select_for_update(of=("self",)).get(pk=profile.pk)
            if not locked.crisis_consent:
                if consent_on is None:
                    raise ReserveRefused(_consent_missing(locked))
                locked.crisis_consent = True
                locked.crisis_consent_at = timezone.make_aware(
                    datetime.combine(consent_on, time(12, 0))
                )
                locked.save(update_fields=["crisis_consent", "crisis_consent_at"])
                profile.crisis_consent = locked.crisis_consent
                profile.crisis_consent_at = locked.crisis_consent_at
                audit_record(
                    action="volunteer.crisis_consent",
                    organisation=organisation,
                    actor=actor,
                    target=locked,
                    data={
                        "by": "reserve_enrolment",
                        "on": consent_on.isoformat(),
                        "decision": data.decision_reference.strip(),
                    },
                )
            member = ReserveMember.objects.create(
                organisation=organisation,
                profile=profile,
                decision_reference=data.decision_reference.strip(),
                decision_date=data.decision_date,
                engaged_from=data.engaged_from,
                engaged_until=data.engaged_until,
                mission_types=sorted(set(data.mission_types)),
                notes=data.notes.strip(),
            )
            audit_record(
                action="volunteering.reserve.enrol",
                organisation=organisation,
                actor=actor,
                target=member,
                data={"profile": profile.pk, "decision": member.decision_reference},
            )
    except IntegrityError as exc:
        raise ReserveRefused(
            _("This volunteer is already in the reserve: edit their engagement instead.")
        ) from exc
    return member


@transaction.atomic
def reserve_update(*, member: ReserveMember, actor: User, data: EngagementInput) -> ReserveMember:
    _check(data)
    member = ReserveMember.objects.select_for_update(of=("self",)).get(pk=member.pk)
    member.decision_reference = data.decision_reference.strip()
    member.decision_date = data.decision_date
    member.engaged_from = data.engaged_from
    member.engaged_until = data.engaged_until
    member.mission_types = sorted(set(data.mission_types))
    member.notes = data.notes.strip()
    member.save()
    audit_record(
        action="volunteering.reserve.update",
        organisation=member.organisation,
        actor=actor,
        target=member,
        data={"from": str(member.engaged_from), "until": str(member.engaged_until)},
    )
    return member


@transaction.atomic
def reserve_end(
    *, member: ReserveMember, actor: User, reason: str = "", on: date | None = None
) -> ReserveMember:
    """End the engagement: the reservist is no longer called first from ``on`` (today by
    default; the last day engaged is the day before)."""
    on = on or timezone.localdate()
    member = ReserveMember.objects.select_for_update(of=("self",)).get(pk=member.pk)
    last_day = on - timedelta(days=1)
    if member.engaged_until <= last_day:
        raise ReserveRefused(_("This engagement has already ended."))
    member.engaged_until = last_day
    member.engaged_from = min(member.engaged_from, last_day)
    member.save(update_fields=["engaged_until", "engaged_from"])
    audit_record(
        action="volunteering.reserve.end",
        organisation=member.organisation,
        actor=actor,
        target=member,
        reason=reason,
    )
    return member


def training_create(
    *,
    organisation: Organisation,
    actor: User,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    place: str = "",
    description: str = "",
) -> TrainingSession:
    """A training session; every reservist engaged on its day is invited (attendance to
    record afterwards)."""
    if not title.strip():
        raise ReserveRefused(_("Give the session a title."))
    for moment in (starts_at, ends_at):
        _check_year(timezone.localtime(moment).date())
    if ends_at <= starts_at:
        raise ReserveRefused(_("The session must end after it starts."))
    day = timezone.localtime(starts_at).date()
    with transaction.atomic():
        session = TrainingSession.objects.create(
            organisation=organisation,
            title=title.strip(),
            description=description.strip(),
            place=place.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
        )
        members = ReserveMember.objects.filter(
            organisation=organisation, engaged_from__lte=day, engaged_until__gte=day
        )
        TrainingAttendance.objects.bulk_create(
            [TrainingAttendance(session=session, member=m) for m in members]
        )
        audit_record(
            action="volunteering.reserve.training",
            organisation=organisation,
            actor=actor,
            target=session,
        )
    return session


@transaction.atomic
def training_attendance_record(
    *, session: TrainingSession, actor: User, presence: dict[int, bool | None]
) -> int:
    """Record who came (``presence``: reserve member id → present, absent, or None for not
    recorded); a member of the reserve not yet invited is added. Returns the rows changed.
    Refused before the session has started: nobody can have come yet."""
    if session.starts_at > timezone.now():
        raise ReserveRefused(
            _("This session has not started yet: record the attendance once it has begun.")
        )
    members = set(
        ReserveMember.objects.filter(
            organisation_id=session.organisation_id, pk__in=list(presence)
        ).values_list("pk", flat=True)
    )
    if members != set(presence):
        raise ReserveRefused(_("Someone in the list is not in the reserve."))
    existing = {
        a.member_id: a
        for a in TrainingAttendance.objects.select_for_update(of=("self",)).filter(session=session)
    }
    changed = 0
    for member_id, present in presence.items():
        row = existing.get(member_id)
        if row is None:
            TrainingAttendance.objects.create(session=session, member_id=member_id, present=present)
            changed += 1
        elif row.present != present:
            row.present = present
            row.save(update_fields=["present"])
            changed += 1
    audit_record(
        action="volunteering.reserve.attendance",
        organisation=session.organisation,
        actor=actor,
        target=session,
        data={"changed": changed},
    )
    return changed


# --- GDPR ------------------------------------------------------------------------------


def export_reserve(user: User) -> list[dict[str, object]]:
    """The person's engagements in a reserve, with their training attendance."""
    return [
        {
            "organisation": m.organisation.name,
            "decision_reference": m.decision_reference,
            "decision_date": m.decision_date.isoformat(),
            "engaged_from": m.engaged_from.isoformat(),
            "engaged_until": m.engaged_until.isoformat(),
            "mission_types": m.mission_types,
            "trainings": [
                {
                    "title": a.session.title,
                    "starts_at": a.session.starts_at.isoformat(),
                    "present": a.present,
                }
                for a in m.attendances.select_related("session").order_by("session__starts_at")
            ],
        }
        for m in ReserveMember.objects.filter(profile__user=user).select_related("organisation")
    ]


def erase_reserve(user: User) -> None:
    """The engagement and attendance records go with the person's account (the mayor's
    order itself is archived by the town hall, outside Beffroi)."""
    ReserveMember.objects.filter(profile__user=user).delete()
