"""The organiser's decisions, the waiting list's promotion, cancellations by either side,
attendance and hours, messages and testimonials: what the database holds and what a real
loopback SMTP/SMPP server received."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from beffroi.core.models import AuditEvent
from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.testing import Cast
from beffroi.volunteering import models
from beffroi.volunteering.applications import services
from beffroi.volunteering.applications.services import (
    ApplicationRefused,
    application_accept,
    application_apply,
    application_attendance_record,
    application_cancel,
    application_decline,
    application_message_send,
)
from beffroi.volunteering.models import Application, ApplicationMessage, Slot
from beffroi.volunteering.tests.applications.conftest import Scene
from beffroi.volunteering.tests.factories import make_profile

pytestmark = pytest.mark.django_db
State = Application.State
Gateways = tuple[SmtpServer, SmscServer]


def _full_slot(scene: Scene) -> tuple[Slot, Application, Application]:
    slot = scene.mission.slots.get()
    holder = application_apply(slot=slot, profile=scene.alice)
    waiting = application_apply(slot=slot, profile=scene.bruno)
    assert (holder.state, waiting.state) == (State.PENDING, State.WAITLISTED)
    return slot, holder, waiting


def test_it_accepts_and_tells_the_volunteer_with_the_calendar(
    cast: Cast, scene: Scene, gateways: Gateways
) -> None:
    smtp, _smsc = gateways
    slot = scene.mission.slots.get()
    application = application_apply(slot=slot, profile=scene.alice)
    application_accept(application=application, actor=cast.association_manager)
    application.refresh_from_db()
    assert application.state == State.ACCEPTED
    assert application.decided_by == cast.association_manager
    assert AuditEvent.objects.filter(action="volunteering.application.accept").exists()
    [mail] = smtp.received
    assert mail.rcpt_tos == ["alice@example.org"]
    assert scene.mission.title in mail.message.get_body(("plain",)).get_content()
    [calendar] = [p for p in mail.message.iter_attachments()]
    assert calendar.get_content_type() == "text/calendar"
    assert b"BEGIN:VEVENT" in calendar.get_payload(decode=True)


def test_it_needs_a_reason_to_decline(cast: Cast, scene: Scene) -> None:
    application = application_apply(slot=scene.mission.slots.get(), profile=scene.alice)
    with pytest.raises(ApplicationRefused, match="reason"):
        application_decline(application=application, actor=cast.association_manager, reason=" ")
    application.refresh_from_db()
    assert application.state == State.PENDING


def test_it_promotes_the_first_waiting_on_a_decline_and_tells_both(
    cast: Cast, scene: Scene, gateways: Gateways
) -> None:
    smtp, smsc = gateways
    slot, holder, waiting = _full_slot(scene)
    third = application_apply(
        slot=slot, profile=make_profile(cast.org, "Chloé Trois", phone="+33639980003")
    )
    application_decline(
        application=holder, actor=cast.association_manager, reason="Il faut être majeur."
    )
    holder.refresh_from_db()
    waiting.refresh_from_db()
    third.refresh_from_db()
    slot.refresh_from_db()
    assert holder.state == State.DECLINED
    assert holder.decline_reason == "Il faut être majeur."
    # Awaiting the organiser's answer again: promoted, the place held, not accepted.
    assert waiting.state == State.PENDING
    assert third.state == State.WAITLISTED
    assert slot.accepted_count == 1
    [mail] = smtp.received
    assert "Il faut être majeur." in mail.message.get_body(("plain",)).get_content()
    # Bruno has no e-mail: the SMS of his promotion.
    assert smsc.accepted
    assert {sms.destination for sms in smsc.accepted} == {"33639980002"}
    assert AuditEvent.objects.filter(action="volunteering.application.promote").count() == 1


def test_it_promotes_on_a_volunteers_cancellation_and_tells_the_organiser(
    cast: Cast, scene: Scene, gateways: Gateways
) -> None:
    smtp, smsc = gateways
    slot, holder, waiting = _full_slot(scene)
    application_cancel(
        application=holder,
        by=Application.CancelledBy.VOLUNTEER,
        actor=cast.resident,
        reason="Je suis malade.",
    )
    holder.refresh_from_db()
    waiting.refresh_from_db()
    slot.refresh_from_db()
    assert (holder.state, holder.cancelled_by) == (State.CANCELLED, "volunteer")
    assert waiting.state == State.PENDING
    assert slot.accepted_count == 1
    [mail] = smtp.received
    assert mail.rcpt_tos == ["contact-restos@example.org"]
    assert "Je suis malade." in mail.message.get_body(("plain",)).get_content()
    assert {sms.destination for sms in smsc.accepted} == {"33639980002"}


def test_it_frees_the_place_when_nobody_waits(cast: Cast, scene: Scene) -> None:
    slot = scene.mission.slots.get()
    holder = application_apply(slot=slot, profile=scene.alice)
    application_cancel(
        application=holder,
        by=Application.CancelledBy.ORGANISER,
        actor=cast.association_manager,
        reason="Mission reportée.",
    )
    slot.refresh_from_db()
    scene.mission.refresh_from_db()
    assert slot.accepted_count == 0
    assert scene.mission.status == "published"


def test_it_needs_a_reason_when_the_organiser_cancels(cast: Cast, scene: Scene) -> None:
    holder = application_apply(slot=scene.mission.slots.get(), profile=scene.alice)
    with pytest.raises(ApplicationRefused):
        application_cancel(
            application=holder,
            by=Application.CancelledBy.ORGANISER,
            actor=cast.association_manager,
            reason="",
        )
    holder.refresh_from_db()
    assert holder.state == State.PENDING


def test_it_leaves_the_count_alone_when_a_waiting_one_cancels(cast: Cast, scene: Scene) -> None:
    slot, _holder, waiting = _full_slot(scene)
    application_cancel(
        application=waiting, by=Application.CancelledBy.VOLUNTEER, actor=None, reason=""
    )
    slot.refresh_from_db()
    assert slot.accepted_count == 1


def test_it_refuses_to_accept_a_waiting_one_while_full(cast: Cast, scene: Scene) -> None:
    _slot, _holder, waiting = _full_slot(scene)
    with pytest.raises(ApplicationRefused, match="full"):
        application_accept(application=waiting, actor=cast.association_manager)
    waiting.refresh_from_db()
    assert waiting.state == State.WAITLISTED


def _past_accepted(scene: Scene, cast: Cast) -> Application:
    slot = scene.mission.slots.get()
    application = application_apply(slot=slot, profile=scene.alice)
    application_accept(application=application, actor=cast.association_manager)
    start = timezone.now() - timedelta(days=2)
    Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + timedelta(hours=3))
    return Application.objects.get(pk=application.pk)


def test_it_records_attendance_with_the_slots_length_by_default(cast: Cast, scene: Scene) -> None:
    application = _past_accepted(scene, cast)
    application_attendance_record(
        application=application, actor=cast.association_manager, present=True, hours=None
    )
    application.refresh_from_db()
    assert application.attendance == Application.Attendance.PRESENT
    assert application.hours == Decimal("3.00")
    application_attendance_record(
        application=application,
        actor=cast.association_manager,
        present=True,
        hours=Decimal("2.5"),
    )
    application.refresh_from_db()
    assert application.hours == Decimal("2.50")
    with pytest.raises(ApplicationRefused):
        application_attendance_record(
            application=application,
            actor=cast.association_manager,
            present=True,
            hours=Decimal("30"),
        )
    application.refresh_from_db()
    assert application.hours == Decimal("2.50")


def test_it_refuses_attendance_before_the_slot(cast: Cast, scene: Scene) -> None:
    application = application_apply(slot=scene.mission.slots.get(), profile=scene.alice)
    with pytest.raises(ApplicationRefused, match="started"):
        application_attendance_record(
            application=application, actor=cast.association_manager, present=True, hours=None
        )
    application.refresh_from_db()
    assert application.attendance == Application.Attendance.UNKNOWN


def test_it_carries_messages_both_ways(cast: Cast, scene: Scene, gateways: Gateways) -> None:
    smtp, smsc = gateways
    application = application_apply(slot=scene.mission.slots.get(), profile=scene.bruno)
    application_message_send(
        application=application,
        author=cast.association_manager,
        body="Pouvez-vous venir à 8 h 45 ?",
        from_organiser=True,
    )
    application_message_send(
        application=application,
        author=cast.resident2,
        body="Oui, sans souci.",
        from_organiser=False,
    )
    assert ApplicationMessage.objects.filter(application=application).count() == 2
    # Bruno has no e-mail: an SMS tells him; the organiser gets an e-mail.
    assert smsc.accepted
    assert {sms.destination for sms in smsc.accepted} == {"33639980002"}
    [mail] = smtp.received
    assert mail.rcpt_tos == ["contact-restos@example.org"]
    assert "Oui, sans souci." in mail.message.get_body(("plain",)).get_content()
    with pytest.raises(ApplicationRefused):
        application_message_send(
            application=application, author=cast.resident2, body="  ", from_organiser=False
        )


def test_it_takes_a_testimonial_after_attendance_and_publishes_it(cast: Cast, scene: Scene) -> None:
    application = _past_accepted(scene, cast)
    with pytest.raises(ApplicationRefused, match="taken part"):
        services.testimonial_write(application=application, author=cast.resident, body="Super.")
    application_attendance_record(
        application=application, actor=cast.association_manager, present=True, hours=None
    )
    application.refresh_from_db()
    testimonial = services.testimonial_write(
        application=application, author=cast.resident, body="Une belle matinée."
    )
    assert not testimonial.published
    services.testimonial_publish(
        testimonial=testimonial, actor=cast.association_manager, published=True
    )
    assert models.Testimonial.objects.get().published
    # Rewriting takes it off until published again.
    services.testimonial_write(
        application=application, author=cast.resident, body="Une très belle matinée."
    )
    assert not models.Testimonial.objects.get().published
    assert models.Testimonial.objects.count() == 1


def test_it_tells_a_late_call_out_yes_that_it_waits(
    cast: Cast, scene: Scene, gateways: Gateways
) -> None:
    smtp, _smsc = gateways
    slot = scene.mission.slots.get()
    application_apply(
        slot=slot, profile=scene.bruno, source=Application.Source.CALLOUT, accept=True
    )
    late = application_apply(
        slot=slot, profile=scene.alice, source=Application.Source.CALLOUT, accept=True
    )
    assert late.state == State.WAITLISTED
    [mail] = smtp.received
    assert mail.rcpt_tos == ["alice@example.org"]
    assert "waiting list" in mail.message.get_body(("plain",)).get_content()
    # Promoted on a cancellation, a call-out's "yes" is accepted at once.
    holder = Application.objects.get(profile=scene.bruno)
    application_cancel(
        application=holder, by=Application.CancelledBy.VOLUNTEER, actor=cast.resident2, reason=""
    )
    late.refresh_from_db()
    assert late.state == State.ACCEPTED


def test_it_exports_and_erases_what_a_volunteer_wrote(cast: Cast, scene: Scene) -> None:
    application = application_apply(
        slot=scene.mission.slots.get(), profile=scene.alice, message="Mon numéro perso : 06…"
    )
    application_message_send(
        application=application, author=cast.resident, body="Question privée", from_organiser=False
    )
    [row] = services.export_applications(cast.resident)
    assert row["message"] == "Mon numéro perso : 06…"
    assert row["messages"] == [
        {
            "from_organiser": False,
            "body": "Question privée",
            "sent_at": row["messages"][0]["sent_at"],
        }  # type: ignore[index]
    ]
    services.erase_applications(cast.resident)
    application.refresh_from_db()
    assert application.message == ""
    assert not ApplicationMessage.objects.exists()
    assert application.state == State.PENDING
