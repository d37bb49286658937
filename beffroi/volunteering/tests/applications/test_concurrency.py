"""Two volunteers applying at the same instant for the last place: one gets it, the other
waits on the list, and the slot's count of places stays exact (PostgreSQL: SQLite runs one
writer at a time, so the race is real only there)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from beffroi.testing import Cast, at_once
from beffroi.volunteering.applications.services import application_apply, application_cancel
from beffroi.volunteering.models import Application, Slot
from beffroi.volunteering.tests.factories import make_mission, make_profile

State = Application.State
concurrent = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite runs one writer at a time"
)


@concurrent
@pytest.mark.django_db(transaction=True)
def test_it_gives_the_last_place_to_one_of_two_volunteers_applying_at_once(cast: Cast) -> None:
    mission = make_mission(cast.org, needed=1)
    slot = mission.slots.get()
    people = [make_profile(cast.org, f"Bénévole {i}") for i in range(2)]
    results = at_once(2, lambda i: application_apply(slot=slot, profile=people[i]))
    assert all(isinstance(r, Application) for r in results), results
    assert sorted(r.state for r in results) == [State.PENDING, State.WAITLISTED]
    slot.refresh_from_db()
    assert slot.accepted_count == 1
    assert Application.objects.filter(slot=slot, state=State.PENDING).count() == 1
    assert Application.objects.filter(slot=slot, state=State.WAITLISTED).count() == 1


@concurrent
@pytest.mark.django_db(transaction=True)
def test_it_never_holds_more_places_than_needed_under_a_rush(cast: Cast) -> None:
    mission = make_mission(cast.org, needed=3)
    slot = mission.slots.get()
    people = [make_profile(cast.org, f"Bénévole {i}") for i in range(12)]
    results = at_once(
        12, lambda i: application_apply(slot=slot, profile=people[i], accept=i % 2 == 0)
    )
    assert all(isinstance(r, Application) for r in results), results
    slot.refresh_from_db()
    assert slot.accepted_count == 3
    held = Application.objects.filter(slot=slot, state__in=[State.PENDING, State.ACCEPTED])
    assert held.count() == 3
    assert Application.objects.filter(slot=slot, state=State.WAITLISTED).count() == 9


@concurrent
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_application_when_a_volunteer_clicks_many_times(cast: Cast) -> None:
    mission = make_mission(cast.org, needed=2)
    slot = mission.slots.get()
    profile = make_profile(cast.org, "Double Clic")
    results = at_once(6, lambda i: application_apply(slot=slot, profile=profile))
    assert all(isinstance(r, Application) for r in results), results
    assert {r.pk for r in results} == {results[0].pk}
    slot.refresh_from_db()
    assert slot.accepted_count == 1


@concurrent
@pytest.mark.django_db(transaction=True)
def test_it_hands_freed_places_over_without_overbooking(cast: Cast) -> None:
    mission = make_mission(cast.org, needed=3)
    slot = mission.slots.get()
    holders = [make_profile(cast.org, f"Titulaire {i}") for i in range(3)]
    held = [application_apply(slot=slot, profile=p) for p in holders]
    newcomers = [make_profile(cast.org, f"Nouveau {i}") for i in range(6)]

    def work(i: int) -> Any:
        # Half the threads cancel a held place, the others apply at the same moment.
        if i < 3:
            return application_cancel(
                application=held[i],
                by=Application.CancelledBy.VOLUNTEER,
                actor=None,
                reason="",
            )
        return application_apply(slot=slot, profile=newcomers[i - 3])

    results = at_once(6, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    slot = Slot.objects.get(pk=slot.pk)
    holding = Application.objects.filter(slot=slot, state__in=[State.PENDING, State.ACCEPTED])
    assert slot.accepted_count == holding.count() == 3
    assert not holding.filter(profile__in=holders).exists()
    assert Application.objects.filter(slot=slot, state=State.WAITLISTED).count() == 0
