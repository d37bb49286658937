"""Capacity holds when many residents take the last seats at the same instant (PostgreSQL:
SQLite runs one writer at a time, so the race is real only there)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from beffroi.participation.meetings import services
from beffroi.participation.models import Participant, Process, Registration
from beffroi.participation.tests.factories import make_meeting, participant
from beffroi.testing import Cast, at_once, make_user

Status = Registration.Status

concurrent = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite runs one writer at a time"
)


def _residents(cast: Cast, count: int) -> list[Participant]:
    return [participant(make_user(f"course{i}@example.org"), cast.org) for i in range(count)]


@concurrent
@pytest.mark.django_db(transaction=True)
def test_it_never_confirms_more_than_the_capacity_under_a_rush(
    cast: Cast, process: Process
) -> None:
    meeting = make_meeting(process, capacity=5)
    people = _residents(cast, 20)
    results = at_once(
        20, lambda i: services.registration_create(meeting=meeting, participant=people[i])
    )
    assert all(isinstance(r, Registration) for r in results), results
    assert Registration.objects.filter(meeting=meeting, status=Status.CONFIRMED).count() == 5
    assert Registration.objects.filter(meeting=meeting, status=Status.WAITING).count() == 15


@concurrent
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_registration_when_a_resident_clicks_many_times(
    cast: Cast, process: Process
) -> None:
    meeting = make_meeting(process, capacity=3)
    alice = participant(cast.resident, cast.org)
    results = at_once(
        10, lambda i: services.registration_create(meeting=meeting, participant=alice)
    )
    assert all(isinstance(r, Registration) for r in results), results
    assert Registration.objects.filter(meeting=meeting).count() == 1
    assert {r.pk for r in results} == {results[0].pk}


@concurrent
@pytest.mark.django_db(transaction=True)
def test_it_hands_freed_seats_over_without_overbooking(cast: Cast, process: Process) -> None:
    meeting = make_meeting(process, capacity=4)
    holders = _residents(cast, 4)
    held = [services.registration_create(meeting=meeting, participant=p) for p in holders]
    newcomers = [participant(make_user(f"nouveau{i}@example.org"), cast.org) for i in range(8)]

    def work(i: int) -> Any:
        # Half the threads cancel a held seat, the others register at the same moment.
        if i < 4:
            return services.registration_cancel(registration=held[i])
        return services.registration_create(meeting=meeting, participant=newcomers[i - 4])

    results = at_once(8, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    confirmed = Registration.objects.filter(meeting=meeting, status=Status.CONFIRMED)
    assert confirmed.count() == 4
    assert not confirmed.filter(participant__in=holders).exists()
    assert Registration.objects.filter(meeting=meeting, status=Status.WAITING).count() == 0
