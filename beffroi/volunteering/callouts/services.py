"""Crisis call-outs: every write.

The crisis cell (``CRISIS_ROLES``) or an association's managers call volunteers out for a
mission, wave after wave: each wave takes the next best-matched consenting volunteers
(reservists first for the crisis cell), gives each an unguessable token and sends everyone
of the wave over one connection per channel. Nobody who already takes part in the mission,
who said no to it, or whom a call-out for it reached in the last day is contacted. A
volunteer answers on the page of the link (choosing among the slots with room) or by SMS
("OUI" / "NON", confirmed by SMS); a "yes" applies to the chosen slot, by default the one
that fits them best, or puts them on the waiting list (and tells them) once the slots are
filled. Waves stop when the slots are filled, when nobody is left, or when an author stops
the call-out.

The call-out does not touch the mission's urgency: that stays the organiser's statement on
the mission's page, and a call-out that ends leaves nothing to restore.

The residents' consent is to be called in a crisis: an association's call-out is for an
urgent, near need only (its mission's next slot with room within
``CALLOUT_ASSOCIATION_HORIZON_DAYS``, and only the slots by then). "STOP" by SMS from a
volunteer's number withdraws that consent.

Limits (whatever reaches a person or costs money, counted atomically so that they hold under
concurrency): per destination (call-out messages a number or address receives a day), per
client (call-outs an author starts an hour), per organisation (contacts a day) and, for
associations, call-outs per association a day and volunteers per call-out, their SMS
counted against the organisation's daily budget outside alerts. An association's call-out
also reaches only the volunteers who let associations find them, never the reserve first,
and goes out in the association's name ("<association> (via <commune>)").
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext, pgettext

from beffroi.accounts.access import has_role
from beffroi.accounts.models import User
from beffroi.core.audit import audit_record
from beffroi.core.ratelimit import rate_hit
from beffroi.territory.models import Organisation
from beffroi.territory.selectors import organisation_url
from beffroi.territory.text import fold
from beffroi.volunteering.access import CRISIS_ROLES, can_manage
from beffroi.volunteering.callouts.selectors import (
    LIVE_APPLICATION_STATES,
    association_horizon_days,
    callout_slots,
    live_place,
)
from beffroi.volunteering.models import (
    Absence,
    Application,
    CallOut,
    CallOutContact,
    Mission,
    ReserveMember,
    Slot,
    VolunteerProfile,
)
from beffroi.volunteering.notify import VolunteerMessage, volunteer_message_send

logger = logging.getLogger(__name__)

CHANNELS: tuple[str, ...] = ("sms", "email")
_DAY = 86_400
_HOUR = 3_600


def limit_setting(name: str, default: int) -> int:
    """A limit, overridable in settings (``CALLOUT_<NAME>``) by an installation."""
    return int(getattr(settings, f"CALLOUT_{name}", default))


# An association may call out at most this many volunteers per call-out, this many times a day.
ASSOCIATION_MAX_CONTACTS = 40
ASSOCIATION_CALLOUTS_PER_DAY = 3
# Call-outs one author starts in an hour (a stolen session must not turn into a pump).
CALLOUTS_PER_AUTHOR_PER_HOUR = 10
# Call-out messages one phone number or address receives in a day, whatever the call-out.
CONTACTS_PER_DESTINATION_PER_DAY = 6
# Volunteers an organisation contacts in a day, all call-outs together.
CONTACTS_PER_ORGANISATION_PER_DAY = 20_000
# SMS replies "OUI"/"NON" handled per number an hour, and link answers per client an hour.
ANSWERS_PER_NUMBER_PER_HOUR = 20
ANSWERS_PER_CLIENT_PER_HOUR = 60
# A new call-out for a mission does not reach again, within this many hours, whoever a
# call-out for it already reached (stopping and relaunching must not pester the same people).
RECONTACT_HOURS = 24
# The periodic sweep that sends waves whose time has come (backends that cannot defer).
WAVES_EVERY_SECONDS = 60
MESSAGE_MAX_LENGTH = 300
WAVE_SIZE_MAX = 1_000
ALL_MATCHES = 1_000_000


class CallOutRefused(Exception):
    """A write the rules refuse; ``str()`` is a translated message for the person."""


class AlreadyTakingPart(CallOutRefused):
    """A "yes" from a volunteer who already holds a place (or waits for one) on the
    call-out's slots: nothing is filled, and they are told so."""


@dataclass(frozen=True)
class WaveReport:
    contacted: int
    sent: int
    failed: int


# --- Who may call out -------------------------------------------------------------------


def callout_role(*, user: object, mission: Mission) -> str:
    """ "crisis" for the crisis cell (any mission of its organisation), "association" for an
    active manager of the mission's association, "" for anyone else."""
    if has_role(user, mission.organisation, *CRISIS_ROLES):  # type: ignore[arg-type]
        return "crisis"
    if mission.association is not None and can_manage(user, mission.association):
        return "association"
    return ""


def future_slots(mission: Mission, now: datetime) -> list[Slot]:
    return list(
        Slot.objects.filter(mission=mission, cancelled=False, starts_at__gt=now).order_by(
            "starts_at", "pk"
        )
    )


def future_room(mission: Mission, now: datetime) -> int:
    return sum(slot.places_left for slot in future_slots(mission, now))


def callout_room(callout: CallOut, now: datetime) -> int:
    """Places left in the call-out's coming slots."""
    return sum(slot.places_left for slot in callout_slots(callout, now))


# --- Starting and stopping -------------------------------------------------------------


