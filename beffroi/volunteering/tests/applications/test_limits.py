"""Limits: hours within the slot's length and a stated overrun, messages and
cancel-then-apply loops that would flood the other side."""

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


def test_it_refuses_more_hours_than_the_slot_and_its_overrun(cast: Cast, scene: Scene) -> None:
    application = _past_accepted(scene, cast, hours=2)
    for hours in (Decimal("24"), Decimal("6.25"), Decimal("0.1")):
        with pytest.raises(ApplicationRefused) as refused:
            application_attendance_record(
                application=application,
                actor=cast.association_manager,
                present=True,
                hours=hours,
            )
        assert str(refused.value) == (
            "Enter between 0.25 and 6 hours: the slot's length (2 h), or up to 4 hours more "
            "if the volunteer stayed longer."
        )
    application.refresh_from_db()
    assert application.hours is None
    assert application.attendance == Application.Attendance.UNKNOWN
    application_attendance_record(
        application=application, actor=cast.association_manager, present=True, hours=Decimal("2")
    )
    application.refresh_from_db()
    assert application.hours == Decimal("2.00")


def test_it_credits_a_volunteer_who_stayed_longer(cast: Cast, scene: Scene) -> None:
    application = _past_accepted(scene, cast, hours=2)
    application_attendance_record(
        application=application, actor=cast.association_manager, present=True, hours=Decimal("6")
    )
    application.refresh_from_db()
    assert application.hours == Decimal("6.00")


def test_it_never_credits_more_than_a_day(cast: Cast, scene: Scene) -> None:
    application = _past_accepted(scene, cast, hours=22)
    with pytest.raises(ApplicationRefused, match=r"between 0\.25 and 24 hours"):
        application_attendance_record(
            application=application,
            actor=cast.association_manager,
            present=True,
            hours=Decimal("24.5"),
        )
    application_attendance_record(
        application=application, actor=cast.association_manager, present=True, hours=Decimal("24")
    )
    application.refresh_from_db()
    assert application.hours == Decimal("24.00")


def test_the_attendance_page_says_one_rule_and_credits_an_overrun(cast: Cast, scene: Scene) -> None:
    from django.test import Client
    from django.urls import reverse

    application = _past_accepted(scene, cast, hours=2)
    client = Client()
    client.force_login(cast.association_manager)
    page = client.get(
        reverse("volunteering_applications:organiser_mission", args=[scene.mission.pk])
    ).content.decode()
    # The help text beside the field states the rule before anyone types.
    assert (
        "Empty: the slot&#x27;s length (2 h). A volunteer who stayed longer may be credited "
        "up to 6 h." in page
    )
    assert f'aria-describedby="hours-{application.pk}-help"' in page
    url = reverse("volunteering_applications:attendance", args=[application.pk])
    rule = (
        "Enter between 0.25 and 6 hours: the slot&#x27;s length (2 h), or up to 4 hours more "
        "if the volunteer stayed longer."
    )
    # The form (30 h) and the service's limits say the same sentence.
    for typed in ("30", "6,5"):
        response = client.post(url, {"present": "1", "hours": typed}, follow=True)
        assert rule in response.content.decode(), typed
        application.refresh_from_db()
        assert application.hours is None
    response = client.post(url, {"present": "1", "hours": "2,5"}, follow=True)
    assert "Attendance of Alice Martin is recorded." in response.content.decode()
    application.refresh_from_db()
    assert application.hours == Decimal("2.50")


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
