"""Limits: hours no longer than the slot, messages and cancel-then-apply loops that would
flood the other side."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.testing import Cast
from beffroi.volunteering.applications import services
from beffroi.volunteering.applications.services import (
    ApplicationRefused,
    application_accept,
    application_apply,
    application_attendance_record,
    application_cancel,
    application_message_send,
)
from beffroi.volunteering.models import Application, ApplicationMessage, Slot
from beffroi.volunteering.tests.applications.conftest import Scene

pytestmark = pytest.mark.django_db

Gateways = tuple[SmtpServer, SmscServer]
State = Application.State


def _past_accepted(scene: Scene, cast: Cast, hours: int = 2) -> Application:
    slot = scene.mission.slots.get()
    application = application_apply(slot=slot, profile=scene.alice)
    application_accept(application=application, actor=cast.association_manager)
    start = timezone.now() - timedelta(days=2)
    Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + timedelta(hours=hours))
    return Application.objects.get(pk=application.pk)


def test_it_refuses_more_hours_than_the_slot_lasted(cast: Cast, scene: Scene) -> None:
    application = _past_accepted(scene, cast, hours=2)
    for hours in (Decimal("24"), Decimal("2.25")):
        with pytest.raises(ApplicationRefused, match="no more than the slot lasted"):
            application_attendance_record(
                application=application,
                actor=cast.association_manager,
                present=True,
                hours=hours,
            )
    application.refresh_from_db()
    assert application.hours is None
    assert application.attendance == Application.Attendance.UNKNOWN
    application_attendance_record(
        application=application, actor=cast.association_manager, present=True, hours=Decimal("2")
    )
    application.refresh_from_db()
    assert application.hours == Decimal("2.00")


def test_it_shows_the_hours_refusal_on_the_attendance_page(cast: Cast, scene: Scene) -> None:
    from django.test import Client
    from django.urls import reverse

    application = _past_accepted(scene, cast, hours=2)
    client = Client()
    client.force_login(cast.association_manager)
    response = client.post(
        reverse("volunteering_applications:attendance", args=[application.pk]),
        {"present": "1", "hours": "24"},
        follow=True,
    )
    assert "no more than the slot lasted" in response.content.decode()
    application.refresh_from_db()
    assert application.hours is None


def test_it_limits_the_messages_of_one_author_on_one_application(
    cast: Cast, scene: Scene, gateways: Gateways
) -> None:
    smtp, _smsc = gateways
    application = application_apply(slot=scene.mission.slots.get(), profile=scene.alice)
    for n in range(services.MESSAGES_PER_HOUR):
        application_message_send(
            application=application, author=cast.resident, body=f"Message {n}", from_organiser=False
        )
    with pytest.raises(ApplicationRefused, match="many messages"):
        application_message_send(
            application=application, author=cast.resident, body="Encore", from_organiser=False
        )
    assert ApplicationMessage.objects.count() == services.MESSAGES_PER_HOUR
    assert len(smtp.received) == services.MESSAGES_PER_HOUR
    # The organiser has their own budget.
    for n in range(services.MESSAGES_PER_HOUR):
        application_message_send(
            application=application,
            author=cast.association_manager,
            body=f"Réponse {n}",
            from_organiser=True,
        )
    with pytest.raises(ApplicationRefused, match="many messages"):
        application_message_send(
            application=application,
            author=cast.association_manager,
            body="Encore",
            from_organiser=True,
        )
    assert ApplicationMessage.objects.count() == 2 * services.MESSAGES_PER_HOUR


def test_it_limits_cancel_then_apply_loops(cast: Cast, scene: Scene, gateways: Gateways) -> None:
    smtp, _smsc = gateways
    slot = scene.mission.slots.get()
    application = application_apply(slot=slot, profile=scene.alice)
    refused = 0
    for _round in range(25):
        try:
            application = application_apply(slot=slot, profile=scene.alice)
        except ApplicationRefused as exc:
            assert "many times today" in str(exc)
            refused += 1
            break
        application_cancel(
            application=application,
            by=Application.CancelledBy.VOLUNTEER,
            actor=cast.resident,
            reason="",
        )
    assert refused == 1
    organiser_mails = [m for m in smtp.received if "contact-restos@example.org" in m.rcpt_tos]
    assert len(organiser_mails) == services.CANCEL_NOTICES_PER_DAY
    assert Application.objects.get(pk=application.pk).state == State.CANCELLED