def callout_start(
    *,
    mission: Mission,
    actor: User,
    message: str,
    channels: Sequence[str],
    wave_size: int,
    wave_minutes: int,
    reserve_first: bool = True,
    alert_id: int | None = None,
    now: datetime | None = None,
) -> CallOut:
    """Start a call-out for ``mission``; its first wave is sent by a task enqueued once the
    call-out is committed. An association's call-out is refused unless the mission's next
    slot with room starts within the horizon (``association_horizon_days``).

    Not to be called inside an atomic block: the limits are counted before the work they
    guard and must not be rolled back with it."""
    now = now or timezone.now()
    organisation = mission.organisation
    role = callout_role(user=actor, mission=mission)
    if not role:
        raise CallOutRefused(
            _("Only the crisis cell, or the managers of the mission's association, may call out.")
        )
    message = message.strip()
    chosen = [c for c in CHANNELS if c in set(channels)]
    if not message:
        raise CallOutRefused(_("Write the message the volunteers receive."))
    if len(message) > MESSAGE_MAX_LENGTH:
        raise CallOutRefused(
            _("The message is too long: %(max)d characters at most.") % {"max": MESSAGE_MAX_LENGTH}
        )
    if not chosen or len(chosen) != len(set(channels)):
        raise CallOutRefused(_("Choose how to reach the volunteers: SMS, e-mail or both."))
    cap = limit_setting("ASSOCIATION_MAX_CONTACTS", ASSOCIATION_MAX_CONTACTS)
    size_max = cap if role == "association" else WAVE_SIZE_MAX
    if not 1 <= wave_size <= size_max:
        raise CallOutRefused(
            _("A wave reaches between 1 and %(max)d volunteers.") % {"max": size_max}
        )
    if not 1 <= wave_minutes <= 24 * 60:
        raise CallOutRefused(_("Waves are between 1 minute and 24 hours apart."))
    if not mission.is_open:
        raise CallOutRefused(_("The mission is not published: publish it before calling out."))
    if future_room(mission, now) == 0:
        raise CallOutRefused(
            _("No future slot of this mission has room: add a slot or raise the number needed.")
        )
    if role == "association":
        _check_horizon(mission, now)
    if CallOut.objects.filter(mission=mission, status=CallOut.Status.RUNNING).exists():
        raise CallOutRefused(_("A call-out is already running for this mission."))
    # Counted before the work, atomically: sixteen clicks at once cannot all pass.
    if not rate_hit(
        f"callout:author:{actor.pk}",
        limit=limit_setting("PER_AUTHOR_PER_HOUR", CALLOUTS_PER_AUTHOR_PER_HOUR),
        window_seconds=_HOUR,
    ).allowed:
        raise CallOutRefused(_("You started too many call-outs in the last hour: wait a little."))
    if role == "association":
        # Only the crisis cell reaches the reserve first: an association's call-out never
        # singles reservists out (the box is not even on its form).
        reserve_first = False
        assert mission.association is not None
        if not rate_hit(
            f"callout:association:{mission.association_id}",
            limit=limit_setting("ASSOCIATION_PER_DAY", ASSOCIATION_CALLOUTS_PER_DAY),
            window_seconds=_DAY,
        ).allowed:
            raise CallOutRefused(
                _(
                    "Your association has made all the call-outs it may make today: ask the "
                    "town hall's crisis cell if it is an emergency."
                )
            )
    with transaction.atomic():
        locked = Mission.objects.select_for_update(of=("self",)).get(pk=mission.pk)
        if CallOut.objects.filter(mission=locked, status=CallOut.Status.RUNNING).exists():
            raise CallOutRefused(_("A call-out is already running for this mission."))
        callout = CallOut.objects.create(
            organisation=organisation,
            mission=locked,
            alert_id_ref=alert_id,
            message=message,
            channels=chosen,
            wave_size=wave_size,
            wave_minutes=wave_minutes,
            reserve_first=reserve_first,
            sms_counted=role == "association",
            max_contacts=cap if role == "association" else None,
            next_wave_at=now,
            created_by=actor,
        )
        audit_record(
            action="volunteering.callout.start",
            organisation=organisation,
            actor=actor,
            target=callout,
            data={
                "mission": mission.pk,
                "channels": chosen,
                "wave_size": wave_size,
                "wave_minutes": wave_minutes,
                "reserve_first": reserve_first,
                "alert": alert_id,
                "as": role,
            },
        )
        transaction.on_commit(partial(callout_wave_enqueue, callout_id=callout.pk))
    return callout


def _check_horizon(mission: Mission, now: datetime) -> None:
    """An association calls out only for a near need: the residents agreed to be called in a
    crisis, not for next season's fair (that is what publishing the mission is for)."""
    days = association_horizon_days()
    first = next((s for s in future_slots(mission, now) if s.places_left > 0), None)
    if first is None or first.starts_at <= now + timedelta(days=days):
        return
    raise CallOutRefused(
        ngettext(
            "A call-out is for an urgent need: the next slot with room of this mission starts "
            "on %(when)s, more than %(days)d day from now. Publish the mission and invite "
            "volunteers from its page instead; in a crisis, the town hall's crisis cell may "
            "call out.",
            "A call-out is for an urgent need: the next slot with room of this mission starts "
            "on %(when)s, more than %(days)d days from now. Publish the mission and invite "
            "volunteers from its page instead; in a crisis, the town hall's crisis cell may "
            "call out.",
            days,
        )
        % {"when": timezone.localtime(first.starts_at).strftime("%d/%m/%Y"), "days": days}
    )


