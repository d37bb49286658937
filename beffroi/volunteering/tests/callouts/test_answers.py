"""Answers: one tap by link (a GET never answers), "OUI"/"NON" by SMS through the inbound
handler, a late "yes" on the waiting list and told so, tokens of nobody or of another
organisation."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.alerts.management.commands.smpp_receiver import ReceiptListener
from beffroi.messaging.handlers import inbound_route
from beffroi.messaging.sms_smpp import SmppConfig
from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.testing import Cast
from beffroi.volunteering.callouts.services import (
    callout_answer,
    callout_sms_inbound,
    callout_start,
    reply_meaning,
)
from beffroi.volunteering.models import Application, CallOut, CallOutContact, Mission
from beffroi.volunteering.tests.callouts.conftest import volunteers

pytestmark = pytest.mark.django_db

Gateways = tuple[SmtpServer, SmscServer]


def _callout(cast: Cast, mission: Mission, capture: Any, wave_size: int = 3) -> CallOut:
    with capture(execute=True):
        return callout_start(
            mission=mission,
            actor=cast.administrator,
            message="Crue : besoin de bras pour les sacs de sable.",
            channels=["sms", "email"],
            wave_size=wave_size,
            wave_minutes=30,
        )


def _url(contact: CallOutContact) -> str:
    return reverse("volunteering_callouts:answer", args=[contact.token])


def test_it_answers_yes_by_link_only_on_post(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    smtp, _smsc = gateways
    volunteers(cast, 3)
    callout = _callout(cast, mission, django_capture_on_commit_callbacks)
    contact = callout.contacts.first()
    assert contact is not None
    client = Client()
    # A link preview (or a curious scanner) fetching the page twice answers nothing.
    for _ in range(2):
        page = client.get(_url(contact) + "?r=oui")
        assert page.status_code == 200
        assert (
            "Yes, I come" in page.content.decode() and "Remplir des sacs" in page.content.decode()
        )
    contact.refresh_from_db()
    assert contact.state == CallOutContact.State.SENT and not Application.objects.exists()
    received = len(smtp.received)
    response = client.post(_url(contact), {"answer": "yes"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.state == CallOutContact.State.YES and contact.answered_at is not None
    application = Application.objects.get()
    assert (application.profile_id, application.state, application.source) == (
        contact.profile_id,
        Application.State.ACCEPTED,
        Application.Source.CALLOUT,
    )
    assert contact.application_id == application.pk
    assert mission.slots.get().accepted_count == 1
    # Told by e-mail that they are expected.
    assert len(smtp.received) == received + 1
    assert smtp.received[-1].rcpt_tos == [contact.profile.email]
    assert "expected" in smtp.received[-1].message["Subject"]
    page = client.get(_url(contact)).content.decode()
    assert "you are expected" in page and 'value="yes"' not in page
    # A second tap changes nothing; "no" after "yes" is refused with a message.
    client.post(_url(contact), {"answer": "yes"})
    assert Application.objects.count() == 1
    response = client.post(_url(contact), {"answer": "no"})
    assert response.status_code == 400 and "already answered" in response.content.decode()
    contact.refresh_from_db()
    assert contact.state == CallOutContact.State.YES
    # No answer at all is a clear error.
    other = callout.contacts.exclude(pk=contact.pk).first()
    assert other is not None
    response = client.post(_url(other), {})
    assert response.status_code == 400
    other.refresh_from_db()
    assert other.state == CallOutContact.State.SENT


def test_it_answers_no_by_link(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    volunteers(cast, 1)
    callout = _callout(cast, mission, django_capture_on_commit_callbacks)
    contact = callout.contacts.get()
    assert Client().post(_url(contact), {"answer": "no"}).status_code == 302
    contact.refresh_from_db()
    assert contact.state == CallOutContact.State.NO and not Application.objects.exists()


def test_it_puts_a_late_yes_on_the_waiting_list_and_tells_them(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    smtp, _smsc = gateways
    volunteers(cast, 3)
    callout = _callout(cast, mission, django_capture_on_commit_callbacks)
    first, second, late = list(callout.contacts.order_by("pk"))
    callout_answer(contact=first, yes=True)
    callout_answer(contact=second, yes=True)
    callout.refresh_from_db()
    assert callout.status == CallOut.Status.FILLED
    before = len(smtp.received)
    response = Client().post(_url(late), {"answer": "yes"}, follow=True)
    assert "waiting list" in response.content.decode()
    late.refresh_from_db()
    assert late.state == CallOutContact.State.WAITLISTED
    assert Application.objects.get(profile=late.profile).state == Application.State.WAITLISTED
    assert mission.slots.get().accepted_count == 2
    told = smtp.received[before:]
    assert [r.rcpt_tos for r in told] == [[late.profile.email]]
    text = told[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "waiting list" in text


def test_it_takes_oui_and_non_by_sms(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    volunteers(cast, 3)
    callout = _callout(cast, mission, django_capture_on_commit_callbacks)
    yes, no, silent = list(callout.contacts.order_by("pk"))
    # What an SMSC hands over: the number without "+", the text as typed on a phone.
    inbound_route(yes.profile.phone.lstrip("+"), "  Oui ! ", "sms")
    inbound_route(no.profile.phone, "nOn", "sms")
    inbound_route(silent.profile.phone, "Je serai là vers 10 h", "sms")
    inbound_route("+33700000000", "OUI", "sms")  # a number nobody called out: ignored
    states = {c.pk: c.state for c in callout.contacts.all()}
    assert states == {
        yes.pk: CallOutContact.State.YES,
        no.pk: CallOutContact.State.NO,
        silent.pk: CallOutContact.State.SENT,
    }
    assert Application.objects.get().profile_id == yes.profile_id
    assert [reply_meaning(t) for t in ("OUI", "oui.", " O U I ", "Non", "NÕN", "stop")] == [
        True,
        True,
        True,
        False,
        False,
        None,
    ]


def test_it_answers_404_for_an_unknown_token_or_another_organisation(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    volunteers(cast, 1)
    callout = _callout(cast, mission, django_capture_on_commit_callbacks)
    contact = callout.contacts.get()
    assert Client().get(reverse("volunteering_callouts:answer", args=["x" * 22])).status_code == 404
    assert (
        Client()
        .post(reverse("volunteering_callouts:answer", args=["x" * 22]), {"answer": "yes"})
        .status_code
        == 404
    )
    elsewhere = Client(HTTP_HOST="autreville.localhost")
    assert elsewhere.get(_url(contact)).status_code == 404
    assert elsewhere.post(_url(contact), {"answer": "yes"}).status_code == 404
    contact.refresh_from_db()
    assert contact.state == CallOutContact.State.SENT


def test_it_takes_oui_through_the_smpp_receiver(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    """The production path: the SMSC hands the reply to the long-running receiver
    (``beffroi smpp_receiver``), which gives it to every reply handler, not only "STOP"."""
    volunteers(cast, 1)
    callout = _callout(cast, mission, django_capture_on_commit_callbacks)
    [contact] = callout.contacts.all()
    smsc = gateways[1]
    listener = ReceiptListener(SmppConfig.from_url(smsc.url()), bind="transceiver")
    listener.start()
    try:
        assert listener.receiver.bound.wait(5)
        smsc.deliver(contact.profile.phone.lstrip("+"), "Oui")
        started = time.monotonic()
        listener.process(until=lambda: listener.replies > 0 or time.monotonic() - started > 5)
    finally:
        listener.stop()
    contact.refresh_from_db()
    assert contact.state == CallOutContact.State.YES
    assert Application.objects.get().profile_id == contact.profile_id


def test_it_gives_an_sms_answer_to_the_callout_that_can_still_take_it(
    cast: Cast,
    mission: Mission,
    association_mission: Mission,
    gateways: Gateways,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The crisis cell's call-out is tried first, but an old one left unanswered (its
    mission since closed) does not swallow the answer to an association's call-out of
    today; an answer nothing can take any more goes nowhere."""
    [profile] = volunteers(cast, 1)
    old = _callout(cast, mission, django_capture_on_commit_callbacks)
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.CLOSED)
    with django_capture_on_commit_callbacks(execute=True):
        new = callout_start(
            mission=association_mission,
            actor=cast.association_manager,
            message="Distribution : il manque deux bras.",
            channels=["sms"],
            wave_size=3,
            wave_minutes=30,
        )
    inbound_route(profile.phone, "OUI", "sms")
    assert old.contacts.get().state == CallOutContact.State.SENT
    assert new.contacts.get().state == CallOutContact.State.YES
    Mission.objects.filter(pk=association_mission.pk).update(status=Mission.Status.CLOSED)
    assert callout_sms_inbound(sender=profile.phone, text="NON") is None
