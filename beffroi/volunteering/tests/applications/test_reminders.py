"""The reminder before a slot: once, 24 to 48 hours before, by e-mail with the slot's
iCalendar file (what a real loopback SMTP server received), or by SMS without e-mail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.testing import Cast
from beffroi.volunteering.applications import ical
from beffroi.volunteering.applications.services import application_apply, reminders_send
from beffroi.volunteering.models import Application, Slot
from beffroi.volunteering.tests.applications.conftest import Scene
from beffroi.volunteering.tests.factories import make_mission

pytestmark = pytest.mark.django_db
Gateways = tuple[SmtpServer, SmscServer]


def _slot_in(scene: Scene, hours: float) -> Slot:
    start = (timezone.now() + timedelta(hours=hours)).replace(microsecond=0)
    return Slot.objects.create(
        mission=scene.mission,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        volunteers_needed=5,
    )


def test_it_reminds_once_by_email_with_the_calendar_and_by_sms(
    cast: Cast, scene: Scene, gateways: Gateways
) -> None:
    smtp, smsc = gateways
    slot = _slot_in(scene, 30)
    alice = application_apply(slot=slot, profile=scene.alice)
    bruno = application_apply(slot=slot, profile=scene.bruno)
    assert reminders_send() == 2
    [mail] = smtp.received
    assert mail.rcpt_tos == ["alice@example.org"]
    assert scene.mission.title in mail.message.get_body(("plain",)).get_content()
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    content = attachment.get_payload(decode=True).decode()
    lines = ical.unfold(content)
    assert f"DTSTART:{ical.utc(slot.starts_at)}" in lines
    assert f"SUMMARY:{ical.text(scene.mission.title)}" in lines
    assert {sms.destination for sms in smsc.accepted} == {"33639980002"}
    alice.refresh_from_db()
    bruno.refresh_from_db()
    assert alice.reminded_at is not None and bruno.reminded_at is not None
    # Once only.
    assert reminders_send() == 0
    assert len(smtp.received) == 1


def test_it_reminds_neither_too_early_nor_too_late_nor_the_waiting(
    cast: Cast, scene: Scene, gateways: Gateways
) -> None:
    smtp, smsc = gateways
    soon = _slot_in(scene, 10)
    later = _slot_in(scene, 72)
    application_apply(slot=soon, profile=scene.alice)
    application_apply(slot=later, profile=scene.alice)
    full = _slot_in(scene, 30)
    Slot.objects.filter(pk=full.pk).update(volunteers_needed=1)
    full.refresh_from_db()
    application_apply(slot=full, profile=scene.alice)
    waiting = application_apply(slot=full, profile=scene.bruno)
    assert waiting.state == Application.State.WAITLISTED
    assert reminders_send() == 1
    assert len(smtp.received) == 1
    assert smsc.accepted == []
    assert Application.objects.filter(reminded_at__isnull=False).count() == 1


def test_it_runs_as_a_periodic_job(cast: Cast, gateways: Gateways) -> None:
    smtp, _smsc = gateways
    mission = make_mission(
        cast.org, "Maraude du soir", starts_at=timezone.now() + timedelta(hours=36)
    )
    from beffroi.volunteering.tests.factories import make_profile

    profile = make_profile(cast.org, "Zoé Rappel", email="zoe@example.org")
    application_apply(slot=mission.slots.get(), profile=profile)
    call_command("periodic", "--job", "volunteering-application-reminders")
    assert [m.rcpt_tos for m in smtp.received] == [["zoe@example.org"]]


def test_it_tells_a_pending_volunteer_their_application_still_awaits_an_answer(
    cast: Cast, scene: Scene, gateways: Gateways
) -> None:
    """Nobody told them they take part: the reminder says the answer is still awaited, and
    the calendar entry stays tentative; an accepted volunteer is told they take part."""
    from beffroi.volunteering.applications.services import application_accept

    smtp, smsc = gateways
    slot = _slot_in(scene, 30)
    application_apply(slot=slot, profile=scene.alice)
    bruno = application_apply(slot=slot, profile=scene.bruno)
    application_accept(application=bruno, actor=cast.association_manager)
    before = len(smsc.accepted)
    assert reminders_send() == 2
    [mail] = smtp.received
    text = mail.message.get_body(("plain",)).get_content()
    assert mail.message["Subject"].startswith("Reminder: your application for ")
    assert "is still awaiting the organiser's answer" in text
    assert "you take part" not in text
    [attachment] = list(mail.message.iter_attachments())
    assert "STATUS:TENTATIVE" in ical.unfold(attachment.get_payload(decode=True).decode())
    parts = smsc.accepted[before:]
    assert {sms.destination for sms in parts} == {"33639980002"}
    assert "reminder, mission" in "".join(sms.text for sms in parts)


def test_its_sms_to_a_pending_volunteer_says_the_answer_is_awaited(
    cast: Cast, scene: Scene, gateways: Gateways
) -> None:
    _smtp, smsc = gateways
    slot = _slot_in(scene, 30)
    application_apply(slot=slot, profile=scene.bruno)
    assert reminders_send() == 1
    assert "still awaits the organiser's answer" in "".join(sms.text for sms in smsc.accepted)