def callout_stop(*, callout: CallOut, actor: User) -> CallOut:
    """No more waves. Answers to the messages already sent are still taken."""
    with transaction.atomic():
        locked = CallOut.objects.select_for_update(of=("self",)).get(pk=callout.pk)
        if locked.status != CallOut.Status.RUNNING:
            raise CallOutRefused(_("This call-out is already over."))
        locked.status = CallOut.Status.STOPPED
        locked.ended_at = timezone.now()
        locked.next_wave_at = None
        locked.save(update_fields=["status", "ended_at", "next_wave_at"])
        audit_record(
            action="volunteering.callout.stop",
            organisation=locked.organisation,
            actor=actor,
            target=locked,
        )
    return locked


def callout_wave_now(*, callout: CallOut, actor: User) -> CallOut:
    """Send the next wave now rather than at its time (the author sees too few answers)."""
    with transaction.atomic():
        locked = CallOut.objects.select_for_update(of=("self",)).get(pk=callout.pk)
        if locked.status != CallOut.Status.RUNNING:
            raise CallOutRefused(_("This call-out is already over."))
        locked.next_wave_at = timezone.now()
        locked.save(update_fields=["next_wave_at"])
        audit_record(
            action="volunteering.callout.wave_now",
            organisation=locked.organisation,
            actor=actor,
            target=locked,
        )
        transaction.on_commit(partial(callout_wave_enqueue, callout_id=locked.pk))
    return locked


# --- Waves ------------------------------------------------------------------------------


def callout_wave_enqueue(*, callout_id: int, run_after: datetime | None = None) -> None:
    """Enqueue a wave on the "alerts" queue (call after commit). A backend that cannot
    defer leaves a later wave to the periodic sweep (``callouts_due_send``)."""
    wave_task = callout_wave_task
    backend = wave_task.get_backend()
    if run_after is not None:
        if not backend.supports_defer:
            return
        wave_task = wave_task.using(run_after=run_after)
    wave_task.enqueue(callout_id=callout_id)


def _token() -> str:
    # 128 random bits: unguessable, and short enough for the SMS's link.
    return secrets.token_urlsafe(16)


def is_association_callout(callout: CallOut) -> bool:
    """Whether ``callout`` was started by an association's managers (not the crisis cell):
    its SMS are counted against the organisation's budget, it reaches only the volunteers
    who let associations find them, and never reaches or flags reservists first."""
    return callout.sms_counted


def _pick(callout: CallOut, count: int, now: datetime) -> list[tuple[int, list[str], bool]]:
    """The next ``count`` volunteers to contact: (profile id, reasons, reservist)."""
    from beffroi.volunteering.matching.selectors import volunteers_for_mission

    contacted = set(callout.contacts.values_list("profile_id", flat=True))
    association = is_association_callout(callout)
    excluded = contacted | _not_to_contact(callout, now)
    if association:
        # An association finds only the volunteers who let associations find them.
        excluded |= set(
            VolunteerProfile.objects.filter(
                organisation_id=callout.organisation_id, crisis_consent=True
            )
            .exclude(visibility=VolunteerProfile.Visibility.MATCHABLE)
            .values_list("pk", flat=True)
        )
    reserve_first = callout.reserve_first and not association
    reservists = 0
    if reserve_first:
        reservists = (
            ReserveMember.objects.filter(
                organisation_id=callout.organisation_id,
                engaged_from__lte=now.date(),
                engaged_until__gte=now.date(),
            )
            .exclude(profile_id__in=excluded)
            .count()
        )
    matches = volunteers_for_mission(
        mission=callout.mission,
        # With reservists still to reach, every match (the matching scores them all
        # anyway), so that a reservist ranked low still comes before everyone else.
        limit=ALL_MATCHES if reservists else count,
        exclude_profile_ids=tuple(excluded),
        crisis_only=True,
        now=now,
    )
    if association:
        # Defensive: whatever the matching returns, only matchable profiles, no flag.
        matchable = set(
            VolunteerProfile.objects.filter(
                pk__in=[m.profile_id for m in matches],
                visibility=VolunteerProfile.Visibility.MATCHABLE,
                crisis_consent=True,
            ).values_list("pk", flat=True)
        )
        return [
            (m.profile_id, list(m.reasons), False) for m in matches if m.profile_id in matchable
        ][:count]
    if reserve_first:
        matches = sorted(matches, key=lambda m: not m.reservist)  # stable: by score within
    return [(m.profile_id, list(m.reasons), m.reservist) for m in matches[:count]]


def _not_to_contact(callout: CallOut, now: datetime) -> set[int]:
    """Profiles no wave of ``callout`` may reach, besides its own contacts: those who take
    part in its coming slots already (a place or the waiting list: their "yes" would fill
    nothing), those who said no to a call-out for the mission, and those a call-out for it
    reached within ``RECONTACT_HOURS`` (a call-out stopped and started again)."""
    hours = limit_setting("RECONTACT_HOURS", RECONTACT_HOURS)
    earlier = CallOutContact.objects.filter(callout__mission_id=callout.mission_id).filter(
        Q(state=CallOutContact.State.NO)
        | Q(state=CallOutContact.State.QUEUED)
        | Q(sent_at__gte=now - timedelta(hours=hours))
    )
    taking_part = Application.objects.filter(
        slot__in=callout_slots(callout, now), state__in=LIVE_APPLICATION_STATES
    )
    return set(earlier.values_list("profile_id", flat=True)) | set(
        taking_part.values_list("profile_id", flat=True)
    )


