"""The demo commune's applications, written through the applications services.

It works on the missions and volunteer profiles the other demo parts wrote: on coming slots,
applications awaiting an answer, accepted and declined (with a reason), and one slot filled
with a waiting list; on past slots, volunteers who took part with their attendance and hours
recorded (the demo resident among them, so that their yearly certificate shows hours), one
absence; a message thread between an organiser and the demo resident, and a testimonial the
organiser published. The services refuse a slot in the past (nobody applies to it), so the
past applications are written with the model, accepted as if done beforehand, and their
attendance then goes through the service. Everything is chosen in a fixed order (missions,
slots and profiles by id): the same commune every time.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import cycle

from django.db.models import F
from django.utils import timezone

from beffroi.accounts.models import Role, User
from beffroi.demo import constants as c
from beffroi.territory.models import Organisation
from beffroi.volunteering.applications.services import (
    ApplicationRefused,
    application_accept,
    application_apply,
    application_attendance_record,
    application_decline,
    application_message_send,
    testimonial_publish,
    testimonial_write,
)
from beffroi.volunteering.models import Application, Mission, Slot, VolunteerProfile
from beffroi.volunteering.rules import prerequisites_missing

DECLINE_REASON = (
    "Merci pour votre proposition ! L'équipe de ce créneau est déjà constituée d'habitués ; "
    "nous manquons en revanche de bras pour le rangement de fin de journée, si cela vous dit."
)
TESTIMONIAL = (
    "Une matinée très conviviale : l'équipe m'a tout de suite mise à l'aise, on a rendu "
    "service à plusieurs voisins âgés et j'ai appris plein de choses. Je reviendrai !"
)
THREAD = (
    (True, "Bonjour, merci pour votre candidature ! Pouvez-vous arriver un quart d'heure avant "
     "le début pour que l'on vous présente l'équipe ?"),
    (False, "Bonjour, oui bien sûr, je serai là. Faut-il apporter quelque chose ?"),
    (True, "Rien de particulier : des chaussures confortables suffisent. À bientôt !"),
)  # fmt: skip


# An association's slot that ended this recently keeps its attendance for the manager to
# record: the demo shows the form with real volunteers in it.
RECORD_LATER = timedelta(days=3)


def _user(role: str) -> User | None:
    email = next((login.email for login in c.demo_logins() if login.role == role), "")
    return User.objects.filter(email=email).first()


def _eligible(
    mission: Mission, slot: Slot, profiles: list[VolunteerProfile]
) -> list[VolunteerProfile]:
    day = timezone.localdate(slot.starts_at)
    return [p for p in profiles if not prerequisites_missing(mission=mission, profile=p, on=day)]


def _organiser(mission: Mission, manager: User, agent: User) -> User:
    return manager if mission.association_id is not None else agent


def demo_applications(*, organisation: Organisation, manager: User) -> int:
    """Applications on the demo's missions; returns how many were written. ``manager`` is
    the association's manager (the commune's own missions are answered by the participation
    manager of the demo, or by ``manager`` when there is none)."""
    now = timezone.now()
    agent = _user(Role.PARTICIPATION_MANAGER) or manager
    resident_user = _user(Role.RESIDENT)
    profiles = list(
        VolunteerProfile.objects.filter(organisation=organisation, active=True).order_by("pk")
    )
    if not profiles:
        return 0
    resident = next((p for p in profiles if resident_user and p.user_id == resident_user.pk), None)
    # The resident first, then everyone else in a fixed order.
    ordered = ([resident] if resident else []) + [p for p in profiles if p is not resident]
    missions = list(
        Mission.objects.filter(organisation=organisation, slots__isnull=False)
        .select_related("association")
        .distinct()
        .order_by("pk")
    )
    written = 0

    # -- Past slots: who came, and their hours -----------------------------------------------
    attended: list[Application] = []
    absence = False
    for mission in missions:
        past = Slot.objects.filter(mission=mission, cancelled=False, ends_at__lt=now)
        for slot in past.order_by("starts_at", "pk"):
            team = _eligible(mission, slot, ordered)[: max(1, min(slot.volunteers_needed, 4))]
            actor = _organiser(mission, manager, agent)
            for index, profile in enumerate(team):
                application, created = Application.objects.get_or_create(
                    slot=slot,
                    profile=profile,
                    defaults={
                        "state": Application.State.ACCEPTED,
                        "decided_by": actor,
                        "decided_at": slot.starts_at,
                    },
                )
                if not created:
                    continue
                Slot.objects.filter(pk=slot.pk).update(accepted_count=F("accepted_count") + 1)
                written += 1
                if mission.association_id is not None and slot.ends_at > now - RECORD_LATER:
                    continue  # the association's manager records this one (the demo's try)
                # One absence in the demo, on a team of several: the rest came.
                present = absence or not (index == len(team) - 1 and len(team) > 2)
                absence = absence or not present
                application_attendance_record(
                    application=application, actor=actor, present=present, hours=None
                )
                if present:
                    attended.append(application)

    # -- Coming slots: answers, declines, a waiting list -----------------------------------
    open_missions = [m for m in missions if m.is_open]
    waitlist_done = False
    declined = False
    resident_coming: Application | None = None
    rotation = cycle(range(len(ordered)))
    for mission in open_missions:
        coming = list(
            Slot.objects.filter(mission=mission, cancelled=False, starts_at__gt=now).order_by(
                "starts_at", "pk"
            )[:2]
        )
        actor = _organiser(mission, manager, agent)
        for slot_index, slot in enumerate(coming):
            eligible = _eligible(mission, slot, ordered)
            if not eligible:
                continue
            if not waitlist_done and slot.volunteers_needed + 2 <= len(eligible):
                # This slot fills up: its last applicants wait on the list.
                wanted = eligible[: slot.volunteers_needed + 2]
                waitlist_done = True
            else:
                start = next(rotation)
                wanted = [
                    eligible[(start + k) % len(eligible)] for k in range(min(2, len(eligible)))
                ]
                wanted = list(dict.fromkeys(wanted))[: max(1, slot.volunteers_needed - 1)]
            for index, profile in enumerate(wanted):
                try:
                    application = application_apply(
                        slot=slot,
                        profile=profile,
                        message="Disponible toute la matinée, j'ai déjà participé l'an dernier."
                        if index == 0
                        else "",
                    )
                except ApplicationRefused:
                    continue
                written += 1
                if application.state != Application.State.PENDING:
                    continue
                if profile is resident and resident_coming is None:
                    resident_coming = application
                    continue  # the resident's stays awaiting an answer, with a thread
                if index % 3 == 0 or (slot_index == 0 and index == 0):
                    application_accept(application=application, actor=actor)
                elif not declined and index % 3 == 2:
                    application_decline(application=application, actor=actor, reason=DECLINE_REASON)
                    declined = True

    # -- A thread with the demo resident, a published testimonial ---------------------------
    if resident_coming is not None and resident is not None and resident.user is not None:
        organiser = _organiser(resident_coming.slot.mission, manager, agent)
        for from_organiser, body in THREAD:
            application_message_send(
                application=resident_coming,
                author=organiser if from_organiser else resident.user,
                body=body,
                from_organiser=from_organiser,
            )
    mine = [a for a in attended if resident is not None and a.profile_id == resident.pk]
    if mine or attended:
        witness = (mine or attended)[0]
        author = witness.profile.user or manager
        testimonial = testimonial_write(application=witness, author=author, body=TESTIMONIAL)
        testimonial_publish(
            testimonial=testimonial,
            actor=_organiser(witness.slot.mission, manager, agent),
            published=True,
        )
    return written
