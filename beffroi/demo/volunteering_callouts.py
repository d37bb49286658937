"""The demo commune's civil-protection reserve and the call-out of last spring's flood.

Six volunteers of the demo (those who agreed to be called in a crisis first) are enrolled in
the réserve communale de sécurité civile by the mayor's order of the year before, through the
reserve's services; they had a training session last month with its attendance recorded.
Then the history: the call-out the crisis cell made when the Aulne flooded last spring, for
sand bags along the quai, with its answers (yes, no, no answer). That one is written as it
ended (a past call-out sends nothing today), with the applications of those who came.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from beffroi.accounts.models import User
from beffroi.territory.models import Organisation
from beffroi.volunteering.models import (
    Application,
    CallOut,
    CallOutContact,
    Mission,
    Slot,
    Urgency,
    VolunteerProfile,
)
from beffroi.volunteering.reserve.services import (
    EngagementInput,
    ReserveMissionType,
    reserve_enrol,
    training_attendance_record,
    training_create,
)

PARIS = ZoneInfo("Europe/Paris")
RESERVISTS = 6
# Tokens of the past call-out: fixed, so the demo is the same at every load (the call-out is
# over; its links only show the answers given).
TOKEN = "demo-crue-printemps-{:02d}"  # noqa: S105 - a demo answer link, not a secret


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=PARIS)


def _last_spring(today: date) -> date:
    """Mid-April of this year once June is here, else of the year before."""
    return date(today.year if today.month >= 6 else today.year - 1, 4, 14)


def _profiles(organisation: Organisation) -> list[VolunteerProfile]:
    """The demo's volunteers, those who agreed to crisis call-outs first, in a fixed order."""
    return list(
        VolunteerProfile.objects.filter(organisation=organisation, active=True).order_by(
            "-crisis_consent", "full_name", "pk"
        )
    )


def demo_callouts(*, organisation: Organisation, crisis_agent: User) -> int:
    """The reserve (about six reservists, a training session with attendance) and last
    spring's call-out. Returns the number of reservists enrolled."""
    today = timezone.localdate()
    profiles = _profiles(organisation)
    decision = today - timedelta(days=400)
    members = []
    for index, profile in enumerate(profiles[:RESERVISTS]):
        # One engagement ends within the month: the list shows it to renew.
        until = today + timedelta(days=20 if index == RESERVISTS - 1 else 1_000 - 40 * index)
        members.append(
            reserve_enrol(
                organisation=organisation,
                actor=crisis_agent,
                profile=profile,
                data=EngagementInput(
                    decision_reference=f"Arrêté n° {decision.year}-RCSC-{index + 1:02d}",
                    decision_date=decision,
                    engaged_from=decision,
                    engaged_until=until,
                    mission_types=[
                        ReserveMissionType.FLOOD,
                        ReserveMissionType.LOGISTICS,
                        *([ReserveMissionType.WEATHER] if index % 2 else []),
                        *([ReserveMissionType.SHELTER] if index % 3 == 0 else []),
                    ],
                    notes="Joignable de préférence par SMS." if index == 0 else "",
                ),
            )
        )
    training_day = today - timedelta(days=30)
    session = training_create(
        organisation=organisation,
        actor=crisis_agent,
        title="Pose de batardeaux et remplissage de sacs de sable",
        starts_at=_at(training_day, 9),
        ends_at=_at(training_day, 12),
        place="Centre technique municipal, chemin du Moulin",
        description=(
            "Exercice annuel de la réserve avec les services techniques : montage des "
            "batardeaux du quai, chaîne de remplissage de sacs, consignes de sécurité au bord "
            "de l'eau."
        ),
    )
    training_attendance_record(
        session=session,
        actor=crisis_agent,
        presence={m.pk: (None if i == 5 else i != 3) for i, m in enumerate(members)},
    )
    _past_callout(organisation, crisis_agent, profiles, today)
    return len(members)


def _past_callout(
    organisation: Organisation, agent: User, profiles: list[VolunteerProfile], today: date
) -> None:
    flood = _last_spring(today)
    mission = Mission.objects.create(
        organisation=organisation,
        title="Sacs de sable sur le quai de l'Aulne (crue du printemps)",
        description=(
            "L'Aulne est sortie de son lit dans la nuit : remplir et poser des sacs de sable "
            "devant les maisons du quai et de la rue du Moulin, avec les services techniques."
        ),
        activities=["civil_protection", "solidarity"],
        skills=["manual", "logistics"],
        street_address="Quai de l'Aulne",
        urgency=Urgency.URGENT,
        status=Mission.Status.CLOSED,
        contact_name="Cellule de crise de la mairie",
        contact_phone="03 99 00 12 10",
        created_by=agent,
        published_at=_at(flood, 6),
    )
    slot = Slot.objects.create(
        mission=mission,
        starts_at=_at(flood, 8),
        ends_at=_at(flood, 12),
        volunteers_needed=4,
    )
    started = _at(flood, 6)
    callout = CallOut.objects.create(
        organisation=organisation,
        mission=mission,
        message="Crue de l'Aulne : la mairie a besoin de bras pour les sacs de sable ce matin.",
        channels=["sms", "email"],
        wave_size=RESERVISTS,
        wave_minutes=20,
        reserve_first=True,
        status=CallOut.Status.FILLED,
        waves_sent=2,
        created_by=agent,
        ended_at=started + timedelta(minutes=35),
    )
    CallOut.objects.filter(pk=callout.pk).update(created_at=started)
    # (wave, answer): the reservists first, then the others; four came.
    answers = [
        (1, CallOutContact.State.YES),
        (1, CallOutContact.State.YES),
        (1, CallOutContact.State.NO),
        (1, CallOutContact.State.SENT),  # no answer
        (1, CallOutContact.State.YES),
        (1, CallOutContact.State.NO),
        (2, CallOutContact.State.YES),
        (2, CallOutContact.State.SENT),
    ]
    for index, (profile, (wave, state)) in enumerate(zip(profiles, answers, strict=False)):
        sent_at = started + timedelta(minutes=1 + 20 * (wave - 1))
        application = None
        if state == CallOutContact.State.YES:
            application = Application.objects.create(
                slot=slot,
                profile=profile,
                state=Application.State.ACCEPTED,
                source=Application.Source.CALLOUT,
                message="A répondu à l'appel.",
                attendance=Application.Attendance.PRESENT,
                hours=4,
                decided_at=sent_at + timedelta(minutes=5),
            )
        CallOutContact.objects.create(
            callout=callout,
            profile=profile,
            wave=wave,
            reservist=index < RESERVISTS,
            token=TOKEN.format(index),
            channel="email,sms" if profile.email and profile.phone else "sms",
            state=state,
            reasons=["Réserviste"] if index < RESERVISTS else ["Habite à moins de 2 km"],
            sent_at=sent_at,
            answered_at=sent_at + timedelta(minutes=5)
            if state != CallOutContact.State.SENT
            else None,
            application=application,
        )
    Slot.objects.filter(pk=slot.pk).update(
        accepted_count=Application.objects.filter(slot=slot).count()
    )
