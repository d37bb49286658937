"""The reminder the day before: once per meeting, to confirmed registrants only."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from beffroi.participation.meetings import services
from beffroi.participation.models import Meeting, Notification, Process, Registration
from beffroi.participation.tests.factories import make_meeting, participant
from beffroi.testing import Cast, make_user


def _at(day_offset: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, 0))


def test_it_reminds_confirmed_registrants_once(cast: Cast, process: Process) -> None:
    meeting = make_meeting(process, capacity=1)
    alice = participant(cast.resident, cast.org)
    bruno = participant(cast.resident2, cast.org)
    services.registration_create(meeting=meeting, participant=alice)
    services.registration_create(meeting=meeting, participant=bruno)  # waiting
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=_at(1, 18), ends_at=_at(1, 20))
    now = _at(0, 9)

    assert services.meeting_reminders_send(now=now) == 1
    assert services.meeting_reminders_send(now=now) == 0
    assert services.meeting_reminders_send(now=now + timedelta(hours=5)) == 0

    notices = Notification.objects.filter(kind="meeting")
    assert list(notices.values_list("recipient_id", flat=True)) == [alice.pk]
    assert "tomorrow" in notices.get().title
    meeting.refresh_from_db()
    assert meeting.reminders_sent_at == now


def test_it_waits_for_the_day_before_and_skips_cancelled_meetings(
    cast: Cast, process: Process
) -> None:
    alice = participant(cast.resident, cast.org)
    later = make_meeting(process, title="Dans trois jours")
    cancelled = make_meeting(process, title="Annulée")
    for meeting, day in ((later, 3), (cancelled, 1)):
        services.registration_create(meeting=meeting, participant=alice)
        Meeting.objects.filter(pk=meeting.pk).update(starts_at=_at(day, 18), ends_at=_at(day, 20))
    Meeting.objects.filter(pk=cancelled.pk).update(cancelled_at=timezone.now())

    assert services.meeting_reminders_send(now=_at(0, 9)) == 0
    assert not Notification.objects.exists()
    # Two days later the first one is tomorrow.
    assert services.meeting_reminders_send(now=_at(2, 9)) == 1
    assert Notification.objects.get().title.startswith("Reminder: “Dans trois jours”")


def test_it_reminds_again_a_meeting_moved_to_another_day(cast: Cast, process: Process) -> None:
    meeting = make_meeting(process)
    alice = participant(cast.resident, cast.org)
    services.registration_create(meeting=meeting, participant=alice)
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=_at(1, 18), ends_at=_at(1, 20))
    assert services.meeting_reminders_send(now=_at(0, 9)) == 1
    meeting.refresh_from_db()
    data = services.MeetingData(
        title=meeting.title,
        kind=meeting.kind,
        starts_at=_at(8, 18),
        ends_at=_at(8, 20),
        place_name=meeting.place_name,
    )
    services.meeting_update(meeting=meeting, actor=cast.participation_manager, data=data)
    meeting.refresh_from_db()
    assert meeting.reminders_sent_at is None
    assert services.meeting_reminders_send(now=_at(7, 9)) == 1
    # The reminder, the change, the second reminder.
    assert Notification.objects.filter(recipient=alice).count() == 3


def test_the_command_sends_the_reminders(cast: Cast, process: Process) -> None:
    meeting = make_meeting(process, in_days=0.5)
    services.registration_create(
        meeting=meeting, participant=participant(make_user("x@example.org"), cast.org)
    )
    out = StringIO()
    call_command("participation_meeting_reminders", stdout=out)
    assert "Meetings reminded: 1." in out.getvalue()
    call_command("participation_meeting_reminders", stdout=out)
    assert "Meetings reminded: 0." in out.getvalue()
    assert Notification.objects.count() == 1
    assert Registration.objects.count() == 1


def test_the_workers_periodic_loop_runs_the_reminders(cast: Cast, process: Process) -> None:
    meeting = make_meeting(process, in_days=0.5)
    services.registration_create(meeting=meeting, participant=participant(cast.resident, cast.org))
    out = StringIO()
    call_command("periodic", job=["participation-meeting-reminders"], stdout=out)
    call_command("periodic", job=["participation-meeting-reminders"], stdout=out)
    assert "participation-meeting-reminders: 1" in out.getvalue()
    assert "participation-meeting-reminders: 0" in out.getvalue()
    assert Notification.objects.filter(kind="meeting").count() == 1
