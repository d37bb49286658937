"""Missions: every write.

An association's managers or the commune's agents create a mission as a draft, publish it,
and close or cancel it; its slots are added one by one or materialised from a weekly
recurring schedule. ``mission_status_refresh`` keeps PUBLISHED and FULL in step with the
places left, and the applications area calls it after every application or cancellation.

Statuses: draft → published ↔ full → closed (no new application; the slots and the
applications stay) or cancelled (from any status but cancelled: the future slots are
cancelled, their live applications too, and each volunteer is told). A closed mission may be
published again. Every transition is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from beffroi.accounts.models import User
from beffroi.core.audit import audit_record
from beffroi.territory.models import Organisation
from beffroi.territory.selectors import addresses_resolve
from beffroi.volunteering.models import (
    Activity,
    Application,
    Association,
    Certification,
    Mission,
    Skill,
    Slot,
    Urgency,
    VolunteerProfile,
)
from beffroi.volunteering.notify import VolunteerMessage, volunteer_message_send
from beffroi.volunteering.rules import FIRST_YEAR, LAST_YEAR, plausible_day

# A recurring schedule is materialised at most this far ahead: beyond, apply it again.
SCHEDULE_MAX_WEEKS = 26
MAX_NEEDED = 500
MAX_AGE = 99
# Applications that hold a place or wait for one: what a cancellation ends.
LIVE_STATES = (
    Application.State.PENDING,
    Application.State.ACCEPTED,
    Application.State.WAITLISTED,
)


# Slots' dates: within the plausible years (rules.py), and no further ahead than this.
YEARS_AHEAD = 2


def slot_date_error(day: date) -> str:
    """Why a slot cannot be on ``day`` (translated), or "" when it can: a date outside
    2000–2100, or more than two years ahead (a typo such as 9999 would hold forever)."""
    if not plausible_day(day):
        return _("Enter a date between %(first)s and %(last)s.") % {
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
    today = timezone.localdate()
    try:
        latest = today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        latest = today.replace(year=today.year + YEARS_AHEAD, day=28)
    if day > latest:
        return _("A slot is at most two years ahead: enter a date before %(date)s.") % {
            "date": date_format(latest, "SHORT_DATE_FORMAT")
        }
    return ""


class MissionRefused(Exception):
    """A write the rules refuse; ``str()`` is a translated message for the person."""


@dataclass
class MissionInput:
    """A mission as the form sends it (validated again here)."""

    title: str
    description: str
    activities: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    remote: bool = False
    street_address: str = ""
    lat: float | None = None
    lon: float | None = None
    min_age: int | None = None
    certifications: list[str] = field(default_factory=list)
    urgency: str = Urgency.NORMAL
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    reserve_only: bool = False

    FIELDS = (
        "title",
        "description",
        "activities",
        "skills",
        "remote",
        "street_address",
        "lat",
        "lon",
        "min_age",
        "certifications",
        "urgency",
        "contact_name",
        "contact_email",
        "contact_phone",
        "reserve_only",
    )

    @classmethod
    def of(cls, mission: Mission) -> MissionInput:
        return cls(**{name: getattr(mission, name) for name in cls.FIELDS})


def _unknown(values: list[str], known: list[str]) -> str:
    rest = sorted(set(values) - set(known))
    return rest[0] if rest else ""


def _check_input(data: MissionInput) -> None:
    data.title = data.title.strip()
    data.description = data.description.strip()
    data.street_address = data.street_address.strip()
    if not data.title:
        raise MissionRefused(_("The title is required."))
    if not data.description:
        raise MissionRefused(_("The description is required."))
    for values, known in (
        (data.activities, Activity.values),
        (data.skills, Skill.values),
        (data.certifications, Certification.values),
    ):
        value = _unknown(values, known)
        if value:
            raise MissionRefused(_("Unknown value: %(value)s.") % {"value": value})
    if data.urgency not in Urgency.values:
        raise MissionRefused(_("Choose an urgency."))
    if data.min_age is not None and not 0 < data.min_age <= MAX_AGE:
        raise MissionRefused(_("The minimum age is a number of years between 1 and 99."))
    if (data.lat is None) != (data.lon is None):
        raise MissionRefused(_("Give both the latitude and the longitude, or neither."))
    if (
        data.lat is not None
        and data.lon is not None
        and not (-90 <= data.lat <= 90 and -180 <= data.lon <= 180)
    ):
        raise MissionRefused(_("This point is not on the Earth."))
    if data.remote:
        data.street_address, data.lat, data.lon = "", None, None
    elif not data.street_address and data.lat is None:
        raise MissionRefused(
            _("Give the address of the mission, or a point on the map, or say it is remote.")
        )


def _locate(organisation: Organisation, mission: Mission) -> None:
    """Place a mission without a point at its address, among the commune's addresses; an
    address not found leaves it off the map (its page still gives the address)."""
    if mission.remote or mission.lat is not None or not mission.street_address:
        return
    [match] = addresses_resolve(organisation=organisation, queries=[mission.street_address])
    if match is not None:
        mission.lat, mission.lon = match.lat, match.lon


def _fill(mission: Mission, data: MissionInput) -> list[str]:
    changed = [
        name for name in MissionInput.FIELDS if getattr(mission, name) != getattr(data, name)
    ]
    for name in changed:
        setattr(mission, name, getattr(data, name))
    if "street_address" in changed and "lat" not in changed and "lon" not in changed:
        mission.lat = mission.lon = None  # the old point was the old address's
    return changed


@transaction.atomic
def mission_create(
    *,
    organisation: Organisation,
    association: Association | None,
    actor: User,
    data: MissionInput,
) -> Mission:
    """A new mission, as a draft, of ``association`` or, without one, of the commune (the
    caller checked the actor may)."""
    if association is not None and association.organisation_id != organisation.pk:
        raise MissionRefused(_("This association is not one of the commune's."))
    _check_input(data)
    mission = Mission(organisation=organisation, association=association, created_by=actor)
    _fill(mission, data)
    _locate(organisation, mission)
    mission.save()
    audit_record(
        action="mission.create",
        organisation=organisation,
        actor=actor,
        target=mission,
        data={"association": association.pk if association else None},
    )
    return mission


def _locked(mission: Mission) -> Mission:
    return (
        Mission.objects.select_for_update(of=("self",))
        .select_related("association")
        .get(pk=mission.pk)
    )


# Lock order, the applications area's too: a slot's row (ordered by pk when several), then its
# mission's (``mission_status_refresh``). Taking them the other way round could deadlock with a
# volunteer applying at the same moment.


def _future_slots_locked(mission: Mission) -> list[Slot]:
    return list(
        Slot.objects.select_for_update(of=("self",))
        .filter(mission=mission, cancelled=False, starts_at__gt=timezone.now())
        .order_by("pk")
    )


@transaction.atomic
def mission_update(*, mission: Mission, actor: User, data: MissionInput) -> Mission:
    """Edit a mission (not a cancelled one)."""
    mission = _locked(mission)
    if mission.status == Mission.Status.CANCELLED:
        raise MissionRefused(_("A cancelled mission cannot be changed."))
    _check_input(data)
    changed = _fill(mission, data)
    _locate(mission.organisation, mission)
    mission.save()
    audit_record(
        action="mission.update",
        organisation=mission.organisation,
        actor=actor,
        target=mission,
        data={"fields": changed},
    )
    return mission


def _future_slots(mission: Mission) -> list[Slot]:
    return list(Slot.objects.filter(mission=mission, cancelled=False, starts_at__gt=timezone.now()))


def _status_for(slots: list[Slot]) -> str:
    room = any(s.accepted_count < s.volunteers_needed for s in slots)
    # A mission without future slot is not "full": it stays published until closed.
    return Mission.Status.PUBLISHED if room or not slots else Mission.Status.FULL


@transaction.atomic
def mission_status_refresh(*, mission_id: int) -> str:
    """Move a published mission to FULL when none of its future, non-cancelled slots has a
    place left, and a full one back to PUBLISHED when a place frees up (or a slot is
    added). Other statuses are left alone. Returns the status."""
    mission = Mission.objects.select_for_update(of=("self",)).get(pk=mission_id)
    if mission.status not in (Mission.Status.PUBLISHED, Mission.Status.FULL):
        return str(mission.status)
    wanted = _status_for(_future_slots(mission))
    if mission.status != wanted:
        mission.status = wanted
        mission.save(update_fields=["status", "updated_at"])
    return str(mission.status)


def _transition(mission: Mission, actor: User, status: str, reason: str = "") -> None:
    before = mission.status
    mission.status = status
    mission.save(update_fields=["status", "published_at", "updated_at"])
    audit_record(
        action=f"mission.{status}" if status != Mission.Status.FULL else "mission.published",
        organisation=mission.organisation,
        actor=actor,
        target=mission,
        reason=reason,
        data={"from": before, "to": status},
    )


@transaction.atomic
def mission_publish(*, mission: Mission, actor: User) -> Mission:
    """A draft (or a closed mission, reopened) is published: residents see it and apply.
    It needs a future slot; it is FULL at once when they hold no place left."""
    mission = _locked(mission)
    if mission.status not in (Mission.Status.DRAFT, Mission.Status.CLOSED):
        raise MissionRefused(_("Only a draft or a closed mission can be published."))
    slots = _future_slots(mission)
    if not slots:
        raise MissionRefused(_("Add at least one future slot before publishing the mission."))
    if mission.published_at is None:
        mission.published_at = timezone.now()
    _transition(mission, actor, _status_for(slots))
    return mission


@transaction.atomic
def mission_close(*, mission: Mission, actor: User) -> Mission:
    """No new application: the slots and the volunteers already accepted stay."""
    mission = _locked(mission)
    if mission.status not in (Mission.Status.PUBLISHED, Mission.Status.FULL):
        raise MissionRefused(_("Only a published or full mission can be closed."))
    _transition(mission, actor, Mission.Status.CLOSED)
    return mission


@transaction.atomic
def mission_set_urgency(*, mission: Mission, actor: User, urgency: str) -> Mission:
    mission = _locked(mission)
    if urgency not in Urgency.values:
        raise MissionRefused(_("Choose an urgency."))
    if mission.status == Mission.Status.CANCELLED:
        raise MissionRefused(_("A cancelled mission cannot be changed."))
    if mission.urgency != urgency:
        before = mission.urgency
        mission.urgency = urgency
        mission.save(update_fields=["urgency", "updated_at"])
        audit_record(
            action="mission.urgency",
            organisation=mission.organisation,
            actor=actor,
            target=mission,
            data={"from": before, "to": urgency},
        )
    return mission


# --- Telling volunteers ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Told:
    application_id: int
    profile_id: int
    slot_starts_at: datetime


def _slot_when(starts_at: datetime) -> str:
    return date_format(timezone.localtime(starts_at), "DATETIME_FORMAT")


def _cancel_applications(slots: list[Slot], reason: str) -> list[_Told]:
    """Cancel the live applications of ``slots`` (locked by the caller) for the organiser,
    free their places, and say whom to tell."""
    applications = list(
        Application.objects.select_for_update(of=("self",))
        .filter(slot__in=slots, state__in=LIVE_STATES)
        .select_related("slot")
    )
    told = [_Told(a.pk, a.profile_id, a.slot.starts_at) for a in applications]
    Application.objects.filter(pk__in=[a.pk for a in applications]).update(
        state=Application.State.CANCELLED,
        cancelled_by=Application.CancelledBy.ORGANISER,
        cancel_reason=reason,
        updated_at=timezone.now(),
    )
    Slot.objects.filter(pk__in=[s.pk for s in slots]).update(accepted_count=0)
    return told


def _tell(mission: Mission, told: list[_Told], reason: str, *, whole: bool) -> int:
    """One message per cancelled application; returns how many went out."""
    profiles = VolunteerProfile.objects.select_related("organisation").in_bulk(
        {t.profile_id for t in told}
    )
    sent = 0
    for item in told:
        profile = profiles.get(item.profile_id)
        if profile is None:
            continue
        when = _slot_when(item.slot_starts_at)
        values = {"title": mission.title, "when": when, "reason": reason}
        if whole:
            subject = _("Mission cancelled: %(title)s") % values
            text = _(
                "Hello,\n\nThe mission “%(title)s” is cancelled, and with it your application "
                "for the slot of %(when)s.\n\nReason given by the organiser: %(reason)s\n\n"
                "Thank you for your commitment: other missions are waiting for you."
            )
            sms = _("Mission “%(title)s” of %(when)s cancelled: %(reason)s")
        else:
            subject = _("Slot cancelled: %(title)s, %(when)s") % values
            text = _(
                "Hello,\n\nThe slot of %(when)s of the mission “%(title)s” is cancelled, and "
                "with it your application.\n\nReason given by the organiser: %(reason)s\n\n"
                "The other slots of the mission are still open."
            )
            sms = _("Slot of %(when)s of the mission “%(title)s” cancelled: %(reason)s")
        message = VolunteerMessage(
            key=f"vol-cancel-{item.application_id}",
            subject=subject,
            text=text % values,
            sms_text=(sms % values)[:300],
        )
        if volunteer_message_send(profile=profile, message=message):
            sent += 1
    return sent


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise MissionRefused(_("Give the reason of the cancellation: the volunteers read it."))
    return reason


def mission_cancel(*, mission: Mission, actor: User, reason: str) -> Mission:
    """Cancel the mission: its future slots and their live applications (cancelled by the
    organiser, the reason kept), and each volunteer is told by e-mail or SMS once the
    cancellation is written. Past slots keep their applications (attendance, hours)."""
    reason = _check_reason(reason)
    with transaction.atomic():
        slots = _future_slots_locked(mission)
        mission = _locked(mission)
        if mission.status == Mission.Status.CANCELLED:
            raise MissionRefused(_("This mission is already cancelled."))
        told = _cancel_applications(slots, reason)
        Slot.objects.filter(pk__in=[s.pk for s in slots]).update(cancelled=True)
        _transition(mission, actor, Mission.Status.CANCELLED, reason)
    _tell(mission, told, reason, whole=True)
    return mission


# --- Slots -----------------------------------------------------------------------------------


def _check_slot(starts_at: datetime, ends_at: datetime, needed: int) -> None:
    for moment in (starts_at, ends_at):
        try:
            day = timezone.localtime(moment).date()
        except OverflowError:  # the last day of year 9999 in UTC
            day = moment.date()
        if error := slot_date_error(day):
            raise MissionRefused(error)
    if ends_at <= starts_at:
        raise MissionRefused(_("The slot must end after it starts."))
    if starts_at <= timezone.now():
        raise MissionRefused(_("The slot must start in the future."))
    if ends_at - starts_at > timedelta(days=2):
        raise MissionRefused(_("A slot lasts two days at most: add several slots."))
    if not 1 <= needed <= MAX_NEEDED:
        raise MissionRefused(_("The number of volunteers needed is between 1 and 500."))


def _check_open(mission: Mission) -> None:
    if mission.status == Mission.Status.CANCELLED:
        raise MissionRefused(_("A cancelled mission cannot be changed."))


@transaction.atomic
def slot_add(
    *, mission: Mission, actor: User, starts_at: datetime, ends_at: datetime, needed: int
) -> Slot:
    mission = _locked(mission)
    _check_open(mission)
    _check_slot(starts_at, ends_at, needed)
    slot = Slot.objects.create(
        mission=mission, starts_at=starts_at, ends_at=ends_at, volunteers_needed=needed
    )
    mission_status_refresh(mission_id=mission.pk)
    return slot


def slot_update(
    *, slot: Slot, actor: User, starts_at: datetime, ends_at: datetime, needed: int
) -> Slot:
    """Move a slot or change its number of places: never below the places already held. When
    it moves, the volunteers who applied to it are told its new time."""
    with transaction.atomic():
        slot = Slot.objects.select_for_update(of=("self",)).get(pk=slot.pk)
        mission = _locked(slot.mission)
        _check_open(mission)
        if slot.cancelled:
            raise MissionRefused(_("This slot is cancelled."))
        if slot.starts_at <= timezone.now():
            raise MissionRefused(_("A slot that has started cannot be changed."))
        _check_slot(starts_at, ends_at, needed)
        if needed < slot.accepted_count:
            raise MissionRefused(
                _("%(held)s places are already held on this slot: ask for %(held)s or more.")
                % {"held": slot.accepted_count}
            )
        before = slot.starts_at
        moved = (slot.starts_at, slot.ends_at) != (starts_at, ends_at)
        slot.starts_at, slot.ends_at, slot.volunteers_needed = starts_at, ends_at, needed
        slot.save(update_fields=["starts_at", "ends_at", "volunteers_needed"])
        told = (
            list(
                Application.objects.filter(slot=slot, state__in=LIVE_STATES).values_list(
                    "pk", "profile_id"
                )
            )
            if moved
            else []
        )
        mission_status_refresh(mission_id=mission.pk)
    if told:
        _tell_moved(mission, slot, before, told)
    return slot


def _tell_moved(
    mission: Mission, slot: Slot, before: datetime, told: list[tuple[int, int]]
) -> None:
    profiles = VolunteerProfile.objects.select_related("organisation").in_bulk(
        {profile_id for _pk, profile_id in told}
    )
    values = {
        "title": mission.title,
        "before": _slot_when(before),
        "when": _slot_when(slot.starts_at),
        "end": _slot_when(slot.ends_at),
    }
    for application_id, profile_id in told:
        profile = profiles.get(profile_id)
        if profile is None:
            continue
        volunteer_message_send(
            profile=profile,
            message=VolunteerMessage(
                key=f"vol-slot-moved-{application_id}-{int(slot.starts_at.timestamp())}",
                subject=_("Slot moved: %(title)s") % values,
                text=_(
                    "Hello,\n\nThe slot of the mission “%(title)s” you applied to has moved: "
                    "planned for %(before)s, it now runs from %(when)s to %(end)s.\n\n"
                    "If you can no longer come, cancel your application so that someone "
                    "else may take the place."
                )
                % values,
                sms_text=(
                    _("Mission “%(title)s”: your slot of %(before)s moves to %(when)s.") % values
                )[:300],
            ),
        )


def slot_remove(*, slot: Slot, actor: User, reason: str = "") -> int:
    """Take a future slot off: deleted when nobody ever applied, otherwise cancelled with its
    live applications, and each volunteer told (the reason is then required). Returns the
    number of volunteers told."""
    with transaction.atomic():
        slot = Slot.objects.select_for_update(of=("self",)).get(pk=slot.pk)
        mission = _locked(slot.mission)
        _check_open(mission)
        if slot.cancelled:
            raise MissionRefused(_("This slot is already cancelled."))
        if slot.starts_at <= timezone.now():
            raise MissionRefused(
                _("A slot that has started stays: its attendance and hours are recorded on it.")
            )
        told: list[_Told] = []
        if not Application.objects.filter(slot=slot).exists():
            slot.delete()
            reason = reason.strip()
        else:
            reason = _check_reason(reason)
            told = _cancel_applications([slot], reason)
            Slot.objects.filter(pk=slot.pk).update(cancelled=True)
        audit_record(
            action="mission.slot_remove",
            organisation=mission.organisation,
            actor=actor,
            target=mission,
            reason=reason,
            data={"applications": len(told)},
        )
        mission_status_refresh(mission_id=mission.pk)
    return _tell(mission, told, reason, whole=False)


def _aware(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


@transaction.atomic
def schedule_apply(
    *,
    mission: Mission,
    weekdays: list[int],
    start: time,
    end: time,
    from_date: date,
    until_date: date,
    needed: int,
    actor: User | None = None,
) -> int:
    """Materialise a weekly recurring schedule as slots (``weekdays``: 0 Monday … 6 Sunday,
    from ``from_date`` to ``until_date`` included, 26 weeks at most) and keep it on the
    mission. Applying again replaces the future slots of the previous schedule that nobody
    applied to; those with applications stay. Returns the number of slots created."""
    _future_slots_locked(mission)
    mission = _locked(mission)
    _check_open(mission)
    days = sorted(set(weekdays))
    if not days or any(d not in range(7) for d in days):
        raise MissionRefused(_("Choose at least one day of the week."))
    if end <= start:
        raise MissionRefused(_("The slot must end after it starts."))
    for day in (from_date, until_date):
        if error := slot_date_error(day):
            raise MissionRefused(error)
    if until_date < from_date:
        raise MissionRefused(_("The end date must be on or after the start date."))
    if until_date - from_date >= timedelta(weeks=SCHEDULE_MAX_WEEKS):
        raise MissionRefused(
            _("A schedule covers %(weeks)s weeks at most: apply it again later to go on.")
            % {"weeks": SCHEDULE_MAX_WEEKS}
        )
    if not 1 <= needed <= MAX_NEEDED:
        raise MissionRefused(_("The number of volunteers needed is between 1 and 500."))
    now = timezone.now()
    previous = Slot.objects.filter(mission=mission, from_schedule=True, starts_at__gt=now)
    previous.exclude(applications__isnull=False).delete()
    kept = set(
        Slot.objects.filter(mission=mission, cancelled=False, starts_at__gt=now).values_list(
            "starts_at", flat=True
        )
    )
    new: list[Slot] = []
    day = from_date
    while day <= until_date:
        if day.weekday() in days:
            starts_at = _aware(day, start)
            if starts_at > now and starts_at not in kept:
                new.append(
                    Slot(
                        mission=mission,
                        starts_at=starts_at,
                        ends_at=_aware(day, end),
                        volunteers_needed=needed,
                        from_schedule=True,
                    )
                )
        day += timedelta(days=1)
    if not new:
        raise MissionRefused(_("This schedule gives no future slot: check the dates and days."))
    Slot.objects.bulk_create(new)
    mission.schedule = {
        "weekdays": days,
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "from": from_date.isoformat(),
        "until": until_date.isoformat(),
        "needed": needed,
    }
    mission.save(update_fields=["schedule", "updated_at"])
    audit_record(
        action="mission.schedule",
        organisation=mission.organisation,
        actor=actor,
        target=mission,
        data={**mission.schedule, "slots": len(new)},
    )
    mission_status_refresh(mission_id=mission.pk)
    return len(new)
