"""Applications: every write.

A volunteer applies to a slot; while it has room the application holds a place (awaiting
the organiser's answer, or accepted at once when a call-out's "yes" is taken as such), and
once the slot is full it goes on the waiting list. ``Slot.accepted_count`` counts the places
held and moves only under the slot's row lock, so two volunteers applying at once for the
last place cannot both get it. When a place frees up (a decline, a cancellation), the first
on the waiting list takes it and is told. Afterwards the organiser records attendance and
hours, from which the volunteer's yearly certificate is made. Every decision is audited.

Messages go out after the database work is done (never while a slot's row is locked): a slow
mail server must not hold the other volunteers of the slot waiting.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from beffroi.accounts.models import User
from beffroi.core.audit import audit_record
from beffroi.core.ratelimit import rate_hit
from beffroi.territory.selectors import organisation_url
from beffroi.volunteering.applications import ical
from beffroi.volunteering.applications.hours import (
    MAX_HOURS,
    hours_refused,
    hours_valid,
    slot_hours,
)
from beffroi.volunteering.missions.services import mission_status_refresh
from beffroi.volunteering.models import (
    Application,
    ApplicationMessage,
    Mission,
    Slot,
    Testimonial,
    VolunteerProfile,
)
from beffroi.volunteering.notify import VolunteerMessage, email_send, volunteer_message_send
from beffroi.volunteering.rules import prerequisites_missing

logger = logging.getLogger(__name__)

State = Application.State
# The states that hold a place on the slot (``Slot.accepted_count``).
HOLDING = frozenset({State.PENDING, State.ACCEPTED})
# The states a volunteer (or the organiser) may still cancel.
CANCELLABLE = frozenset({State.PENDING, State.ACCEPTED, State.WAITLISTED})
# Reminders go out once, between these many hours before the slot.
REMINDER_FROM = timedelta(hours=24)
REMINDER_UNTIL = timedelta(hours=48)
# Flood guards: messages per author and application an hour; a volunteer's cancellations
# that e-mail the organiser, and re-applications after their own cancellation, per
# application a day (a cancel-then-apply loop must not fill the organiser's mailbox).
MESSAGES_PER_HOUR = 10
CANCEL_NOTICES_PER_DAY = 3
REAPPLICATIONS_PER_DAY = 5
HOUR_SECONDS = 3600
DAY_SECONDS = 86_400
REMINDERS_EVERY_SECONDS = 15 * 60


class ApplicationRefused(Exception):
    """A write the rules refuse; ``str()`` is a translated message for the person."""


# --- Applying ------------------------------------------------------------------------------


def _check_can_apply(slot: Slot, profile: VolunteerProfile, now: datetime) -> None:
    mission = slot.mission
    if mission.organisation_id != profile.organisation_id:
        raise ApplicationRefused(_("This mission is not open to applications."))
    if not mission.is_open:
        raise ApplicationRefused(_("This mission is not open to applications."))
    if slot.cancelled:
        raise ApplicationRefused(_("This slot is cancelled."))
    if slot.starts_at <= now:
        raise ApplicationRefused(_("This slot has already started."))
    if not profile.active:
        raise ApplicationRefused(_("Your volunteer profile is paused: reactivate it to apply."))
    missing = prerequisites_missing(
        mission=mission, profile=profile, on=timezone.localdate(slot.starts_at)
    )
    if missing:
        raise ApplicationRefused(" ".join(missing))


def clashing_place(
    *, profile_id: int, slot: Slot, exclude_slot_id: int | None = None
) -> Application | None:
    """The volunteer's place (awaiting an answer or accepted) on another slot, not cancelled,
    whose time overlaps ``slot``'s (an end at the very minute the other starts is no
    overlap), if any: one person cannot be in two places at once, and a double booking
    leaves an organiser one volunteer short on the day."""
    return (
        Application.objects.filter(
            profile_id=profile_id,
            state__in=list(HOLDING),
            slot__cancelled=False,
            slot__starts_at__lt=slot.ends_at,
            slot__ends_at__gt=slot.starts_at,
        )
        .exclude(slot_id=exclude_slot_id if exclude_slot_id is not None else slot.pk)
        .select_related("slot__mission")
        .order_by("slot__starts_at", "pk")
        .first()
    )


def _refuse_clash(slot: Slot, profile: VolunteerProfile) -> None:
    """``ApplicationRefused`` naming the volunteer's other place at that time (the caller
    holds ``slot``'s row lock and the profile's, so two applications of one volunteer at once
    cannot both pass)."""
    other = clashing_place(profile_id=profile.pk, slot=slot)
    if other is not None:
        raise ApplicationRefused(
            _(
                "You already hold a place on the mission “%(mission)s” on %(when)s, at the "
                "same time as this slot: cancel that place first, or choose another slot."
            )
            % {"mission": other.slot.mission.title, "when": _when(other.slot)}
        )


def application_apply(
    *,
    slot: Slot,
    profile: VolunteerProfile,
    source: str = Application.Source.WEB,
    message: str = "",
    accept: bool = False,
) -> Application:
    """Apply ``profile`` to ``slot``: a place while there is room (awaiting the organiser's
    answer, or accepted at once with ``accept``, a call-out's "yes"), else the waiting list.
    Applying again while an application is alive returns it unchanged; applying again after
    cancelling it oneself reopens it. ``ApplicationRefused`` when the mission is not open,
    the slot past or cancelled, a prerequisite missing, or when the volunteer already holds
    a place on another slot at the same time (a waiting list included: its promotion would
    double-book them); nothing is written then."""
    now = timezone.now()
    if source not in Application.Source.values:
        raise ValueError(f"Unknown source {source!r}.")
    mission = Mission.objects.get(pk=slot.mission_id)
    slot.mission = mission
    _check_can_apply(slot, profile, now)
    cancelled = Application.objects.filter(
        slot_id=slot.pk,
        profile=profile,
        state=State.CANCELLED,
        cancelled_by=Application.CancelledBy.VOLUNTEER,
    ).first()
    # Counted before the work, outside the transaction (see ``rate_hit``).
    if (
        cancelled is not None
        and not rate_hit(
            f"volunteering:app-reapply:{cancelled.pk}",
            limit=REAPPLICATIONS_PER_DAY,
            window_seconds=DAY_SECONDS,
        ).allowed
    ):
        raise ApplicationRefused(
            _(
                "You have cancelled and applied again to this slot many times today: "
                "please try again tomorrow."
            )
        )
    try:
        application, created = _apply_locked(slot, profile, source, message, accept)
    except IntegrityError:
        # Two clicks of the same volunteer at once: the other one created the row.
        application = Application.objects.get(slot_id=slot.pk, profile=profile)
        created = False
    if created:
        _refresh_status(mission.pk)
        audit_record(
            action="volunteering.application.apply",
            organisation=mission.organisation,
            actor=profile.user,
            target=application,
            data={"slot": slot.pk, "state": application.state, "source": source},
        )
        if source == Application.Source.CALLOUT and application.state == State.WAITLISTED:
            # A "yes" that came after the last place went: they expect to be on their way.
            _tell_volunteer(
                application,
                key="waitlisted",
                subject=_("You are on the waiting list"),
                text=_(
                    "Thank you for answering. The slot of %(when)s for the mission "
                    "“%(mission)s” filled up before your answer arrived: you are on the "
                    "waiting list and will be told if a place frees up."
                ),
            )
    return application


def _apply_locked(
    slot: Slot, profile: VolunteerProfile, source: str, message: str, accept: bool
) -> tuple[Application, bool]:
    """(application, whether it changed). Runs its own atomic block, holding the slot's row
    lock while it reads the count of places and writes the application."""
    with transaction.atomic():
        locked = Slot.objects.select_for_update(of=("self",)).get(pk=slot.pk)
        existing = Application.objects.filter(slot=locked, profile=profile).first()
        if existing is not None:
            if existing.state in (State.PENDING, State.ACCEPTED, State.WAITLISTED):
                return existing, False
            if existing.state == State.DECLINED:
                raise ApplicationRefused(
                    _("The organiser already declined your application for this slot.")
                )
            if existing.cancelled_by == Application.CancelledBy.ORGANISER:
                raise ApplicationRefused(
                    _("The organiser cancelled your application for this slot.")
                )
        # The profile's row too (after the slot's, the order every service here takes):
        # two applications of one volunteer to overlapping slots at once wait for each other.
        VolunteerProfile.objects.select_for_update(of=("self",)).filter(pk=profile.pk).first()
        _refuse_clash(locked, profile)
        if locked.accepted_count < locked.volunteers_needed:
            state = State.ACCEPTED if accept else State.PENDING
            locked.accepted_count += 1
            locked.save(update_fields=["accepted_count"])
        else:
            state = State.WAITLISTED
        slot.accepted_count = locked.accepted_count
        if existing is None:
            application = Application.objects.create(
                slot=locked,
                profile=profile,
                state=state,
                source=source,
                message=message.strip(),
                decided_at=timezone.now() if state == State.ACCEPTED else None,
            )
            return application, True
        # Their own cancellation, reopened: back in the queue as a new application (a
        # waiting list is ordered by ``created_at``, so it goes to the end).
        existing.state = state
        existing.source = source
        existing.message = message.strip()
        existing.cancelled_by = ""
        existing.cancel_reason = ""
        existing.decided_by = None
        existing.decided_at = timezone.now() if state == State.ACCEPTED else None
        existing.reminded_at = None
        existing.created_at = timezone.now()
        existing.save()
        return existing, True


# --- Organiser's decisions -----------------------------------------------------------------


def _locked(application: Application) -> tuple[Slot, Application]:
    """The slot and the application, re-read under the slot's row lock (the caller holds an
    atomic block)."""
    # The slot's row only (``of``), never its mission's at the same time: the mission's status
    # is refreshed once the slot's transaction is over (``_refresh_status``), so that no
    # service here holds both rows, whatever order another area takes them in (a call-out
    # locks its mission, then applies to a slot).
    slot = (
        Slot.objects.select_for_update(of=("self",))
        .select_related("mission")
        .get(pk=application.slot_id)
    )
    locked = Application.objects.select_related("profile").get(pk=application.pk)
    return slot, locked


def _refresh_status(mission_id: int) -> None:
    """Full or published again, after the slot's count moved (its own short transaction)."""
    with transaction.atomic():
        mission_status_refresh(mission_id=mission_id)