def callout_wave_send(*, callout_id: int, now: datetime | None = None) -> WaveReport | None:
    """Send the next wave of ``callout_id`` if it is due; None when it is not (already
    sent by another worker, stopped, not yet time). Safe from two workers at once: the wave
    is claimed under the call-out's row lock."""
    now = now or timezone.now()
    with transaction.atomic():
        callout = (
            CallOut.objects.select_for_update(of=("self",))
            .select_related("mission", "organisation", "mission__association")
            .filter(pk=callout_id)
            .first()
        )
        if (
            callout is None
            or callout.status != CallOut.Status.RUNNING
            or callout.next_wave_at is None
            or callout.next_wave_at > now
        ):
            return None
        if callout_room(callout, now) == 0:
            _end(callout, CallOut.Status.FILLED, now)
            return WaveReport(0, 0, 0)
        count = callout.wave_size
        if callout.max_contacts is not None:
            count = min(count, callout.max_contacts - callout.contacts.count())
        picks = _pick(callout, count, now) if count > 0 else []
        if not picks:
            _end(callout, CallOut.Status.EXHAUSTED, now)
            return WaveReport(0, 0, 0)
        wave = callout.waves_sent + 1
        contacts = CallOutContact.objects.bulk_create(
            [
                CallOutContact(
                    callout=callout,
                    profile_id=profile_id,
                    wave=wave,
                    reservist=reservist,
                    token=_token(),
                    reasons=reasons,
                )
                for profile_id, reasons, reservist in picks
            ]
        )
        callout.waves_sent = wave
        # Claimed: no other worker sends this wave; the next one is due then.
        callout.next_wave_at = now + timedelta(minutes=callout.wave_minutes)
        callout.save(update_fields=["waves_sent", "next_wave_at"])
    report = _send_wave(callout, wave, [c.pk for c in contacts])
    if callout.max_contacts is not None and callout.contacts.count() >= callout.max_contacts:
        with transaction.atomic():
            locked = CallOut.objects.select_for_update(of=("self",)).get(pk=callout.pk)
            if locked.status == CallOut.Status.RUNNING:
                _end(locked, CallOut.Status.EXHAUSTED, timezone.now())
        return report
    next_at = callout.next_wave_at
    transaction.on_commit(partial(callout_wave_enqueue, callout_id=callout.pk, run_after=next_at))
    return report


def _end(callout: CallOut, status: str, now: datetime) -> None:
    callout.status = status
    callout.ended_at = now
    callout.next_wave_at = None
    callout.save(update_fields=["status", "ended_at", "next_wave_at"])
    audit_record(
        action=f"volunteering.callout.{status}",
        organisation=callout.organisation,
        target=callout,
        data={"waves": callout.waves_sent},
    )


def answer_url(contact: CallOutContact, organisation: Organisation) -> str:
    return organisation_url(
        organisation, reverse("volunteering_callouts:answer", args=[contact.token])
    )


def _when(callout: CallOut) -> str:
    """The start of the call-out's first coming slot with room (else its first), for the
    messages."""
    slots = callout_slots(callout, timezone.now())
    first = next((s for s in slots if s.places_left > 0), slots[0] if slots else None)
    return timezone.localtime(first.starts_at).strftime("%d/%m %Hh%M") if first else ""


# Translators: YES and NO are the words the volunteer sends back by SMS; in French they must
# be "OUI" and "NON", the words the reply handler understands.
SMS_TEXT = gettext_noop("%(org)s: %(message)s %(when)s Reply YES or NO, or %(link)s")
# Translators: added to a call-out SMS only when it costs no extra part. "STOP CALLS" is what
# the volunteer sends back: in French it must be "STOP APPELS", one of CALLOUT_STOP_WORDS.
# A bare "STOP" would also stop the number's alert SMS (the alerts' handler reads every
# reply). Keep it to GSM-7 characters (no "ê", "â"…): one other character turns the whole
# SMS into short UCS-2 parts.
SMS_STOP = gettext_noop("STOP CALLS: no more call-outs")
# The replies that withdraw a volunteer's crisis consent and nothing else.
CALLOUT_STOP_WORDS = frozenset({"STOP APPELS", "STOP APPEL", "STOP CALLS", "STOP CALL"})


def _with_stop(sms: str) -> str:
    """``sms`` with the way to stop call-outs, if that fits in the parts it already takes."""
    from beffroi.messaging.sms import sms_info

    longer = f"{sms} {_(SMS_STOP)}"
    return longer if sms_info(longer).segments <= sms_info(sms).segments else sms


def sender_label(callout: CallOut) -> str:
    """Who the call-out comes from: the commune for the crisis cell, "<association> (via
    <commune>)" for an association's call-out."""
    association = callout.mission.association
    if is_association_callout(callout) and association is not None:
        return _("%(association)s (via %(org)s)") % {
            "association": association.name,
            "org": callout.organisation.name,
        }
    return callout.organisation.name


def _texts(callout: CallOut, contact: CallOutContact, link: str, when: str) -> tuple[str, str, str]:
    """(SMS, e-mail subject, e-mail body) of one contact, in the organisation's language."""
    mission = callout.mission
    place = mission.street_address
    sms = _(SMS_TEXT) % {
        "org": sender_label(callout),
        "message": callout.message,
        "when": when,
        "link": link,
    }
    sms = _with_stop(" ".join(sms.split()))
    subject = _("Urgent call for volunteers: %(title)s") % {"title": mission.title}
    lines = [
        _("Hello %(name)s,") % {"name": contact.profile.full_name},
        "",
        _("%(org)s: %(message)s") % {"org": sender_label(callout), "message": callout.message},
        "",
        _("Mission: %(title)s") % {"title": mission.title},
    ]
    if when:
        lines.append(_("When: %(when)s") % {"when": when})
    if place:
        lines.append(_("Where: %(place)s") % {"place": place})
    lines += [
        "",
        _("Can you come? Open a link, then confirm your answer on the page:"),
        _("Yes, I come: %(link)s?r=oui") % {"link": link},
        _("No, not this time: %(link)s?r=non") % {"link": link},
        "",
        _("You receive this message because you agreed to be called in a crisis."),
        _withdrawal(callout.organisation, contact.profile),
    ]
    return sms, subject, "\n".join(lines)


