"""Applying to a slot: a place while there is room, the waiting list when full, refusals
with their reasons, re-applying after one's own cancellation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from beffroi.core.models import AuditEvent
from beffroi.testing import Cast
from beffroi.volunteering.applications.services import (
    ApplicationRefused,
    application_apply,
    application_cancel,
)
from beffroi.volunteering.models import Application, Certification, Mission, Slot
from beffroi.volunteering.tests.applications.conftest import Scene
from beffroi.volunteering.tests.factories import make_mission, make_profile

pytestmark = pytest.mark.django_db
State = Application.State


def test_it_holds_a_place_for_the_first_applicant(scene: Scene) -> None:
    slot = scene.mission.slots.get()
    application = application_apply(slot=slot, profile=scene.alice, message="  Dispo ! ")
    slot.refresh_from_db()
    assert application.state == State.PENDING
    assert application.message == "Dispo !"
    assert slot.accepted_count == 1
    assert AuditEvent.objects.filter(action="volunteering.application.apply").count() == 1


def test_it_puts_the_second_on_the_waiting_list_and_marks_the_mission_full(
    scene: Scene,
) -> None:
    slot = scene.mission.slots.get()
    application_apply(slot=slot, profile=scene.alice)
    second = application_apply(slot=slot, profile=scene.bruno)
    slot.refresh_from_db()
    scene.mission.refresh_from_db()
    assert second.state == State.WAITLISTED
    assert slot.accepted_count == 1
    assert scene.mission.status == Mission.Status.FULL


def test_it_accepts_at_once_when_asked(scene: Scene) -> None:
    slot = scene.mission.slots.get()
    application = application_apply(
        slot=slot, profile=scene.alice, source=Application.Source.CALLOUT, accept=True
    )
    assert application.state == State.ACCEPTED
    assert application.decided_at is not None


def test_it_returns_the_same_application_when_applying_twice(scene: Scene) -> None:
    slot = scene.mission.slots.get()
    first = application_apply(slot=slot, profile=scene.alice)
    again = application_apply(slot=slot, profile=scene.alice)
    slot.refresh_from_db()
    assert again.pk == first.pk
    assert slot.accepted_count == 1
    assert Application.objects.count() == 1


def test_it_reopens_the_row_after_the_volunteers_own_cancellation(cast: Cast, scene: Scene) -> None:
    slot = scene.mission.slots.get()
    first = application_apply(slot=slot, profile=scene.alice)
    application_cancel(
        application=first, by=Application.CancelledBy.VOLUNTEER, actor=cast.resident, reason=""
    )
    slot.refresh_from_db()
    assert slot.accepted_count == 0
    again = application_apply(slot=slot, profile=scene.alice)
    slot.refresh_from_db()
    assert again.pk == first.pk
    assert again.state == State.PENDING
    assert again.cancelled_by == ""
    assert slot.accepted_count == 1


def test_it_refuses_again_after_a_decline(cast: Cast, scene: Scene) -> None:
    from beffroi.volunteering.applications.services import application_decline

    slot = scene.mission.slots.get()
    first = application_apply(slot=slot, profile=scene.alice)
    application_decline(application=first, actor=cast.association_manager, reason="Complet.")
    with pytest.raises(ApplicationRefused, match="already declined"):
        application_apply(slot=slot, profile=scene.alice)
    assert Application.objects.get().state == State.DECLINED


@pytest.mark.parametrize(
    "status", [Mission.Status.DRAFT, Mission.Status.CLOSED, Mission.Status.CANCELLED]
)
def test_it_refuses_a_mission_that_is_not_open(cast: Cast, scene: Scene, status: str) -> None:
    Mission.objects.filter(pk=scene.mission.pk).update(status=status)
    slot = scene.mission.slots.get()
    with pytest.raises(ApplicationRefused, match="not open"):
        application_apply(slot=slot, profile=scene.alice)
    assert not Application.objects.exists()


def test_it_refuses_a_past_or_cancelled_slot(cast: Cast, scene: Scene) -> None:
    slot = scene.mission.slots.get()
    Slot.objects.filter(pk=slot.pk).update(cancelled=True)
    slot.refresh_from_db()
    with pytest.raises(ApplicationRefused, match="cancelled"):
        application_apply(slot=slot, profile=scene.alice)
    past = Slot.objects.create(
        mission=scene.mission,
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() - timedelta(days=1) + timedelta(hours=2),
    )
    with pytest.raises(ApplicationRefused, match="already started"):
        application_apply(slot=past, profile=scene.alice)
    assert not Application.objects.exists()
    slot.refresh_from_db()
    assert slot.accepted_count == 0


def test_it_refuses_with_the_missing_prerequisites(cast: Cast) -> None:
    mission = make_mission(
        cast.org,
        "Poste de secours de la fête",
        min_age=18,
        certifications=[Certification.PSC1],
    )
    young = make_profile(cast.org, "Léo Jeune", birth_date=date.today() - timedelta(days=16 * 365))
    with pytest.raises(ApplicationRefused) as refused:
        application_apply(slot=mission.slots.get(), profile=young)
    assert "18" in str(refused.value)
    assert "PSC1" in str(refused.value)
    assert not Application.objects.exists()
    trained = make_profile(
        cast.org,
        "Nora Secouriste",
        birth_date=date(1990, 1, 1),
        certifications=((Certification.PSC1, None),),
    )
    assert application_apply(slot=mission.slots.get(), profile=trained).state == State.PENDING


def test_it_refuses_another_organisations_profile(cast: Cast, scene: Scene) -> None:
    stranger = make_profile(cast.other_org, "Autre Commune")
    with pytest.raises(ApplicationRefused):
        application_apply(slot=scene.mission.slots.get(), profile=stranger)
    assert not Application.objects.exists()
