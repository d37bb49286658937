"""Workshops and meetings: what managers set up, what residents register for, what the
services note afterwards (minutes, attendance, proposals born there).

Seats are counted under a row lock on the meeting: two residents taking the last seat at the
same instant are serialised, so that a meeting of 30 never confirms 31; a cancellation hands
the seat to the first on the waiting list in the same transaction, and tells them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.tasks import task  # type: ignore[import-not-found,unused-ignore]
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from beffroi.accounts.models import User
from beffroi.alerts.models import Subscriber
from beffroi.core.audit import audit_record
from beffroi.core.phone import phone_e164, phone_parse
from beffroi.core.templatetags.core_formats import long_date
from beffroi.participation import access
from beffroi.participation.access import ActionRefused, Decision
from beffroi.participation.meetings.selectors import reminders_due
from beffroi.participation.models import (
    Action,
    Meeting,
    Participant,
    Process,
    Proposal,
    Registration,
)
from beffroi.participation.notifications.services import notify
from beffroi.participation.participants.services import (
    participant_for_subscriber,
    participant_for_user,
)
from beffroi.participation.richtext import clean_html
from beffroi.territory.models import Address

Status = Registration.Status

# What an agent may vouch for when registering someone on the phone: the person's proof of
# identity online (an account's confirmed e-mail, an SMS code), not the phase or a block.
_VOUCHED_BY_AGENT = frozenset({"login", "email_unverified"})


class MeetingError(Exception):
    """Refused input, with translated messages per form field ("__all__" for the form)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


def _refused(code: str, message: str) -> ActionRefused:
    return ActionRefused(Decision(False, code, message))


@dataclass(frozen=True)
class MeetingData:
    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    place_name: str = ""
    address_id: int | None = None
    address_text: str = ""
    lat: float | None = None
    lon: float | None = None
    online_url: str = ""
    agenda: str = ""
    accessibility: str = ""
    capacity: int | None = None
    registration_open: bool = True


_FIELDS = (
    "title",
    "kind",
    "starts_at",
    "ends_at",
    "description",
    "place_name",
    "address_text",
    "lat",
    "lon",
    "online_url",
    "agenda",
    "accessibility",
    "capacity",
    "registration_open",
)


def _checked(data: MeetingData, organisation_id: int) -> dict[str, Any]:
    """The model values of ``data``, or ``MeetingError`` with every problem at once."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {name: getattr(data, name) for name in _FIELDS}
    for name in ("title", "description", "place_name", "address_text", "agenda", "accessibility"):
        values[name] = (values[name] or "").strip()
    if not values["title"]:
        errors.setdefault("title", []).append(_("Give the meeting a title."))
    if data.kind not in Meeting.Kind.values:
        errors.setdefault("kind", []).append(_("Choose in person, online or both."))
    if data.ends_at <= data.starts_at:
        errors.setdefault("ends_at", []).append(_("The meeting must end after it starts."))
    if data.address_id is not None:
        address = (
            Address.objects.filter(pk=data.address_id, organisation_id=organisation_id)
            .select_related("street", "commune")
            .first()
        )
        if address is None:
            errors.setdefault("address", []).append(_("Choose an address of the commune."))
        else:
            values["address_text"] = address.label
            values["lat"], values["lon"] = address.lat, address.lon
    if (values["lat"] is None) != (values["lon"] is None):
        errors.setdefault("lat", []).append(_("Give both the latitude and the longitude."))
    elif values["lat"] is not None and not (
        -90 <= values["lat"] <= 90 and -180 <= values["lon"] <= 180
    ):
        errors.setdefault("lat", []).append(_("This point is not on Earth."))
    in_person = data.kind in (Meeting.Kind.IN_PERSON, Meeting.Kind.HYBRID)
    online = data.kind in (Meeting.Kind.ONLINE, Meeting.Kind.HYBRID)
    if in_person and not (values["place_name"] or values["address_text"] or values["lat"]):
        errors.setdefault("place_name", []).append(
            _("Say where the meeting takes place: a place name, an address or a point.")
        )
    url = (data.online_url or "").strip()
    if url and not url.lower().startswith(("https://", "http://")):
        errors.setdefault("online_url", []).append(_("Enter a web address (https://…)."))
    if online and not url:
        errors.setdefault("online_url", []).append(
            _("Give the link residents use to join the meeting online.")
        )
    values["online_url"] = url if online else ""
    if not in_person:
        values.update(place_name="", address_text="", lat=None, lon=None)
    if data.capacity is not None and data.capacity < 1:
        errors.setdefault("capacity", []).append(
            _("Give at least one seat, or leave empty for no limit.")
        )
    if errors:
        raise MeetingError(errors)
    return values


def meeting_path(meeting: Meeting) -> str:
    process: Process = meeting.process
    return reverse("participation_meetings:detail", args=[process.slug, meeting.pk])


def _when(meeting: Meeting) -> str:
    return long_date(timezone.localtime(meeting.starts_at), "DATETIME_FORMAT")


def _where(meeting: Meeting) -> str:
    place = ", ".join(p for p in (meeting.place_name, meeting.address_text) if p)
    if meeting.kind == Meeting.Kind.ONLINE:
        return _("online")
    if meeting.kind == Meeting.Kind.HYBRID:
        return _("%(place)s and online") % {"place": place}
    return place


def _notify_registrants(
    meeting: Meeting, statuses: tuple[str, ...], title: str, body: str = ""
) -> int:
    recipients = Participant.objects.filter(
        registrations__meeting=meeting, registrations__status__in=statuses
    )
    return notify(
        recipients=recipients, kind="meeting", title=title, body=body, url=meeting_path(meeting)
    )


def _texts() -> Any:
    """Notifications are stored text: written in the installation's language."""
    return translation.override(settings.LANGUAGE_CODE)