def _refresh(application: Application, locked: Application) -> None:
    for name in (
        "state",
        "decline_reason",
        "cancelled_by",
        "cancel_reason",
        "decided_by_id",
        "decided_at",
        "attendance",
        "hours",
    ):
        setattr(application, name, getattr(locked, name))


def application_accept(*, application: Application, actor: User) -> Application:
    """The organiser accepts an application awaiting an answer, or one on the waiting list
    when a place is free (or frees one by raising the slot's need first)."""
    with transaction.atomic():
        slot, locked = _locked(application)
        if locked.state == State.ACCEPTED:
            return application
        if locked.state not in (State.PENDING, State.WAITLISTED):
            raise ApplicationRefused(_("Only an application awaiting an answer can be accepted."))
        if slot.starts_at <= timezone.now():
            raise ApplicationRefused(_("This slot has already started."))
        VolunteerProfile.objects.select_for_update(of=("self",)).filter(
            pk=locked.profile_id
        ).first()
        other = clashing_place(profile_id=locked.profile_id, slot=slot)
        if other is not None:
            # The other place may be with another association: its time is said, not what.
            raise ApplicationRefused(
                _(
                    "%(name)s already holds a place on another slot at the same time "
                    "(%(when)s): they must cancel it before you can accept them."
                )
                % {"name": locked.profile.full_name, "when": _when(other.slot)}
            )
        if locked.state == State.WAITLISTED:
            if slot.accepted_count >= slot.volunteers_needed:
                raise ApplicationRefused(
                    _("This slot is full: decline or cancel an application to free a place.")
                )
            slot.accepted_count += 1
            slot.save(update_fields=["accepted_count"])
        locked.state = State.ACCEPTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "decided_by", "decided_at", "updated_at"])
        audit_record(
            action="volunteering.application.accept",
            organisation=slot.mission.organisation,
            actor=actor,
            target=locked,
        )
    _refresh(application, locked)
    _refresh_status(slot.mission_id)
    _tell_volunteer(
        locked,
        key="accepted",
        subject=_("Your application is accepted"),
        text=_(
            "Good news: your application for the mission “%(mission)s” on %(when)s is "
            "accepted. The calendar file attached adds it to your diary."
        ),
        with_calendar=True,
    )
    return application


