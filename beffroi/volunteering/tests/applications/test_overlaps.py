"""One person, one place at a time: an application to a slot overlapping one where the
volunteer already holds a place (awaiting an answer or accepted) is refused, from the page,
the API and a call-out's "yes", naming the other mission and its time, with nothing written;
an organiser cannot accept such a volunteer; the waiting list passes them over (they keep
their rank) rather than double-book them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.testing import Cast
from beffroi.volunteering.applications.services import (
    ApplicationRefused,
    application_accept,
    application_apply,
    application_cancel,
)
from beffroi.volunteering.models import Application, Mission, Slot
from beffroi.volunteering.tests.applications.conftest import Scene
from beffroi.volunteering.tests.factories import make_mission, make_profile

pytestmark = pytest.mark.django_db
State = Application.State


def _friday() -> datetime:
    """A Friday at 17:00, a week or two from now (local time)."""
    day = timezone.localtime() + timedelta(days=7)
    day += timedelta(days=(4 - day.weekday()) % 7)
    return day.replace(hour=17, minute=0, second=0, microsecond=0)


def _mission(cast: Cast, title: str, start: datetime, hours: float, needed: int = 2) -> Mission:
    mission = make_mission(cast.org, title, slots=0)
    Slot.objects.create(
        mission=mission,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        volunteers_needed=needed,
    )
    return mission


@pytest.fixture
def evening(cast: Cast, scene: Scene) -> tuple[Slot, Slot]:
    """Alice holds Fri 17:00–21:00 on the food drive; the sandbags need people 18:00–20:00."""
    friday = _friday()
    food = _mission(cast, "Collecte de la banque alimentaire", friday, 4)
    sandbags = _mission(cast, "Sacs de sable", friday + timedelta(hours=1), 2)
    held = application_apply(slot=food.slots.get(), profile=scene.alice)
    assert held.state == State.PENDING
    return food.slots.get(), sandbags.slots.get()


def test_it_refuses_an_overlapping_application_naming_the_other_mission(
    scene: Scene, evening: tuple[Slot, Slot]
) -> None:
    food, sandbags = evening
    with pytest.raises(ApplicationRefused) as refused:
        application_apply(slot=sandbags, profile=scene.alice)
    message = str(refused.value)
    assert "Collecte de la banque alimentaire" in message
    assert "17:00" in message and "21:00" in message
    assert not Application.objects.filter(slot=sandbags).exists()
    sandbags.refresh_from_db()
    assert sandbags.accepted_count == 0
    # Accepted holds the place just as well; so does a call-out's "yes" (accepted at once).
    Application.objects.filter(slot=food).update(state=State.ACCEPTED)
    with pytest.raises(ApplicationRefused, match="Collecte"):
        application_apply(
            slot=sandbags,
            profile=scene.alice,
            source=Application.Source.CALLOUT,
            accept=True,
        )
    assert not Application.objects.filter(slot=sandbags).exists()


def test_it_refuses_the_waiting_list_of_an_overlapping_full_slot_too(
    scene: Scene, evening: tuple[Slot, Slot]
) -> None:
    _food, sandbags = evening
    Slot.objects.filter(pk=sandbags.pk).update(volunteers_needed=0)
    sandbags.refresh_from_db()
    with pytest.raises(ApplicationRefused, match="Collecte"):
        application_apply(slot=sandbags, profile=scene.alice)
    assert not Application.objects.filter(slot=sandbags).exists()


def test_it_allows_back_to_back_slots_and_a_freed_place(
    cast: Cast, scene: Scene, evening: tuple[Slot, Slot]
) -> None:
    food, sandbags = evening
    after = _mission(cast, "Rangement", food.ends_at, 1).slots.get()
    assert application_apply(slot=after, profile=scene.alice).state == State.PENDING
    # Another volunteer is not concerned.
    assert application_apply(slot=sandbags, profile=scene.bruno).state == State.PENDING
    # Once her place on the food drive is cancelled, Alice may take the sandbags.
    application_cancel(
        application=Application.objects.get(slot=food, profile=scene.alice),
        by=Application.CancelledBy.VOLUNTEER,
        actor=cast.resident,
        reason="",
    )
    assert application_apply(slot=sandbags, profile=scene.alice).state == State.PENDING


def test_a_waiting_list_elsewhere_does_not_block(
    cast: Cast, scene: Scene, evening: tuple[Slot, Slot]
) -> None:
    _food, sandbags = evening
    other = _mission(cast, "Veille crue", sandbags.starts_at, 1, needed=1).slots.get()
    application_apply(slot=other, profile=scene.bruno)
    # Bruno waits on "Veille crue" only: he may still take the sandbags at that time.
    carla = make_profile(cast.org, "Carla Dubois")
    application_apply(slot=other, profile=carla)
    assert Application.objects.get(slot=other, profile=carla).state == State.WAITLISTED
    assert application_apply(slot=sandbags, profile=carla).state == State.PENDING


def test_the_apply_page_says_it_and_writes_nothing(
    cast: Cast, scene: Scene, evening: tuple[Slot, Slot]
) -> None:
    _food, sandbags = evening
    client = Client()
    client.force_login(cast.resident)
    url = reverse("volunteering_applications:apply", args=[sandbags.mission_id])
    page = client.get(url).content.decode()
    assert "At the same time as your place on “Collecte de la banque alimentaire”" in page
    response = client.post(url, {"slot": sandbags.pk})
    assert response.status_code == 400
    content = response.content.decode()
    assert "You already hold a place on the mission “Collecte de la banque alimentaire”" in (
        content.replace("&#x27;", "'").replace("&quot;", '"')
    )
    assert not Application.objects.filter(slot=sandbags).exists()


def test_the_api_refuses_it_with_409_and_writes_nothing(
    cast: Cast, scene: Scene, evening: tuple[Slot, Slot], settings: Any
) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    _food, sandbags = evening
    client = Client()
    client.force_login(cast.resident)
    response = client.post(
        f"/api/v1/volunteering/missions/{sandbags.mission_id}/slots/{sandbags.pk}/applications",
        {},
        content_type="application/json",
    )
    assert response.status_code == 409, response.content
    detail = response.json()["detail"]
    assert "Collecte de la banque alimentaire" in detail and "17:00" in detail
    assert not Application.objects.filter(slot=sandbags).exists()


def test_an_organiser_cannot_accept_a_volunteer_booked_elsewhere_then(
    cast: Cast, scene: Scene
) -> None:
    friday = _friday()
    sandbags = _mission(cast, "Sacs de sable", friday + timedelta(hours=1), 2, needed=1)
    slot = sandbags.slots.get()
    application_apply(slot=slot, profile=scene.bruno)
    waiting = application_apply(slot=slot, profile=scene.alice)
    assert waiting.state == State.WAITLISTED
    # Meanwhile she took a place at the same time elsewhere.
    food = _mission(cast, "Collecte de la banque alimentaire", friday, 4)
    application_apply(slot=food.slots.get(), profile=scene.alice)
    Slot.objects.filter(pk=slot.pk).update(volunteers_needed=2)
    with pytest.raises(ApplicationRefused) as refused:
        application_accept(application=waiting, actor=cast.participation_manager)
    message = str(refused.value)
    assert "Alice Martin already holds a place on another slot at the same time" in message
    assert "17:00" in message
    waiting.refresh_from_db()
    slot.refresh_from_db()
    assert waiting.state == State.WAITLISTED and slot.accepted_count == 1


def test_the_waiting_list_passes_over_a_volunteer_booked_elsewhere_who_keeps_their_rank(
    cast: Cast, scene: Scene
) -> None:
    friday = _friday()
    sandbags = _mission(cast, "Sacs de sable", friday + timedelta(hours=1), 2, needed=1)
    slot = sandbags.slots.get()
    carla = make_profile(cast.org, "Carla Dubois")
    holder = application_apply(slot=slot, profile=scene.bruno)
    alice_waits = application_apply(slot=slot, profile=scene.alice)
    carla_waits = application_apply(slot=slot, profile=carla)
    food = _mission(cast, "Collecte de la banque alimentaire", friday, 4)
    application_apply(slot=food.slots.get(), profile=scene.alice)
    application_cancel(
        application=holder,
        by=Application.CancelledBy.VOLUNTEER,
        actor=cast.resident2,
        reason="",
    )
    alice_waits.refresh_from_db()
    carla_waits.refresh_from_db()
    slot.refresh_from_db()
    assert carla_waits.state == State.PENDING
    assert alice_waits.state == State.WAITLISTED
    assert slot.accepted_count == 1
    # Nobody else waits without a clash: the place stays free rather than double-book her.
    application_cancel(
        application=carla_waits,
        by=Application.CancelledBy.VOLUNTEER,
        actor=cast.resident2,
        reason="",
    )
    alice_waits.refresh_from_db()
    slot.refresh_from_db()
    assert alice_waits.state == State.WAITLISTED
    assert slot.accepted_count == 0