def _withdrawal(organisation: Organisation, profile: VolunteerProfile) -> str:
    """How to withdraw the consent: in the volunteer profile for one who has an account;
    for a volunteer the front desk registered (no login), by telling the town hall (its
    phone, or a reply to the e-mail, which goes to the town hall's address)."""
    if profile.user_id is not None:
        return _("You can withdraw this agreement in your volunteer profile.")
    phone = organisation.contact_phone.strip()
    if phone and organisation.contact_email:
        return _(
            "To withdraw this agreement, call the town hall on %(phone)s or reply to this e-mail."
        ) % {"phone": phone}
    if phone:
        return _("To withdraw this agreement, call the town hall on %(phone)s.") % {"phone": phone}
    if organisation.contact_email:
        return _("To withdraw this agreement, reply to this e-mail.")
    return _("To withdraw this agreement, tell the town hall.")


def _destination_allowed(profile: VolunteerProfile, channel: str) -> bool:
    destination = profile.phone if channel == "sms" else profile.email.lower()
    return rate_hit(
        f"callout:destination:{destination}",
        limit=limit_setting("PER_DESTINATION_PER_DAY", CONTACTS_PER_DESTINATION_PER_DAY),
        window_seconds=_DAY,
    ).allowed


def _send_wave(callout: CallOut, wave: int, ids: list[int]) -> WaveReport:
    """Send one wave's messages: every e-mail over one SMTP connection, every SMS over one
    SMPP session (or, for an association's call-out, each within the organisation's daily
    budget), then record each contact's outcome."""
    from beffroi.alerts.subscriptions.services import sms_send_counted
    from beffroi.messaging.base import EmailOut, SmsOut
    from beffroi.messaging.registry import get_sms_transport, get_transport

    contacts = list(
        CallOutContact.objects.filter(
            pk__in=ids, callout=callout, wave=wave, state=CallOutContact.State.QUEUED
        ).select_related("profile")
    )
    organisation = callout.organisation
    now = timezone.now()
    if not rate_hit(
        f"callout:organisation:{organisation.pk}",
        limit=limit_setting("PER_ORGANISATION_PER_DAY", CONTACTS_PER_ORGANISATION_PER_DAY),
        window_seconds=_DAY,
        cost=len(contacts),
    ).allowed:
        CallOutContact.objects.filter(pk__in=[c.pk for c in contacts]).update(
            state=CallOutContact.State.FAILED,
            error="organisation's daily limit of call-out messages reached",
        )
        return WaveReport(len(contacts), 0, len(contacts))
    emails: list[EmailOut] = []
    sms: list[SmsOut] = []
    by_key: dict[str, CallOutContact] = {}
    accepted: dict[int, list[str]] = {c.pk: [] for c in contacts}
    errors: dict[int, list[str]] = {c.pk: [] for c in contacts}
    # One query for the site's address and the mission's time, not one per volunteer.
    link_template = organisation_url(
        organisation, reverse("volunteering_callouts:answer", args=["TOKEN"])
    )
    when = _when(callout)
    # Replies go to the town hall (a volunteer without an account withdraws consent so).
    reply_to = {"Reply-To": organisation.contact_email} if organisation.contact_email else {}
    with translation.override(settings.LANGUAGE_CODE):
        sender = sender_label(callout)
        for contact in contacts:
            profile = contact.profile
            link = link_template.replace("TOKEN", contact.token)
            sms_text, subject, body = _texts(callout, contact, link, when)
            for channel in callout.channels:
                if channel == "sms" and not profile.phone:
                    continue
                if channel == "email" and not profile.email:
                    continue
                if not _destination_allowed(profile, channel):
                    errors[contact.pk].append(f"{channel}: too many call-outs today")
                    continue
                key = f"vol-callout-{contact.pk}-{channel}"
                by_key[key] = contact
                if channel == "email":
                    emails.append(
                        EmailOut(
                            key=key,
                            to=profile.email,
                            subject=subject,
                            text=body,
                            sender_name=sender,
                            headers=reply_to,
                        )
                    )
                else:
                    sms.append(SmsOut(key=key, to=profile.phone, text=sms_text))
    if emails:
        with get_transport("smtp") as transport:
            outcomes = transport.send_many(emails)
        for outcome in outcomes:
            contact = by_key[outcome.key]
            if outcome.error is None:
                accepted[contact.pk].append("email")
            else:
                errors[contact.pk].append(f"email: {outcome.error.message}"[:150])
    if sms and callout.sms_counted:
        # An association's call-out: each SMS within the organisation's daily budget.
        for message in sms:
            contact = by_key[message.key]
            if sms_send_counted(
                organisation=organisation, key=message.key, to=message.to, text=message.text
            ):
                accepted[contact.pk].append("sms")
            else:
                errors[contact.pk].append("sms: not sent (daily SMS budget or gateway)")
    elif sms:
        with get_sms_transport() as transport:
            outcomes = transport.send_many(sms)
        for outcome in outcomes:
            contact = by_key[outcome.key]
            if outcome.error is None:
                accepted[contact.pk].append("sms")
            else:
                errors[contact.pk].append(f"sms: {outcome.error.message}"[:150])
    sent = failed = 0
    # Grouped writes: one UPDATE per combination of channels reached (a handful), one per
    # contact only for those with an error to record. A CASE per row over a thousand rows
    # costs more than the whole sending.
    groups: dict[str, list[int]] = {}
    for contact in contacts:
        channels = ",".join(accepted[contact.pk])[:20]
        error = "; ".join(errors[contact.pk])[:300]
        if channels:
            sent += 1
            if error:
                CallOutContact.objects.filter(pk=contact.pk).update(
                    state=CallOutContact.State.SENT, channel=channels, error=error, sent_at=now
                )
            else:
                groups.setdefault(channels, []).append(contact.pk)
        else:
            failed += 1
            CallOutContact.objects.filter(pk=contact.pk).update(
                state=CallOutContact.State.FAILED,
                error=error or "no phone or e-mail for the chosen channels",
            )
    for channels, pks in groups.items():
        for start in range(0, len(pks), 500):
            CallOutContact.objects.filter(pk__in=pks[start : start + 500]).update(
                state=CallOutContact.State.SENT, channel=channels, sent_at=now
            )
    audit_record(
        action="volunteering.callout.wave",
        organisation=organisation,
        target=callout,
        data={"wave": wave, "contacted": len(contacts), "sent": sent, "failed": failed},
    )
    return WaveReport(len(contacts), sent, failed)