def application_decline(*, application: Application, actor: User, reason: str) -> Application:
    """The organiser declines an application (awaiting an answer, accepted or waiting),
    with a reason the volunteer reads. A place it held goes to the first on the list."""
    reason = reason.strip()
    if not reason:
        raise ApplicationRefused(_("Give the volunteer a reason."))
    with transaction.atomic():
        slot, locked = _locked(application)
        if locked.state not in CANCELLABLE:
            raise ApplicationRefused(_("This application is no longer open."))
        held = locked.state in HOLDING
        locked.state = State.DECLINED
        locked.decline_reason = reason
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(
            update_fields=["state", "decline_reason", "decided_by", "decided_at", "updated_at"]
        )
        promoted = _free_place(slot) if held else None
        audit_record(
            action="volunteering.application.decline",
            organisation=slot.mission.organisation,
            actor=actor,
            target=locked,
            reason=reason,
        )
    _refresh(application, locked)
    _refresh_status(slot.mission_id)
    _tell_volunteer(
        locked,
        key="declined",
        subject=_("Your application is declined"),
        text=_(
            "Your application for the mission “%(mission)s” on %(when)s is declined. "
            "The organiser's reason: %(reason)s"
        ),
        extra={"reason": reason},
    )
    if promoted is not None:
        _tell_promoted(promoted)
    return application