# --- Managers ------------------------------------------------------------------------------


def meeting_create(*, process: Process, actor: User, data: MeetingData) -> Meeting:
    values = _checked(data, process.organisation_id)
    return Meeting.objects.create(
        organisation_id=process.organisation_id, process=process, **values
    )


def meeting_update(*, meeting: Meeting, actor: User, data: MeetingData) -> Meeting:
    """Save the changes; more seats (or no limit) promote the waiting list; a new date or
    place is told to everyone registered, and a moved meeting is reminded again."""
    values = _checked(data, meeting.organisation_id)
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().select_related("process").get(pk=meeting.pk)
        if locked.cancelled_at is not None:
            raise MeetingError({"__all__": [_("This meeting is cancelled: it cannot be changed.")]})
        moved = values["starts_at"] != locked.starts_at or values["ends_at"] != locked.ends_at
        relocated = any(
            values[name] != getattr(locked, name)
            for name in ("kind", "place_name", "address_text", "online_url")
        )
        for name, value in values.items():
            setattr(locked, name, value)
        if moved:
            locked.reminders_sent_at = None
        locked.save()
        _promote(locked)
        if moved or relocated:
            with _texts():
                _notify_registrants(
                    locked,
                    (Status.CONFIRMED, Status.WAITING),
                    _("The meeting “%(title)s” has changed: %(when)s, %(where)s")
                    % {"title": locked.title, "when": _when(locked), "where": _where(locked)},
                )
    return locked


def meeting_cancel(
    *, meeting: Meeting, actor: User, reason: str = "", request: HttpRequest | None = None
) -> Meeting:
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().select_related("process").get(pk=meeting.pk)
        if locked.cancelled_at is not None:
            return locked
        if locked.ends_at <= timezone.now():
            raise MeetingError({"__all__": [_("This meeting is over: it cannot be cancelled.")]})
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["cancelled_at"])
        with _texts():
            _notify_registrants(
                locked,
                (Status.CONFIRMED, Status.WAITING),
                _("The meeting “%(title)s” of %(when)s is cancelled")
                % {"title": locked.title, "when": _when(locked)},
                reason.strip(),
            )
        audit_record(
            action="participation.meeting.cancel",
            organisation=locked.organisation,
            actor=actor,
            target=locked,
            reason=reason.strip()[:500],
            request=request,
        )
    return locked