def callouts_due_send(*, now: datetime | None = None) -> int:
    """The periodic sweep: send every running call-out's wave whose time has come. Returns
    how many waves went out. Idempotent: each wave is claimed under its row lock."""
    now = now or timezone.now()
    due = CallOut.objects.filter(status=CallOut.Status.RUNNING, next_wave_at__lte=now)
    sent = 0
    for callout_id in list(due.values_list("pk", flat=True)):
        if callout_wave_send(callout_id=callout_id, now=now) is not None:
            sent += 1
    return sent


# --- Answers ----------------------------------------------------------------------------


def _tell(contact: CallOutContact, subject: str, text: str) -> None:
    message = VolunteerMessage(
        key=f"vol-callout-answer-{contact.pk}", subject=subject, text=text, sms_text=text
    )
    volunteer_message_send(
        profile=contact.profile, message=message, counted=contact.callout.sms_counted
    )


_ANSWERED = (CallOutContact.State.YES, CallOutContact.State.WAITLISTED, CallOutContact.State.NO)


def _already(contact: CallOutContact, yes: bool) -> CallOutContact:
    if (contact.state != CallOutContact.State.NO) == yes:
        return contact  # the same answer twice (a double tap, a resent SMS)
    raise CallOutRefused(
        _(
            "You already answered this call-out. To change your answer, contact the "
            "organiser or manage your application from your volunteer space."
        )
    )


def _fits(profile: VolunteerProfile, slot: Slot) -> bool:
    """Whether ``slot`` lies within the volunteer's weekly grid (an empty grid states no
    limit) and outside their periods away."""
    from beffroi.volunteering.matching.selectors import cells_mask, slot_cells

    if profile.availability:
        mask = cells_mask(slot_cells(slot.starts_at, slot.ends_at))
        if profile.availability & mask != mask:
            return False
    return not Absence.objects.filter(
        profile=profile,
        starts_on__lte=timezone.localtime(slot.ends_at).date(),
        ends_on__gte=timezone.localtime(slot.starts_at).date(),
    ).exists()


def best_slot(profile: VolunteerProfile, slots: list[Slot]) -> Slot | None:
    """The slot a "yes" takes unless the volunteer chose: the first with room that fits
    their grid and does not overlap a place they hold (awaiting an answer or accepted, on
    any mission); else the first with room that overlaps none; else the first with room.
    With no room anywhere, the same order among all (for the waiting list)."""
    pool = [s for s in slots if s.places_left > 0] or slots
    if not pool:
        return None
    held = list(
        Application.objects.filter(
            profile=profile,
            state__in=(Application.State.PENDING, Application.State.ACCEPTED),
            slot__cancelled=False,
            slot__ends_at__gt=min(s.starts_at for s in pool),
            slot__starts_at__lt=max(s.ends_at for s in pool),
        ).values_list("slot_id", "slot__starts_at", "slot__ends_at")
    )

    def free(slot: Slot) -> bool:
        return not any(
            pk != slot.pk and start < slot.ends_at and slot.starts_at < end
            for pk, start, end in held
        )

    return (
        next((s for s in pool if free(s) and _fits(profile, s)), None)
        or next((s for s in pool if free(s)), None)
        or pool[0]
    )