def application_cancel(
    *,
    application: Application,
    by: Application.CancelledBy | str,
    actor: User | None,
    reason: str,
) -> Application:
    """Cancel an application, by the volunteer or by the organiser (with a reason the other
    side reads), until the slot starts. A place it held goes to the first on the list."""
    reason = reason.strip()
    if by not in Application.CancelledBy.values:
        raise ValueError(f"Unknown canceller {by!r}.")
    if by == Application.CancelledBy.ORGANISER and not reason:
        raise ApplicationRefused(_("Give the volunteer a reason."))
    with transaction.atomic():
        slot, locked = _locked(application)
        if locked.state not in CANCELLABLE:
            raise ApplicationRefused(_("This application is no longer open."))
        if slot.starts_at <= timezone.now():
            raise ApplicationRefused(_("This slot has already started."))
        held = locked.state in HOLDING
        locked.state = State.CANCELLED
        locked.cancelled_by = by
        locked.cancel_reason = reason
        locked.save(update_fields=["state", "cancelled_by", "cancel_reason", "updated_at"])
        promoted = _free_place(slot) if held else None
        audit_record(
            action="volunteering.application.cancel",
            organisation=slot.mission.organisation,
            actor=actor,
            target=locked,
            reason=reason,
            data={"by": str(by)},
        )
    _refresh(application, locked)
    _refresh_status(slot.mission_id)
    if by == Application.CancelledBy.ORGANISER:
        _tell_volunteer(
            locked,
            key="cancelled",
            subject=_("Your application is cancelled"),
            text=_(
                "The organiser cancelled your participation in the mission “%(mission)s” "
                "on %(when)s. Their reason: %(reason)s"
            ),
            extra={"reason": reason},
        )
    elif rate_hit(
        f"volunteering:app-cancel-notice:{locked.pk}",
        limit=CANCEL_NOTICES_PER_DAY,
        window_seconds=DAY_SECONDS,
    ).allowed:
        # Beyond a few a day for one application, the organiser reads it on the page.
        _tell_organiser(
            locked,
            subject=_("A volunteer cancelled"),
            text=_(
                "%(name)s cancelled their participation in the mission “%(mission)s” on "
                "%(when)s. Their reason: %(reason)s"
            ),
            extra={"reason": reason or "—"},
        )
    if promoted is not None:
        _tell_promoted(promoted)
    return application