def meeting_minutes_save(
    *,
    meeting: Meeting,
    actor: User,
    minutes: str,
    publish: bool,
    attendance: int | None,
    now: datetime | None = None,
) -> Meeting:
    """Minutes (sanitised HTML) and the head count, once the meeting has taken place.
    Registrants are told when the minutes are first published."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    clean = clean_html(minutes)
    if meeting.cancelled_at is not None:
        errors["__all__"] = [_("This meeting is cancelled: it has no minutes.")]
    elif meeting.starts_at > now and (clean or publish or attendance is not None):
        errors["__all__"] = [_("The meeting has not taken place yet.")]
    if publish and not clean:
        errors.setdefault("minutes", []).append(_("Write the minutes before publishing them."))
    if attendance is not None and attendance < 0:
        errors.setdefault("attendance", []).append(_("Enter a number of people."))
    if errors:
        raise MeetingError(errors)
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().select_related("process").get(pk=meeting.pk)
        first_publication = publish and locked.minutes_published_at is None
        locked.minutes = clean
        locked.attendance = attendance
        if not publish:
            locked.minutes_published_at = None
        elif first_publication:
            locked.minutes_published_at = now
        locked.save(update_fields=["minutes", "attendance", "minutes_published_at"])
        if first_publication:
            with _texts():
                _notify_registrants(
                    locked,
                    (Status.CONFIRMED,),
                    _("The minutes of the meeting “%(title)s” are published")
                    % {"title": locked.title},
                )
    return locked


def registrations_mark_attended(
    *, meeting: Meeting, actor: User, present: set[int], now: datetime | None = None
) -> int:
    """Mark who came among the registered (confirmed or waiting); the others as absent.
    Returns how many were present."""
    now = now or timezone.now()
    if meeting.starts_at > now:
        raise MeetingError({"__all__": [_("The meeting has not taken place yet.")]})
    if meeting.cancelled_at is not None:
        raise MeetingError({"__all__": [_("This meeting is cancelled: it has no minutes.")]})
    with transaction.atomic():
        active = Registration.objects.filter(
            meeting=meeting, status__in=(Status.CONFIRMED, Status.WAITING)
        )
        came = active.filter(pk__in=present).update(attended=True, updated_at=now)
        active.exclude(pk__in=present).update(attended=False, updated_at=now)
    return came


def meeting_proposal_attach(*, meeting: Meeting, actor: User, proposal_id: int) -> Proposal:
    proposal = Proposal.objects.filter(pk=proposal_id, process_id=meeting.process_id).first()
    if proposal is None:
        raise MeetingError({"proposal": [_("Choose a proposal of this process.")]})
    proposal.meeting = meeting
    proposal.save(update_fields=["meeting", "updated_at"])
    return proposal


def meeting_proposal_detach(*, meeting: Meeting, actor: User, proposal_id: int) -> None:
    Proposal.objects.filter(pk=proposal_id, meeting=meeting).update(meeting=None)


# --- Registrations -------------------------------------------------------------------------


def _check_open(meeting: Meeting, now: datetime) -> None:
    if meeting.cancelled_at is not None:
        raise _refused("meeting_cancelled", _("This meeting is cancelled."))
    if meeting.starts_at <= now:
        raise _refused("meeting_started", _("This meeting has already started."))
    if not meeting.registration_open:
        raise _refused("registration_closed", _("Registration for this meeting is closed."))


def _promote(meeting: Meeting, now: datetime | None = None) -> list[Registration]:
    """Seat the first on the waiting list while seats are free, and tell them. Expects the
    meeting's row lock held."""
    now = now or timezone.now()
    if meeting.cancelled_at is not None or meeting.starts_at <= now:
        return []
    promoted: list[Registration] = []
    waiting = Registration.objects.filter(meeting=meeting, status=Status.WAITING).order_by(
        "created_at", "pk"
    )
    if meeting.capacity is not None:
        confirmed = Registration.objects.filter(meeting=meeting, status=Status.CONFIRMED).count()
        free = max(meeting.capacity - confirmed, 0)
        if not free:
            return []
        waiting = waiting[:free]
    for registration in waiting.select_related("participant"):
        registration.status = Status.CONFIRMED
        registration.save(update_fields=["status", "updated_at"])
        promoted.append(registration)
    if promoted:
        with _texts():
            title = _("A seat is free: you are registered for “%(title)s”") % {
                "title": meeting.title
            }
            body = _("%(when)s, %(where)s. If you cannot come, cancel your registration.") % {
                "when": _when(meeting),
                "where": _where(meeting),
            }
            notify(
                recipients=[r.participant for r in promoted],
                kind="meeting",
                title=title,
                body=body,
                url=meeting_path(meeting),
            )
    return promoted


