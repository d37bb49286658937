"""Missions' services: transitions, status refresh, slots, the recurring schedule and what
volunteers are told when their slot is cancelled (received by a real loopback SMTP server)."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from beffroi.core.models import AuditEvent
from beffroi.messaging.testing import smtp_server
from beffroi.testing import Cast
from beffroi.volunteering.missions import services
from beffroi.volunteering.missions.services import MissionInput, MissionRefused
from beffroi.volunteering.models import Application, Mission, Slot
from beffroi.volunteering.tests.factories import make_association, make_mission, make_profile

pytestmark = pytest.mark.django_db


def _hold(slot: Slot, profile: Any, state: str = Application.State.ACCEPTED) -> Application:
    """What the applications area does: an application holding a place."""
    application = Application.objects.create(slot=slot, profile=profile, state=state)
    if state in (Application.State.ACCEPTED, Application.State.PENDING):
        Slot.objects.filter(pk=slot.pk).update(accepted_count=slot.accepted_count + 1)
        slot.refresh_from_db()
    return application


def _text(mail: Any) -> str:
    body = mail.message.get_body(preferencelist=("plain",))
    return str(body.get_content())


def test_it_creates_a_draft_mission_and_audits_it(cast: Cast) -> None:
    association = make_association(cast.org)
    mission = services.mission_create(
        organisation=cast.org,
        association=association,
        actor=cast.association_manager,
        data=MissionInput(
            title=" Tenir la buvette ",
            description="Servir les boissons pendant la brocante.",
            activities=["leisure"],
            skills=["cooking"],
            street_address="12 rue de la Mairie",
            min_age=16,
            certifications=["food_hygiene"],
        ),
    )
    assert mission.status == Mission.Status.DRAFT
    assert mission.title == "Tenir la buvette"
    assert (mission.association, mission.min_age) == (association, 16)
    assert mission.certifications == ["food_hygiene"]
    assert AuditEvent.objects.filter(action="mission.create", target_id=mission.pk).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "  "}, "The title is required."),
        ({"skills": ["juggling"]}, "Unknown value: juggling."),
        ({"certifications": ["pilot"]}, "Unknown value: pilot."),
        ({"min_age": 150}, "The minimum age is a number of years between 1 and 99."),
        ({"lat": 49.1}, "Give both the latitude and the longitude, or neither."),
        ({"street_address": ""}, "Give the address of the mission, or a point on the map"),
    ],
)
def test_it_refuses_bad_input_with_a_clear_message(
    cast: Cast, overrides: dict[str, Any], message: str
) -> None:
    data: dict[str, Any] = {
        "title": "Buvette",
        "description": "Servir.",
        "street_address": "Place de l'Église",
    }
    data.update(overrides)
    with pytest.raises(MissionRefused) as refused:
        services.mission_create(
            organisation=cast.org,
            association=None,
            actor=cast.participation_manager,
            data=MissionInput(**data),
        )
    assert message in str(refused.value)
    assert not Mission.objects.exists()


def test_a_remote_mission_has_no_place(cast: Cast) -> None:
    mission = services.mission_create(
        organisation=cast.org,
        association=None,
        actor=cast.participation_manager,
        data=MissionInput(
            title="Soutien numérique",
            description="Par téléphone.",
            remote=True,
            street_address="ignored",
            lat=49.0,
            lon=5.0,
        ),
    )
    assert mission.remote and (mission.street_address, mission.lat, mission.lon) == ("", None, None)


def test_another_organisations_association_is_refused(cast: Cast) -> None:
    elsewhere = make_association(cast.other_org, "Club d'Autreville")
    with pytest.raises(MissionRefused):
        services.mission_create(
            organisation=cast.org,
            association=elsewhere,
            actor=cast.participation_manager,
            data=MissionInput(title="x", description="y", remote=True),
        )
    assert not Mission.objects.exists()


def test_status_refresh_goes_to_full_and_back(cast: Cast) -> None:
    mission = make_mission(cast.org, slots=2, needed=1)
    first, second = mission.slots.all()
    volunteer = make_profile(cast.org)
    other = make_profile(cast.org, "Jean Dupont")
    _hold(first, volunteer)
    assert services.mission_status_refresh(mission_id=mission.pk) == "published"
    application = _hold(second, other)
    assert services.mission_status_refresh(mission_id=mission.pk) == "full"
    mission.refresh_from_db()
    assert mission.status == Mission.Status.FULL
    # A place frees up: published again.
    application.state = Application.State.CANCELLED
    application.save()
    Slot.objects.filter(pk=second.pk).update(accepted_count=0)
    assert services.mission_status_refresh(mission_id=mission.pk) == "published"
    # A past slot with room does not keep a mission open; a cancelled one neither.
    Slot.objects.filter(pk=second.pk).update(
        starts_at=timezone.now() - timedelta(days=2), ends_at=timezone.now() - timedelta(days=1)
    )
    assert services.mission_status_refresh(mission_id=mission.pk) == "full"
    # Adding a slot opens it again.
    start = timezone.now() + timedelta(days=20)
    services.slot_add(
        mission=mission,
        actor=cast.participation_manager,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        needed=3,
    )
    mission.refresh_from_db()
    assert mission.status == Mission.Status.PUBLISHED


def test_status_refresh_leaves_drafts_closed_and_cancelled_alone(cast: Cast) -> None:
    for status in ("draft", "closed", "cancelled"):
        mission = make_mission(cast.org, status=status, needed=1)
        Slot.objects.filter(mission=mission).update(accepted_count=1)
        assert services.mission_status_refresh(mission_id=mission.pk) == status


def test_transitions_and_refused_ones(cast: Cast) -> None:
    agent = cast.participation_manager
    mission = make_mission(cast.org, status=Mission.Status.DRAFT, slots=0)
    with pytest.raises(MissionRefused, match="Add at least one future slot"):
        services.mission_publish(mission=mission, actor=agent)
    with pytest.raises(MissionRefused, match="Only a published or full mission"):
        services.mission_close(mission=mission, actor=agent)
    start = timezone.now() + timedelta(days=3)
    services.slot_add(
        mission=mission, actor=agent, starts_at=start, ends_at=start + timedelta(hours=1), needed=1
    )
    assert services.mission_publish(mission=mission, actor=agent).status == "published"
    mission.refresh_from_db()
    assert mission.published_at is not None
    with pytest.raises(MissionRefused, match="Only a draft or a closed mission"):
        services.mission_publish(mission=mission, actor=agent)
    assert services.mission_close(mission=mission, actor=agent).status == "closed"
    assert services.mission_publish(mission=mission, actor=agent).status == "published"
    services.mission_set_urgency(mission=mission, actor=agent, urgency="urgent")
    with pytest.raises(MissionRefused):
        services.mission_set_urgency(mission=mission, actor=agent, urgency="panic")
    with pytest.raises(MissionRefused, match="Give the reason"):
        services.mission_cancel(mission=mission, actor=agent, reason=" ")
    services.mission_cancel(mission=mission, actor=agent, reason="Météo")
    with pytest.raises(MissionRefused, match="already cancelled"):
        services.mission_cancel(mission=mission, actor=agent, reason="Encore")
    with pytest.raises(MissionRefused, match="cancelled mission cannot be changed"):
        services.mission_update(
            mission=mission, actor=agent, data=MissionInput(title="x", description="y", remote=True)
        )
    mission.refresh_from_db()
    assert (mission.status, mission.urgency) == ("cancelled", "urgent")
    actions = list(
        AuditEvent.objects.filter(target_id=mission.pk)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "mission.published",
        "mission.closed",
        "mission.published",
        "mission.urgency",
        "mission.cancelled",
    ]


def test_publishing_a_mission_whose_slots_are_taken_makes_it_full(cast: Cast) -> None:
    mission = make_mission(cast.org, status=Mission.Status.CLOSED, needed=1)
    Slot.objects.filter(mission=mission).update(accepted_count=1)
    assert services.mission_publish(mission=mission, actor=cast.administrator).status == "full"


def test_a_slot_never_goes_below_the_places_held(cast: Cast) -> None:
    mission = make_mission(cast.org, needed=3)
    slot = mission.slots.get()
    _hold(slot, make_profile(cast.org))
    _hold(slot, make_profile(cast.org, "Jean Dupont"))
    with pytest.raises(MissionRefused, match="2 places are already held"):
        services.slot_update(
            slot=slot,
            actor=cast.participation_manager,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            needed=1,
        )
    slot.refresh_from_db()
    assert slot.volunteers_needed == 3
    services.slot_update(
        slot=slot,
        actor=cast.participation_manager,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        needed=2,
    )
    mission.refresh_from_db()
    assert mission.status == Mission.Status.FULL
    with pytest.raises(MissionRefused, match="must end after it starts"):
        services.slot_add(
            mission=mission,
            actor=cast.participation_manager,
            starts_at=slot.starts_at,
            ends_at=slot.starts_at,
            needed=1,
        )
    with pytest.raises(MissionRefused, match="must start in the future"):
        past = timezone.now() - timedelta(hours=5)
        services.slot_add(
            mission=mission,
            actor=cast.participation_manager,
            starts_at=past,
            ends_at=past + timedelta(hours=1),
            needed=1,
        )
    assert mission.slots.count() == 1


def test_the_schedule_materialises_weekly_slots_and_replaces_untouched_ones(cast: Cast) -> None:
    mission = make_mission(cast.org, slots=0, status=Mission.Status.DRAFT)
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())  # next Monday, at least a day ahead
    created = services.schedule_apply(
        mission=mission,
        weekdays=[0, 3],
        start=time(9, 0),
        end=time(12, 0),
        from_date=monday,
        until_date=monday + timedelta(weeks=4) - timedelta(days=1),
        needed=3,
    )
    slots = list(mission.slots.order_by("starts_at"))
    assert created == len(slots) == 8
    assert {timezone.localtime(s.starts_at).weekday() for s in slots} == {0, 3}
    assert all(timezone.localtime(s.starts_at).time() == time(9, 0) for s in slots)
    assert all(s.hours == 3 and s.volunteers_needed == 3 and s.from_schedule for s in slots)
    mission.refresh_from_db()
    assert mission.schedule["weekdays"] == [0, 3] and mission.schedule["needed"] == 3
    # Someone applied to the first Thursday: it stays; the rest is replaced.
    thursday = slots[1]
    _hold(thursday, make_profile(cast.org))
    created = services.schedule_apply(
        mission=mission,
        weekdays=[3],
        start=time(9, 0),
        end=time(12, 0),
        from_date=monday,
        until_date=monday + timedelta(weeks=2),
        needed=2,
    )
    remaining = list(mission.slots.order_by("starts_at"))
    assert thursday in remaining
    assert created == 1 and len(remaining) == 2
    assert {timezone.localtime(s.starts_at).weekday() for s in remaining} == {3}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"weekdays": []}, "Choose at least one day"),
        ({"end": time(8, 0)}, "must end after it starts"),
        ({"until_weeks": 27}, "26 weeks at most"),
        ({"until_weeks": -1}, "on or after the start date"),
        ({"needed": 0}, "between 1 and 500"),
    ],
)
def test_a_bad_schedule_is_refused_and_changes_nothing(
    cast: Cast, overrides: dict[str, Any], message: str
) -> None:
    mission = make_mission(cast.org, slots=1)
    start = timezone.localdate() + timedelta(days=1)
    weeks = overrides.pop("until_weeks", 4)
    arguments: dict[str, Any] = {
        "weekdays": [0, 1, 2],
        "start": time(9, 0),
        "end": time(12, 0),
        "from_date": start,
        "until_date": start + timedelta(weeks=weeks),
        "needed": 2,
    }
    arguments.update(overrides)
    with pytest.raises(MissionRefused, match=message):
        services.schedule_apply(mission=mission, **arguments)
    assert mission.slots.count() == 1
    mission.refresh_from_db()
    assert mission.schedule == {}


def test_cancelling_a_mission_tells_each_volunteer(cast: Cast, settings: Any) -> None:
    mission = make_mission(cast.org, "Marché de Noël", slots=2, needed=3)
    first, second = mission.slots.order_by("starts_at")
    past = Slot.objects.create(
        mission=mission,
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3) + timedelta(hours=2),
        volunteers_needed=2,
        accepted_count=1,
    )
    jeanne = make_profile(cast.org, "Jeanne Roux", email="jeanne@example.org")
    marc = make_profile(cast.org, "Marc Blanc", email="marc@example.org")
    gone = make_profile(cast.org, "Ancien", email="ancien@example.org")
    accepted = _hold(first, jeanne)
    waiting = _hold(second, marc, Application.State.WAITLISTED)
    declined = Application.objects.create(
        slot=second, profile=gone, state=Application.State.DECLINED
    )
    done = Application.objects.create(slot=past, profile=gone, state=Application.State.ACCEPTED)
    with smtp_server() as smtp:
        settings.ALERT_EMAIL_URL = smtp.url
        services.mission_cancel(
            mission=mission, actor=cast.participation_manager, reason="Arrêté préfectoral"
        )
        received = {tuple(m.rcpt_tos): m for m in smtp.received}
    assert set(received) == {("jeanne@example.org",), ("marc@example.org",)}
    mail = received[("jeanne@example.org",)]
    assert "Marché de Noël" in str(mail.message["Subject"])
    assert "Arrêté préfectoral" in _text(mail)
    for application in (accepted, waiting):
        application.refresh_from_db()
        assert application.state == Application.State.CANCELLED
        assert application.cancelled_by == Application.CancelledBy.ORGANISER
        assert application.cancel_reason == "Arrêté préfectoral"
    declined.refresh_from_db()
    done.refresh_from_db()
    assert declined.state == Application.State.DECLINED
    assert done.state == Application.State.ACCEPTED
    first.refresh_from_db()
    past.refresh_from_db()
    assert first.cancelled and first.accepted_count == 0
    assert not past.cancelled and past.accepted_count == 1
    mission.refresh_from_db()
    assert mission.status == Mission.Status.CANCELLED


def test_removing_a_slot_deletes_it_or_cancels_it_and_tells(cast: Cast, settings: Any) -> None:
    mission = make_mission(cast.org, slots=3, needed=2)
    empty, taken, other = mission.slots.order_by("starts_at")
    agent = cast.participation_manager
    assert services.slot_remove(slot=empty, actor=agent) == 0
    assert not Slot.objects.filter(pk=empty.pk).exists()
    application = _hold(taken, make_profile(cast.org, email="lea@example.org"))
    with pytest.raises(MissionRefused, match="Give the reason"):
        services.slot_remove(slot=taken, actor=agent, reason="")
    application.refresh_from_db()
    assert application.state == Application.State.ACCEPTED
    with smtp_server() as smtp:
        settings.ALERT_EMAIL_URL = smtp.url
        told = services.slot_remove(slot=taken, actor=agent, reason="Salle indisponible")
        [mail] = smtp.received
    assert told == 1
    assert mail.rcpt_tos == ["lea@example.org"]
    assert "Salle indisponible" in _text(mail)
    taken.refresh_from_db()
    application.refresh_from_db()
    assert taken.cancelled and taken.accepted_count == 0
    assert application.state == Application.State.CANCELLED
    assert application.cancelled_by == Application.CancelledBy.ORGANISER
    assert Slot.objects.filter(pk=other.pk, cancelled=False).exists()
    assert AuditEvent.objects.filter(action="mission.slot_remove").count() == 2


def test_moving_a_slot_tells_its_volunteers(cast: Cast, settings: Any) -> None:
    mission = make_mission(cast.org, "Visites de convivialité", needed=2)
    slot = mission.slots.get()
    application = _hold(slot, make_profile(cast.org, email="paul@example.org"))
    agent = cast.participation_manager
    with smtp_server() as smtp:
        settings.ALERT_EMAIL_URL = smtp.url
        # Only the number of places changes: nobody is told.
        services.slot_update(
            slot=slot, actor=agent, starts_at=slot.starts_at, ends_at=slot.ends_at, needed=3
        )
        assert smtp.received == []
        later = slot.starts_at + timedelta(hours=2)
        services.slot_update(
            slot=slot, actor=agent, starts_at=later, ends_at=later + timedelta(hours=3), needed=3
        )
        [mail] = smtp.received
    assert mail.rcpt_tos == ["paul@example.org"]
    assert "Visites de convivialité" in str(mail.message["Subject"])
    assert "has moved" in _text(mail)
    slot.refresh_from_db()
    application.refresh_from_db()
    assert slot.starts_at == later and slot.volunteers_needed == 3
    assert application.state == Application.State.ACCEPTED