def _free_place(slot: Slot) -> Application | None:
    """A place of ``slot`` (locked by the caller) is freed: the first on the waiting list
    takes it, or the count goes down. Returns the promoted application.

    The promoted volunteer's application awaits the organiser's answer again (PENDING) rather
    than being accepted: the organiser has not looked at them yet, and may have good reasons
    (a team to balance, someone they know) to choose. A call-out's "yes" was accepted at
    once by the crisis cell, so such an application is accepted on promotion too.

    A volunteer who meanwhile took a place on another slot at the same time is passed over
    and keeps their rank on the list (never double-booked, never dropped): the next one
    takes the place, and they may still get one here once they free the other."""
    if slot.starts_at <= timezone.now() or slot.cancelled:
        slot.accepted_count = max(0, slot.accepted_count - 1)
        slot.save(update_fields=["accepted_count"])
        return None
    waiting = Application.objects.select_for_update(of=("self",)).filter(
        slot=slot, state=State.WAITLISTED
    )
    first = None
    if slot.accepted_count <= slot.volunteers_needed:
        for candidate in waiting.order_by("created_at", "pk"):
            VolunteerProfile.objects.select_for_update(of=("self",)).filter(
                pk=candidate.profile_id
            ).first()
            if clashing_place(profile_id=candidate.profile_id, slot=slot) is None:
                first = candidate
                break
    if first is None or slot.accepted_count > slot.volunteers_needed:
        slot.accepted_count = max(0, slot.accepted_count - 1)
        slot.save(update_fields=["accepted_count"])
        return None
    if first.source == Application.Source.CALLOUT:
        first.state = State.ACCEPTED
        first.decided_at = timezone.now()
    else:
        first.state = State.PENDING
    first.save(update_fields=["state", "decided_at", "updated_at"])
    audit_record(
        action="volunteering.application.promote",
        organisation=slot.mission.organisation,
        target=first,
        data={"state": first.state},
    )
    return first


def _tell_promoted(application: Application) -> None:
    if application.state == State.ACCEPTED:
        text = _(
            "A place freed up on the slot of %(when)s for the mission “%(mission)s”: you "
            "leave the waiting list and your participation is confirmed."
        )
    else:
        text = _(
            "A place freed up on the slot of %(when)s for the mission “%(mission)s”: you "
            "leave the waiting list, the place is held for you and the organiser will "
            "confirm it."
        )
    _tell_volunteer(
        application,
        key="promoted",
        subject=_("A place freed up for you"),
        text=text,
        with_calendar=True,
    )


# --- After the slot ------------------------------------------------------------------------


def application_attendance_record(
    *, application: Application, actor: User, present: bool, hours: Decimal | None
) -> Application:
    """Record whether the volunteer came and their hours (default: the slot's length; up to
    ``hours.OVERRUN`` more for one who stayed on, a day at most), once the slot has started.
    Recording it again corrects it."""
    with transaction.atomic():
        slot, locked = _locked(application)
        if slot.starts_at > timezone.now():
            raise ApplicationRefused(_("Attendance is recorded once the slot has started."))
        if locked.state not in HOLDING:
            raise ApplicationRefused(_("Attendance is recorded for accepted applications only."))
        if present:
            # The slot's length by default; a reasonable overrun for one who stayed on
            # (``hours``): the hours make the volunteer's certificate.
            if hours is None:
                hours = min(MAX_HOURS, slot_hours(slot))
            if not hours_valid(slot, hours):
                raise ApplicationRefused(hours_refused(slot))
            locked.attendance = Application.Attendance.PRESENT
            locked.hours = hours.quantize(Decimal("0.01"))
            if locked.state == State.PENDING:
                # They came: the organiser's attendance sheet is their acceptance.
                locked.state = State.ACCEPTED
                locked.decided_by = actor
                locked.decided_at = timezone.now()
        else:
            locked.attendance = Application.Attendance.ABSENT
            locked.hours = None
        locked.save(
            update_fields=["attendance", "hours", "state", "decided_by", "decided_at", "updated_at"]
        )
        audit_record(
            action="volunteering.application.attendance",
            organisation=slot.mission.organisation,
            actor=actor,
            target=locked,
            data={"present": present, "hours": str(locked.hours or "")},
        )
    _refresh(application, locked)
    return application