def _register(meeting: Meeting, participant: Participant, now: datetime) -> Registration:
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        _check_open(locked, now)
        existing = (
            Registration.objects.select_for_update()
            .filter(meeting=locked, participant=participant)
            .first()
        )
        if existing is not None and existing.status != Status.CANCELLED:
            return existing
        confirmed = Registration.objects.filter(meeting=locked, status=Status.CONFIRMED).count()
        full = locked.capacity is not None and confirmed >= locked.capacity
        status = Status.WAITING if full else Status.CONFIRMED
        if existing is None:
            return Registration.objects.create(
                meeting=locked, participant=participant, status=status
            )
        # Registering again after cancelling: at the end of the waiting list.
        existing.status = status
        existing.attended = None
        existing.created_at = now
        existing.save(update_fields=["status", "attended", "created_at", "updated_at"])
        return existing


def registration_create(
    *, meeting: Meeting, participant: Participant | None, now: datetime | None = None
) -> Registration:
    """Register ``participant``: confirmed while seats are free, else on the waiting list.
    Registering twice returns the registration already held."""
    now = now or timezone.now()
    process = Process.objects.prefetch_related("phases").get(pk=meeting.process_id)
    person = access.check(participant, process, Action.REGISTER_MEETING, now=now)
    return _register(meeting, person, now)


def registration_cancel(
    *, registration: Registration, now: datetime | None = None
) -> list[Registration]:
    """Cancel; a confirmed seat goes to the first on the waiting list (returned, notified).
    Always possible until the meeting starts, whatever the phase: someone who cannot come
    must be able to free the seat."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = (
            Meeting.objects.select_for_update()
            .select_related("process")
            .get(pk=registration.meeting_id)
        )
        locked = Registration.objects.get(pk=registration.pk)
        if locked.status == Status.CANCELLED:
            return []
        if meeting.starts_at <= now:
            raise _refused("meeting_started", _("This meeting has already started."))
        locked.status = Status.CANCELLED
        locked.save(update_fields=["status", "updated_at"])
        registration.status = locked.status
        return _promote(meeting, now)


# --- On behalf of a resident (telephone, front desk) ---------------------------------------


def participant_for_contact(*, organisation_id: int, contact: str) -> Participant:
    """The participant reached at ``contact`` (an e-mail address of an account or of a person
    registered for alerts, or a phone number registered for alerts), created on first use;
    ``MeetingError`` when nobody of the commune is known there."""
    contact = (contact or "").strip()
    if not contact:
        raise MeetingError({"contact": [_("Enter the person's phone number or e-mail address.")]})
    subscribers = Subscriber.objects.filter(
        organisation_id=organisation_id, unsubscribed_at__isnull=True
    ).select_related("organisation", "user")
    if "@" in contact:
        user = User.objects.filter(email__iexact=contact, is_active=True).first()
        if user is not None:
            from beffroi.territory.models import Organisation

            organisation = Organisation.objects.get(pk=organisation_id)
            return participant_for_user(user=user, organisation=organisation)
        subscriber = subscribers.filter(email__iexact=contact).first()
    else:
        try:
            number = phone_e164(phone_parse(contact))
        except ValidationError:
            raise MeetingError(
                {"contact": [_("Enter a phone number such as 06 12 34 56 78, or an e-mail.")]}
            ) from None
        subscriber = subscribers.filter(Q(sms_number=number) | Q(voice_number=number)).first()
    if subscriber is None:
        raise MeetingError(
            {
                "contact": [
                    _(
                        "Nobody is registered with this contact. Register the person for "
                        "alerts first (with their consent), then register them here."
                    )
                ]
            }
        )
    return participant_for_subscriber(subscriber=subscriber)


def registration_create_on_behalf(
    *,
    meeting: Meeting,
    actor: User,
    contact: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Registration:
    """An agent registers a resident who called or came to the front desk. The agent vouches
    for who the person is; the phase, blocks and the process's rules still apply."""
    now = now or timezone.now()
    person = participant_for_contact(organisation_id=meeting.organisation_id, contact=contact)
    process = Process.objects.prefetch_related("phases").get(pk=meeting.process_id)
    decision = access.decide(person, process, Action.REGISTER_MEETING, now=now)
    if not decision.allowed and decision.code not in _VOUCHED_BY_AGENT:
        raise ActionRefused(decision)
    held = (
        Registration.objects.filter(meeting=meeting, participant=person)
        .exclude(status=Status.CANCELLED)
        .first()
    )
    if held is not None:
        # Already registered (the same number typed another way): nothing changes, nobody
        # is told twice; ``already`` lets the agent know.
        held.already = True  # type: ignore[attr-defined]
        return held
    registration = _register(meeting, person, now)
    with _texts():
        if registration.status == Status.CONFIRMED:
            title = _("The town hall registered you for “%(title)s”")
        else:
            title = _("The town hall put you on the waiting list of “%(title)s”")
        notify(
            recipients=[person],
            kind="meeting",
            title=title % {"title": meeting.title},
            body=_("%(when)s, %(where)s. If you cannot come, cancel your registration.")
            % {"when": _when(meeting), "where": _where(meeting)},
            url=meeting_path(meeting),
        )
    audit_record(
        action="participation.meeting.register_on_behalf",
        organisation=meeting.organisation,
        actor=actor,
        target=registration,
        data={"meeting": meeting.pk, "participant": person.pk, "status": registration.status},
        request=request,
    )
    return registration