def callout_answer(
    *, contact: CallOutContact, yes: bool, slot_id: int | None = None
) -> CallOutContact:
    """A volunteer's answer. "Yes" applies them to the slot they chose (``slot_id``, one of
    the call-out's coming slots), by default the best fit (``best_slot``); the application
    is accepted at once, or goes to the slot's waiting list when the slots were filled
    meanwhile (the applications area tells them so). A volunteer who already takes part in
    the call-out's slots fills nothing: ``AlreadyTakingPart`` (the answer's time is kept, so
    the coverage tells them from the silent). "No" is recorded. The first answer stands;
    the same answer again changes nothing.

    No lock is held while messages go out: the answer is written by conditional updates
    (only a contact not yet answered), and applying twice returns the same application."""
    from beffroi.volunteering.applications.services import ApplicationRefused, application_apply

    now = timezone.now()
    contact = CallOutContact.objects.select_related(
        "callout", "callout__mission", "callout__organisation", "profile"
    ).get(pk=contact.pk)
    if contact.state in _ANSWERED:
        return _already(contact, yes)
    open_contact = CallOutContact.objects.filter(pk=contact.pk).exclude(state__in=_ANSWERED)
    callout = contact.callout
    mission = callout.mission
    if not yes:
        if not open_contact.update(state=CallOutContact.State.NO, answered_at=now):
            contact.refresh_from_db()
            return _already(contact, yes)
        contact.state, contact.answered_at = CallOutContact.State.NO, now
        audit_record(
            action="volunteering.callout.answer",
            organisation=callout.organisation,
            target=callout,
            data={"contact": contact.pk, "state": contact.state},
        )
        return contact
    slots = callout_slots(callout, now)
    if not slots or not mission.is_open:
        raise CallOutRefused(_("This mission is over or closed: thank you all the same."))
    held = live_place(contact.profile_id, slots)
    if held is not None:
        open_contact.filter(state=CallOutContact.State.SENT).update(answered_at=now)
        audit_record(
            action="volunteering.callout.answer",
            organisation=callout.organisation,
            target=callout,
            data={"contact": contact.pk, "state": "already", "application": held.pk},
        )
        raise AlreadyTakingPart(already_text(held))
    if slot_id is None:
        slot = best_slot(contact.profile, slots)
        assert slot is not None
    else:
        chosen = next((s for s in slots if s.pk == slot_id), None)
        if chosen is None:
            raise CallOutRefused(_("Choose one of the slots shown."))
        if chosen.places_left == 0 and any(s.places_left > 0 for s in slots):
            raise CallOutRefused(_("The slot you chose has just filled up: choose another one."))
        slot = chosen
    try:
        application = application_apply(
            slot=slot,
            profile=contact.profile,
            source=Application.Source.CALLOUT,
            message=_("Answered the call-out."),
            accept=True,
        )
    except ApplicationRefused as exc:
        raise CallOutRefused(str(exc)) from exc
    waitlisted = application.state == Application.State.WAITLISTED
    state = CallOutContact.State.WAITLISTED if waitlisted else CallOutContact.State.YES
    if not open_contact.update(state=state, answered_at=now, application=application):
        contact.refresh_from_db()
        return _already(contact, yes)
    contact.state, contact.answered_at, contact.application = state, now, application
    audit_record(
        action="volunteering.callout.answer",
        organisation=callout.organisation,
        target=callout,
        data={"contact": contact.pk, "state": state, "application": application.pk},
    )
    if callout_room(callout, now) == 0:
        with transaction.atomic():
            locked = CallOut.objects.select_for_update(of=("self",)).get(pk=callout.pk)
            if locked.status == CallOut.Status.RUNNING:
                _end(locked, CallOut.Status.FILLED, now)
    if not waitlisted:
        when = timezone.localtime(application.slot.starts_at).strftime("%d/%m %Hh%M")
        text = _("Thank you, %(name)s! You are expected for “%(title)s” on %(when)s. %(place)s") % {
            "name": contact.profile.full_name,
            "title": mission.title,
            "when": when,
            "place": mission.street_address,
        }
        _tell(contact, _("Thank you: you are expected"), text.strip())
    return contact


def already_text(application: Application) -> str:
    """What a volunteer who already takes part reads (on the answer page, or by SMS)."""
    when = timezone.localtime(application.slot.starts_at).strftime("%d/%m %Hh%M")
    if application.state == Application.State.WAITLISTED:
        return _(
            "You are already on the waiting list of this mission (slot of %(when)s): nothing "
            "changed, you will be told if a place frees up."
        ) % {"when": when}
    return _(
        "You already take part in this mission (slot of %(when)s): nothing changed. Thank you!"
    ) % {"when": when}


_YES = frozenset({"oui", "o", "yes", "ok"})
_NO = frozenset({"non", "n", "no"})


def reply_meaning(text: str) -> bool | None:
    """True for "OUI", False for "NON" (case, accents, spaces and punctuation tolerated),
    None for anything else."""
    word = fold(text).replace(" ", "")
    if word in _YES:
        return True
    if word in _NO:
        return False
    return None


def _number_candidates(sender: str) -> set[str]:
    digits = re.sub(r"\D", "", sender)
    candidates = {sender.strip(), f"+{digits}"}
    if digits.startswith("0") and len(digits) == 10:
        candidates.add(f"+33{digits[1:]}")
    if digits.startswith("00"):
        candidates.add(f"+{digits[2:]}")
    return {c for c in candidates if len(c) > 1}


# Unanswered call-out messages of one number looked at for an SMS answer, latest first.
INBOUND_CANDIDATES = 20