# --- Messages ------------------------------------------------------------------------------


def application_message_send(
    *, application: Application, author: User, body: str, from_organiser: bool
) -> ApplicationMessage:
    """A message of the thread around an application; the other side is told by e-mail
    (the volunteer: e-mail, else SMS; the organiser: the mission's or association's
    address)."""
    body = body.strip()
    if not body:
        raise ApplicationRefused(_("Write your message."))
    if len(body) > 5000:
        raise ApplicationRefused(_("A message has at most 5,000 characters."))
    if application.state == State.DECLINED and not from_organiser:
        raise ApplicationRefused(_("This application is closed."))
    # Counted before the work, outside any transaction: a refused one counts too.
    if not rate_hit(
        f"volunteering:app-message:{author.pk}:{application.pk}",
        limit=MESSAGES_PER_HOUR,
        window_seconds=HOUR_SECONDS,
    ).allowed:
        raise ApplicationRefused(
            _(
                "You have sent many messages about this application: please wait an hour "
                "before writing again."
            )
        )
    message = ApplicationMessage.objects.create(
        application=application, author=author, from_organiser=from_organiser, body=body
    )
    if from_organiser:
        _tell_volunteer(
            application,
            key=f"message-{message.pk}",
            subject=_("A message about your application"),
            text=_(
                "The organiser of the mission “%(mission)s” (%(when)s) writes to you:\n\n"
                "%(body)s\n\nAnswer from your applications page: %(link)s"
            ),
            extra={"body": body, "link": _link(application, "volunteering_applications:mine")},
            sms=_("%(org)s: a message about your mission “%(mission)s”. Read it on the site."),
        )
    else:
        _tell_organiser(
            application,
            subject=_("A message from a volunteer"),
            text=_(
                "%(name)s writes about the mission “%(mission)s” (%(when)s):\n\n%(body)s\n\n"
                "Answer from the mission's applications page: %(link)s"
            ),
            extra={"body": body},
        )
    return message


def messages_mark_read(*, application: Application, reader_is_organiser: bool) -> int:
    """The messages of the other side, now read."""
    return ApplicationMessage.objects.filter(
        application=application, from_organiser=not reader_is_organiser, read_at__isnull=True
    ).update(read_at=timezone.now())


# --- Testimonials --------------------------------------------------------------------------


def testimonial_write(*, application: Application, author: User, body: str) -> Testimonial:
    """The volunteer says what the mission was like, once they took part; rewriting it
    replaces it and takes it off the mission's page until the organiser publishes it again."""
    body = body.strip()
    if not body:
        raise ApplicationRefused(_("Write your testimonial."))
    if len(body) > 2000:
        raise ApplicationRefused(_("A testimonial has at most 2,000 characters."))
    if application.attendance != Application.Attendance.PRESENT:
        raise ApplicationRefused(_("You can share a testimonial once you have taken part."))
    testimonial, _created = Testimonial.objects.update_or_create(
        application=application,
        from_organiser=False,
        defaults={"body": body, "published": False},
    )
    audit_record(
        action="volunteering.testimonial.write",
        organisation=application.profile.organisation,
        actor=author,
        target=testimonial,
    )
    return testimonial


def testimonial_publish(*, testimonial: Testimonial, actor: User, published: bool) -> Testimonial:
    """The organiser shows a volunteer's testimonial on the mission's page, or takes it off."""
    testimonial.published = published
    testimonial.save(update_fields=["published"])
    audit_record(
        action="volunteering.testimonial.publish"
        if published
        else "volunteering.testimonial.unpublish",
        organisation=testimonial.application.profile.organisation,
        actor=actor,
        target=testimonial,
    )
    return testimonial


# --- Reminders -----------------------------------------------------------------------------