def registration_cancel_by_agent(
    *, registration: Registration, actor: User, request: HttpRequest | None = None
) -> list[Registration]:
    promoted = registration_cancel(registration=registration)
    audit_record(
        action="participation.meeting.cancel_registration",
        organisation=registration.meeting.organisation,
        actor=actor,
        target=registration,
        data={"meeting": registration.meeting_id, "participant": registration.participant_id},
        request=request,
    )
    return promoted


# --- Reminders -----------------------------------------------------------------------------

# How often ``meeting_reminders_send`` runs in the workers' periodic loop (``beffroi periodic``
# / ``beffroi participation_meeting_reminders`` from cron otherwise).
REMINDERS_EVERY_SECONDS = 15 * 60


def meeting_reminders_send(*, now: datetime | None = None) -> int:
    """Remind the confirmed registrants of each meeting starting before the end of
    tomorrow, once: the meeting is claimed with a conditional update, so that two runs at
    once (a cron and a worker) never remind twice. Returns the number of meetings reminded."""
    now = now or timezone.now()
    reminded = 0
    for meeting_id in list(reminders_due(now=now).values_list("pk", flat=True)):
        with transaction.atomic():
            claimed = Meeting.objects.filter(
                pk=meeting_id, reminders_sent_at__isnull=True, cancelled_at__isnull=True
            ).update(reminders_sent_at=now)
            if not claimed:
                continue
            meeting = Meeting.objects.select_related("process").get(pk=meeting_id)
            with _texts():
                tomorrow = timezone.localtime(meeting.starts_at).date() > (
                    timezone.localtime(now).date()
                )
                template = (
                    _("Reminder: “%(title)s” is tomorrow")
                    if tomorrow
                    else _("Reminder: “%(title)s” is today")
                )
                body = _("%(when)s, %(where)s. If you cannot come, cancel your registration.") % {
                    "when": _when(meeting),
                    "where": _where(meeting),
                }
                if meeting.online_url:
                    body += "\n" + _("Link to join: %(url)s") % {"url": meeting.online_url}
                _notify_registrants(
                    meeting, (Status.CONFIRMED,), template % {"title": meeting.title}, body
                )
            reminded += 1
    return reminded


@task(queue_name="default")  # type: ignore[misc,unused-ignore]
def send_meeting_reminders() -> int:
    return meeting_reminders_send()


# --- GDPR ----------------------------------------------------------------------------------


def export_registrations(user: User) -> list[dict[str, Any]]:
    return [
        {
            "meeting": registration.meeting.title,
            "process": registration.meeting.process.title,
            "starts_at": registration.meeting.starts_at.isoformat(),
            "status": registration.status,
            "attended": registration.attended,
            "registered_at": registration.created_at.isoformat(),
        }
        for registration in Registration.objects.filter(participant__user=user)
        .select_related("meeting__process")
        .order_by("created_at", "pk")
    ]


def erase_registrations(user: User) -> None:
    """Free the person's seats in meetings to come (the waiting list moves up), then delete
    their registrations; the meetings' head counts stay."""
    now = timezone.now()
    registrations = Registration.objects.filter(participant__user=user)
    for registration in registrations.filter(
        status=Status.CONFIRMED, meeting__starts_at__gt=now, meeting__cancelled_at__isnull=True
    ):
        registration_cancel(registration=registration, now=now)
    registrations.delete()