def callout_sms_inbound(*, sender: str, text: str) -> CallOutContact | None:
    """An SMS "OUI" / "NON" from ``sender``: the answer to that number's call-out message
    still unanswered, the crisis cell's before an association's, the latest among equals;
    confirmed by a short SMS naming the mission. Anything else (a "STOP", a question) is
    left to the other handlers; returns the contact answered, or None."""
    meaning = reply_meaning(text)
    if meaning is None:
        return None
    if not rate_hit(
        f"callout:inbound:{sender}",
        limit=limit_setting("ANSWERS_PER_NUMBER_PER_HOUR", ANSWERS_PER_NUMBER_PER_HOUR),
        window_seconds=_HOUR,
    ).allowed:
        logger.warning("Too many call-out replies from %s; ignored.", sender)
        return None
    candidates = (
        CallOutContact.objects.filter(
            profile__phone__in=_number_candidates(sender),
            state=CallOutContact.State.SENT,
            # A "yes" of one already taking part was answered: the next message goes to
            # the number's next call-out.
            answered_at__isnull=True,
            channel__contains="sms",
        )
        .select_related("callout__mission")
        # The crisis cell's call-out first (``sms_counted`` false), then an association's;
        # among equals, the latest.
        .order_by("callout__sms_counted", F("sent_at").desc(nulls_last=True), "-pk")[
            :INBOUND_CANDIDATES
        ]
    )
    # Only a call-out that can still take the answer: an old one left unanswered (its
    # mission closed, its slots past) must not swallow the answer to today's.
    now = timezone.now()
    contact = next(
        (c for c in candidates if c.callout.mission.is_open and callout_slots(c.callout, now)),
        None,
    )
    if contact is None:
        return None
    try:
        # In the organisation's language, like the call-out itself: what is said back (a
        # thank-you, "you already take part") is read on the same phone.
        with translation.override(settings.LANGUAGE_CODE):
            answered = callout_answer(contact=contact, yes=meaning)
    except AlreadyTakingPart as exc:
        # Told, so that they do not believe they took a second place.
        _confirm_sms(contact, yes=meaning, text=str(exc))
        return None
    except CallOutRefused as exc:
        # Told why, so that nobody believes they are expected (or excused) when they are not.
        logger.info("SMS answer of %s refused: %s", sender, exc)
        _confirm_sms(contact, yes=meaning, text=str(exc))
        return None
    _confirm_sms(answered, yes=meaning)
    return answered


def crisis_consent_stop(*, sender: str, text: str) -> int:
    """A "STOP APPELS" SMS from ``sender`` (what call-out SMS offer), or a bare "STOP":
    withdraws the crisis consent of every volunteer profile with that mobile number, in
    every organisation (the gateway's number is the installation's); nothing is sent back.
    A bare "STOP" is also read by the alerts' handler, which stops the number's alert SMS;
    "STOP APPELS" leaves the alerts alone. Returns how many profiles changed."""
    from beffroi.alerts.dispatch.services import STOP_WORDS

    word = " ".join(text.strip().upper().split()).rstrip(".!")
    if word not in STOP_WORDS and word not in CALLOUT_STOP_WORDS:
        return 0
    changed = 0
    profiles = VolunteerProfile.objects.filter(
        phone__in=_number_candidates(sender), crisis_consent=True
    ).select_related("organisation")
    for profile in profiles:
        # Conditional: two STOPs at once withdraw (and audit) once.
        if VolunteerProfile.objects.filter(pk=profile.pk, crisis_consent=True).update(
            crisis_consent=False, crisis_consent_at=None, updated_at=timezone.now()
        ):
            changed += 1
            audit_record(
                action="volunteer.crisis_withdraw",
                organisation=profile.organisation,
                target=profile,
                data={"by": "sms_stop"},
            )
    return changed


def _confirm_sms(contact: CallOutContact, *, yes: bool, text: str = "") -> None:
    """A short SMS naming the mission the answer went to (a number reached by several
    call-outs knows which one it answered), through the call-out's own transport: the crisis
    cell's is not counted, an association's is within the organisation's daily budget."""
    from beffroi.alerts.subscriptions.services import sms_send_counted
    from beffroi.messaging.base import SmsOut
    from beffroi.messaging.registry import get_sms_transport

    contact = CallOutContact.objects.select_related(
        "callout", "callout__mission", "callout__organisation", "profile"
    ).get(pk=contact.pk)
    phone = contact.profile.phone
    if not phone:
        return
    key = f"vol-callout-confirm-{contact.pk}-{'yes' if yes else 'no'}"
    if text:
        key += "-already"
    with translation.override(settings.LANGUAGE_CODE):
        answer = pgettext("SMS answer", "YES") if yes else pgettext("SMS answer", "NO")
        text = text or _("Thank you, your answer %(answer)s for “%(mission)s” is recorded.") % {
            "answer": answer,
            "mission": contact.callout.mission.title,
        }
    if contact.callout.sms_counted:
        if not sms_send_counted(
            organisation=contact.callout.organisation, key=key, to=phone, text=text
        ):
            logger.info("Confirmation of call-out answer %s not sent (budget).", contact.pk)
        return
    with get_sms_transport() as transport:
        outcomes = transport.send_many([SmsOut(key=key, to=phone, text=text)])
    for outcome in outcomes:
        if outcome.error is not None:
            logger.warning(
                "Confirmation of call-out answer %s not sent: %s", contact.pk, outcome.error.message
            )


# --- Tasks: fetch by id, call the service ----------------------------------------------


@task(queue_name="alerts")  # type: ignore[misc,unused-ignore]
def callout_wave_task(*, callout_id: int) -> dict[str, int]:
    """Send a call-out's wave if it is due (the "alerts" queue: a crisis does not wait
    behind imports)."""
    report = callout_wave_send(callout_id=callout_id)
    if report is None:
        return {"contacted": 0, "sent": 0, "failed": 0}
    return {"contacted": report.contacted, "sent": report.sent, "failed": report.failed}


# --- GDPR ------------------------------------------------------------------------------


def export_callouts(user: User) -> list[dict[str, object]]:
    """The call-outs that reached the person's volunteer profiles, and their answers."""
    return [
        {
            "mission": c.callout.mission.title,
            "sent_at": c.sent_at.isoformat() if c.sent_at else None,
            "channels": c.channel,
            "state": c.state,
            "answered_at": c.answered_at.isoformat() if c.answered_at else None,
            "reasons": c.reasons,
        }
        for c in CallOutContact.objects.filter(profile__user=user)
        .select_related("callout__mission")
        .order_by("pk")
    ]


def erase_callouts(user: User) -> None:
    """The answer links and reasons that named the person go; the call-outs' counts of the
    others stay."""
    CallOutContact.objects.filter(profile__user=user).delete()