def reminders_send(*, now: datetime | None = None) -> int:
    """Remind once, 24 to 48 hours before, every volunteer holding a place on a slot (by
    e-mail with the slot's iCalendar file, else by SMS): accepted ones that they take part,
    those still awaiting the organiser's answer that it is still awaited (a TENTATIVE
    calendar entry). Each reminder is claimed with a
    conditional update first, so two workers running this at once send it once."""
    now = now or timezone.now()
    due = Application.objects.filter(
        state__in=list(HOLDING),
        reminded_at__isnull=True,
        slot__cancelled=False,
        slot__starts_at__gte=now + REMINDER_FROM,
        slot__starts_at__lte=now + REMINDER_UNTIL,
        slot__mission__status__in=[Mission.Status.PUBLISHED, Mission.Status.FULL],
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(due):
        claimed = Application.objects.filter(pk=pk, reminded_at__isnull=True).update(
            reminded_at=now
        )
        if not claimed:
            continue
        application = Application.objects.select_related(
            "slot__mission__organisation", "slot__mission__association", "profile__organisation"
        ).get(pk=pk)
        extra = {
            "place": _place(application.slot.mission),
            "contact": _contact(application.slot.mission),
            "link": _link(application, "volunteering_applications:mine"),
        }
        if application.state == State.PENDING:
            # Still unanswered: the place is held for them, but nobody has told them they
            # take part. Said as it is (the calendar entry stays TENTATIVE), so that they
            # neither come unexpected nor stay home believing they were not chosen.
            channel = _tell_volunteer(
                application,
                key="reminder",
                subject=_("Reminder: your application for %(day)s"),
                text=_(
                    "A reminder: your application for the mission “%(mission)s” on %(when)s "
                    "is still awaiting the organiser's answer. The place is held for you "
                    "meanwhile; you will be told as soon as they answer.\n"
                    "Place: %(place)s\nContact: %(contact)s\n\n"
                    "If you can no longer come, cancel from your applications page so that "
                    "someone else takes the place: %(link)s"
                ),
                extra=extra,
                sms=_(
                    "%(org)s: your application for “%(mission)s” on %(when)s still awaits "
                    "the organiser's answer. Cannot come? Cancel on the site."
                ),
                with_calendar=True,
            )
        else:
            channel = _tell_volunteer(
                application,
                key="reminder",
                subject=_("Reminder: your mission %(day)s"),
                text=_(
                    "A reminder: you take part in the mission “%(mission)s” on %(when)s.\n"
                    "Place: %(place)s\nContact: %(contact)s\n\n"
                    "If you cannot come, cancel from your applications page so that someone "
                    "else takes your place: %(link)s"
                ),
                extra=extra,
                sms=_(
                    "%(org)s: reminder, mission “%(mission)s” on %(when)s. Cannot come? "
                    "Cancel on the site."
                ),
                with_calendar=True,
            )
        if channel:
            sent += 1
    return sent


# --- Sending -------------------------------------------------------------------------------


def _when(slot: Slot) -> str:
    start = timezone.localtime(slot.starts_at)
    end = timezone.localtime(slot.ends_at)
    return _("%(day)s from %(start)s to %(end)s") % {
        "day": formats.date_format(start, "l j F Y"),
        "start": formats.time_format(start, "H:i"),
        "end": formats.time_format(end, "H:i"),
    }


def _place(mission: Mission) -> str:
    if mission.remote:
        return _("remote")
    return mission.street_address or _("to be confirmed by the organiser")


def _contact(mission: Mission) -> str:
    parts = [p for p in (mission.contact_name, mission.contact_phone, mission.contact_email) if p]
    if not parts and mission.association is not None:
        parts = [p for p in (mission.association.name, mission.association.phone) if p]
    return ", ".join(parts) or mission.organisation.name


def _link(application: Application, url_name: str, *args: int) -> str:
    return organisation_url(application.profile.organisation, reverse(url_name, args=args))


def _tell_volunteer(
    application: Application,
    *,
    key: str,
    subject: str,
    text: str,
    extra: dict[str, str] | None = None,
    sms: str = "",
    with_calendar: bool = False,
) -> str:
    """Send one message to the volunteer; returns the channel used ("" if none). A failed
    send is logged, never raised: the decision it tells is already recorded."""
    slot = application.slot
    mission = slot.mission
    profile = application.profile
    values = {
        "mission": mission.title,
        "when": _when(slot),
        "day": formats.date_format(timezone.localtime(slot.starts_at), "j F"),
        "org": (mission.association.name if mission.association else mission.organisation.name),
        "name": profile.full_name,
        **(extra or {}),
    }
    body = text % values
    signature = values["org"]
    attachments: tuple[tuple[str, bytes, str], ...] = ()
    if with_calendar and application.state in HOLDING:
        attachments = (
            (
                f"mission-{slot.pk}.ics",
                ical.slot_calendar(
                    slot=slot,
                    site=organisation_url(mission.organisation),
                    tentative=application.state == State.PENDING,
                ),
                "text/calendar",
            ),
        )
    short = sms or "%(org)s: " + subject + ". " + _("Details on the site.")
    message = VolunteerMessage(
        key=f"vol-app-{application.pk}-{key}-{timezone.now():%Y%m%d%H%M%S}",
        subject=subject % values,
        text=f"{_('Hello %(name)s,') % values}\n\n{body}\n\n{signature}",
        sms_text=(short % values)[:300],
        attachments=attachments,
    )
    try:
        return volunteer_message_send(profile=profile, message=message)
    except Exception:  # the gateway's own errors are returned; anything else is a bug to log
        logger.exception("Message %s to volunteer %s failed", key, profile.pk)
        return ""


def organiser_address(mission: Mission) -> str:
    """Where the organiser is told: the mission's contact, else the association's address,
    else (the commune's own missions) the town hall's."""
    if mission.contact_email:
        return mission.contact_email
    if mission.association is not None:
        return str(mission.association.email or "")
    return mission.organisation.contact_email


def _tell_organiser(
    application: Application, *, subject: str, text: str, extra: dict[str, str] | None = None
) -> bool:
    slot = application.slot
    mission = slot.mission
    address = organiser_address(mission)
    if not address:
        return False
    values = {
        "mission": mission.title,
        "when": _when(slot),
        "name": application.profile.full_name,
        "link": _link(application, "volunteering_applications:organiser_mission", mission.pk),
        **(extra or {}),
    }
    return email_send(
        sender_name=mission.organisation.name,
        key=f"vol-app-{application.pk}-org-{timezone.now():%Y%m%d%H%M%S%f}",
        to=address,
        subject=subject,
        text=text % values,
    )


# --- GDPR ----------------------------------------------------------------------------------


def export_applications(user: User) -> list[dict[str, object]]:
    """The person's applications, with their messages and testimonials."""
    rows: list[dict[str, object]] = []
    applications = (
        Application.objects.filter(profile__user=user)
        .select_related("slot__mission")
        .prefetch_related("messages", "testimonials")
    )
    for application in applications:
        rows.append(
            {
                "mission": application.slot.mission.title,
                "starts_at": application.slot.starts_at.isoformat(),
                "state": application.state,
                "message": application.message,
                "decline_reason": application.decline_reason,
                "cancelled_by": application.cancelled_by,
                "cancel_reason": application.cancel_reason,
                "attendance": application.attendance,
                "hours": str(application.hours) if application.hours is not None else None,
                "applied_at": application.created_at.isoformat(),
                "messages": [
                    {
                        "from_organiser": m.from_organiser,
                        "body": m.body,
                        "sent_at": m.created_at.isoformat(),
                    }
                    for m in application.messages.all()
                ],
                "testimonials": [
                    {"body": t.body, "published": t.published}
                    for t in application.testimonials.all()
                    if not t.from_organiser
                ],
            }
        )
    return rows


def erase_applications(user: User) -> None:
    """What the person wrote goes (their messages, testimonials and words to organisers);
    the applications stay, without text, so that the slots' counts and the associations'
    hours remain right."""
    applications = Application.objects.filter(profile__user=user)
    ApplicationMessage.objects.filter(application__in=applications, from_organiser=False).delete()
    Testimonial.objects.filter(application__in=applications, from_organiser=False).delete()
    applications.update(message="", cancel_reason="")
