"""Registration: seats, the waiting list promoted automatically, refusals, one per person."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from beffroi.participation.access import ActionRefused
from beffroi.participation.meetings import services
from beffroi.participation.meetings.selectors import seats_in_words
from beffroi.participation.models import (
    Notification,
    Participant,
    Phase,
    PhaseType,
    Process,
    Registration,
)
from beffroi.participation.tests.factories import make_meeting, make_process, participant
from beffroi.testing import Cast, make_user

Status = Registration.Status


def residents(cast: Cast, count: int) -> list[Participant]:
    return [
        participant(make_user(f"habitant{i}@example.org", full_name=f"Habitant {i}"), cast.org)
        for i in range(count)
    ]


def test_it_confirms_while_seats_are_free_then_fills_the_waiting_list(
    cast: Cast, process: Process
) -> None:
    meeting = make_meeting(process, capacity=2)
    people = residents(cast, 4)
    statuses = [services.registration_create(meeting=meeting, participant=p).status for p in people]
    assert statuses == [Status.CONFIRMED, Status.CONFIRMED, Status.WAITING, Status.WAITING]
    assert seats_in_words(meeting) == "Full: registering puts you on the waiting list."


def test_it_promotes_the_first_on_the_waiting_list_and_tells_them(
    cast: Cast, process: Process
) -> None:
    meeting = make_meeting(process, capacity=1)
    first, second, third = residents(cast, 3)
    held = services.registration_create(meeting=meeting, participant=first)
    services.registration_create(meeting=meeting, participant=second)
    services.registration_create(meeting=meeting, participant=third)

    promoted = services.registration_cancel(registration=held)

    assert [r.participant_id for r in promoted] == [second.pk]
    assert Registration.objects.get(meeting=meeting, participant=second).status == Status.CONFIRMED
    assert Registration.objects.get(meeting=meeting, participant=third).status == Status.WAITING
    assert Registration.objects.get(pk=held.pk).status == Status.CANCELLED
    notice = Notification.objects.get(recipient=second)
    assert notice.kind == "meeting"
    assert meeting.title in notice.title
    assert notice.url == f"/participer/rencontres/square/{meeting.pk}/"
    assert not Notification.objects.filter(recipient__in=[first, third]).exists()


def test_it_does_not_promote_when_a_waiting_person_leaves(cast: Cast, process: Process) -> None:
    meeting = make_meeting(process, capacity=1)
    first, second = residents(cast, 2)
    services.registration_create(meeting=meeting, participant=first)
    waiting = services.registration_create(meeting=meeting, participant=second)
    assert services.registration_cancel(registration=waiting) == []
    assert Registration.objects.get(pk=waiting.pk).status == Status.CANCELLED
    assert not Notification.objects.exists()


def test_it_promotes_the_waiting_list_when_seats_are_added(cast: Cast, process: Process) -> None:
    meeting = make_meeting(process, capacity=1)
    people = residents(cast, 4)
    for person in people:
        services.registration_create(meeting=meeting, participant=person)
    data = services.MeetingData(
        title=meeting.title,
        kind=meeting.kind,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        place_name=meeting.place_name,
        address_text=meeting.address_text,
        capacity=3,
    )
    services.meeting_update(meeting=meeting, actor=cast.participation_manager, data=data)
    confirmed = Registration.objects.filter(meeting=meeting, status=Status.CONFIRMED)
    assert sorted(confirmed.values_list("participant_id", flat=True)) == sorted(
        p.pk for p in people[:3]
    )
    assert Notification.objects.filter(recipient__in=people[1:3]).count() == 2


def test_it_puts_someone_registering_again_at_the_end_of_the_waiting_list(
    cast: Cast, process: Process
) -> None:
    meeting = make_meeting(process, capacity=1)
    first, second, third = residents(cast, 3)
    services.registration_create(meeting=meeting, participant=first)
    mine = services.registration_create(meeting=meeting, participant=second)
    services.registration_create(meeting=meeting, participant=third)
    services.registration_cancel(registration=mine)
    again = services.registration_create(meeting=meeting, participant=second)
    assert again.pk == mine.pk and again.status == Status.WAITING
    promoted = services.registration_cancel(
        registration=Registration.objects.get(meeting=meeting, participant=first)
    )
    assert [r.participant_id for r in promoted] == [third.pk]


def test_it_keeps_one_registration_per_person(cast: Cast, process: Process) -> None:
    meeting = make_meeting(process)
    alice = participant(cast.resident, cast.org)
    first = services.registration_create(meeting=meeting, participant=alice)
    second = services.registration_create(meeting=meeting, participant=alice)
    assert first.pk == second.pk
    assert Registration.objects.filter(meeting=meeting).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(meeting=meeting, participant=alice, status=Status.WAITING)


def test_it_has_no_limit_without_a_capacity(cast: Cast, process: Process) -> None:
    meeting = make_meeting(process, capacity=None)
    for person in residents(cast, 5):
        services.registration_create(meeting=meeting, participant=person)
    assert Registration.objects.filter(meeting=meeting, status=Status.CONFIRMED).count() == 5
    assert seats_in_words(meeting) == "No limit on the number of participants."


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"registration_open": False}, "registration_closed"),
        ({"cancelled_at": timezone.now()}, "meeting_cancelled"),
        ({"in_days": -0.01}, "meeting_started"),
    ],
)
def test_it_refuses_a_closed_cancelled_or_started_meeting(
    cast: Cast, process: Process, change: dict[str, object], code: str
) -> None:
    meeting = make_meeting(process, **change)  # type: ignore[arg-type]
    alice = participant(cast.resident, cast.org)
    with pytest.raises(ActionRefused) as refused:
        services.registration_create(meeting=meeting, participant=alice)
    assert refused.value.decision.code == code
    assert not Registration.objects.exists()


def test_it_refuses_outside_a_phase_allowing_registration(cast: Cast) -> None:
    process = make_process(cast.org, slug="analyse", phases=(PhaseType.ANALYSIS,))
    meeting = make_meeting(process)
    alice = participant(cast.resident, cast.org)
    with pytest.raises(ActionRefused) as refused:
        services.registration_create(meeting=meeting, participant=alice)
    assert refused.value.decision.code == "phase_closed"
    with pytest.raises(ActionRefused) as anonymous:
        services.registration_create(
            meeting=make_meeting(make_process(cast.org, slug="autre")), participant=None
        )
    assert anonymous.value.decision.code == "login"
    assert not Registration.objects.exists()


def test_it_lets_a_resident_cancel_after_the_phase_closed(cast: Cast, process: Process) -> None:
    meeting = make_meeting(process)
    alice = participant(cast.resident, cast.org)
    registration = services.registration_create(meeting=meeting, participant=alice)
    Phase.objects.filter(process=process).update(mode=Phase.Mode.CLOSED)
    services.registration_cancel(registration=registration)
    assert Registration.objects.get(pk=registration.pk).status == Status.CANCELLED


def test_it_refuses_to_cancel_once_the_meeting_started(cast: Cast, process: Process) -> None:
    meeting = make_meeting(process)
    alice = participant(cast.resident, cast.org)
    registration = services.registration_create(meeting=meeting, participant=alice)
    with pytest.raises(ActionRefused):
        services.registration_cancel(
            registration=registration, now=meeting.starts_at + timedelta(minutes=5)
        )
    assert Registration.objects.get(pk=registration.pk).status == Status.CONFIRMED
