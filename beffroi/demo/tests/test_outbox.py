"""The demo gateways and their outbox: what residents would have received, on this machine."""

from __future__ import annotations

import smtplib
import sys
import textwrap
import time
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from beffroi.alerts.dispatch.services import alert_dispatch
from beffroi.alerts.management.commands.smpp_receiver import ReceiptListener
from beffroi.alerts.models import Alert
from beffroi.alerts.tests.factories import (
    email,
    make_alert,
    make_subscribers,
    number,
    register_subscriber,
    territory,
)
from beffroi.core.backoffice import visible_tools
from beffroi.demo.gateways import DemoGateways, demo_gateways
from beffroi.demo.management.commands import serve
from beffroi.demo.models import OutboxMessage
from beffroi.demo.services import outbox_message_store
from beffroi.messaging.sms_smpp import SmppConfig
from beffroi.testing import Cast
from beffroi.volunteering.callouts.services import callout_start
from beffroi.volunteering.models import CallOutContact
from beffroi.volunteering.tests.callouts.conftest import volunteers
from beffroi.volunteering.tests.factories import make_mission

__all__ = ["territory"]

OUTBOX = "/backoffice/demo/boite-d-envoi/"
# Longer than one GSM-7 SMS: the outbox shows the parts joined, as a phone does.
LONG_SMS = (
    "Crue de l'Aulne: quittez les rez-de-chaussee de la zone inondable. Accueil a la salle "
    "des fetes a partir de 13 h. Coupez le gaz et l'electricite avant de partir."
)


@pytest.fixture
def demo(settings: Any) -> Iterator[DemoGateways]:
    """The demo gateways up, every transport pointed at them, tasks run in process."""
    with demo_gateways() as gateways:
        settings.DEMO_GATEWAYS = True
        settings.ALERT_EMAIL_URL = gateways.smtp.url
        settings.SMPP_URL = gateways.smsc.url
        settings.SMS_TRANSPORT = "smpp"
        settings.SMPP_MAX_PER_SECOND = 0
        settings.ALERT_EMAIL_MAX_PER_SECOND = 0
        settings.TASKS = {
            "default": {
                "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                "QUEUES": django_settings.TASK_QUEUES,
            }
        }
        yield gateways


def _agent_client(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.alert_author)  # an agent role without a second factor
    return client


@pytest.mark.django_db(transaction=True)
def test_it_keeps_every_message_of_a_dispatch_in_the_outbox(cast: Cast, demo: DemoGateways) -> None:
    make_subscribers(cast.org, 3)
    alert = make_alert(
        cast.org,
        cast.alert_author,
        status=Alert.Status.APPROVED,
        email_subject="Crue de l'Aulne : évacuation",
        email_body="L'Aulne déborde. Montez à l'étage.",
        sms_text=LONG_SMS,
    )

    assert alert_dispatch(alert=alert) == 6

    emails = OutboxMessage.objects.filter(channel="email").order_by("to")
    assert [m.to for m in emails] == [email(i) for i in range(3)]
    assert {m.subject for m in emails} == {"Crue de l'Aulne : évacuation"}
    assert "Montez à l'étage." in emails[0].body
    assert "X-Beffroi-Delivery:" in emails[0].headers
    sms = OutboxMessage.objects.filter(channel="sms").order_by("to")
    assert [m.to for m in sms] == [number(i) for i in range(3)]
    assert all(m.body.startswith(LONG_SMS) and "STOP" in m.body for m in sms)
    assert {m.sender for m in sms} == {"MAIRIE"}
    assert set(OutboxMessage.objects.values_list("organisation", flat=True)) == {cast.org.pk}
    # The demo SMSC reports each SMS delivered on the sending session: the live view of the
    # demo shows them delivered, as a real operator's receipts would.
    from beffroi.alerts.models import Delivery

    sms_deliveries = Delivery.objects.filter(alert=alert, channel="sms")
    assert list(sms_deliveries.values_list("status", flat=True)) == ["delivered"] * 3

    page = _agent_client(cast).get(OUTBOX)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Crue de l&#x27;Aulne : évacuation" in html
    assert number(2) in html and email(1) in html
    assert "Coupez le gaz" in html
    found = _agent_client(cast).get(OUTBOX, {"q": number(1)}).content.decode()
    assert number(1) in found and number(2) not in found and email(1) not in found


@pytest.mark.django_db(transaction=True)
def test_it_shows_the_verification_codes_of_a_new_registration(
    territory: Any, demo: DemoGateways
) -> None:
    cast = territory.cast
    register_subscriber(territory, email="nouvelle@example.org", sms_number="06 41 98 12 34")

    code = OutboxMessage.objects.get(channel="sms", to="+33641981234")
    assert "code" in code.body and cast.org.name in code.body
    link = OutboxMessage.objects.get(channel="email", to="nouvelle@example.org")
    assert cast.org.name in link.subject
    assert {code.organisation_id, link.organisation_id} == {cast.org.pk}
    # Another commune's agents do not see these residents' messages.
    assert not OutboxMessage.objects.filter(organisation=cast.other_org).exists()


@pytest.mark.django_db
def test_it_shows_a_page_of_twenty_newest_first(cast: Cast, settings: Any) -> None:
    settings.DEMO_GATEWAYS = True
    for i in range(25):
        outbox_message_store(channel="sms", sender="MAIRIE", to=number(i), body=f"Message {i}")
    client = _agent_client(cast)
    first = client.get(OUTBOX).content.decode()
    assert "Message 24" in first and "Message 5" in first and "Message 4<" not in first
    assert first.index("Message 24") < first.index("Message 23")
    second = client.get(OUTBOX, {"page": 2}).content.decode()
    assert "Message 4<" in second and "Message 0<" in second


@pytest.mark.django_db
@pytest.mark.french
def test_it_finds_numbers_typed_as_dialled_and_counts_what_it_found(
    cast: Cast, settings: Any
) -> None:
    settings.DEMO_GATEWAYS = True
    outbox_message_store(channel="sms", sender="MAIRIE", to="+33641234567", body="Crue")
    outbox_message_store(channel="sms", sender="MAIRIE", to="+262692123456", body="Cyclone")
    outbox_message_store(channel="sms", sender="MAIRIE", to="+33712345678", body="Chaleur")
    client = _agent_client(cast)
    for typed in ("0641", "06 41", "06.41.23", "+33 6 41", "0033641"):
        page = client.get(OUTBOX, {"q": typed}).content.decode()
        assert "Crue" in page and "Cyclone" not in page and "Chaleur" not in page, typed
        assert "1 message sur 3" in page, typed
    page = client.get(OUTBOX, {"q": "0692 12"}).content.decode()
    assert "Cyclone" in page and "Crue" not in page
    assert "3 messages<" in client.get(OUTBOX).content.decode()


@pytest.mark.django_db
def test_it_is_404_without_demo_gateways_and_forbidden_to_residents(
    cast: Cast, settings: Any
) -> None:
    settings.DEMO_GATEWAYS = False
    assert _agent_client(cast).get(OUTBOX).status_code == 404
    assert "demo_outbox" not in {t.key for t in visible_tools({"alert_author"})}

    settings.DEMO_GATEWAYS = True
    assert reverse("demo:outbox") == OUTBOX
    assert "demo_outbox" in {t.key for t in visible_tools({"front_desk"})}
    assert "demo_outbox" not in {t.key for t in visible_tools({"resident"})}
    resident = Client()
    resident.force_login(cast.resident)
    assert resident.get(OUTBOX).status_code == 403
    assert Client().get(OUTBOX).status_code == 302  # to the login page
    assert _agent_client(cast).get(OUTBOX).status_code == 200


# The child stands for the worker: it sends with the URLs `serve` gave it, then exits.
CHILD = textwrap.dedent(
    """
    import os, smtplib
    from urllib.parse import urlsplit
    from beffroi.messaging.base import SmsOut
    from beffroi.messaging.sms_smpp import SmppConfig, SmppTransport
    assert os.environ["DEMO_GATEWAYS"] == "1"
    url = urlsplit(os.environ["ALERT_EMAIL_URL"])
    with smtplib.SMTP(url.hostname, url.port) as smtp:
        smtp.sendmail(
            "mairie@vaudrecourt.example",
            ["camille@example.org"],
            b"From: mairie@vaudrecourt.example\\r\\nSubject: Essai\\r\\n\\r\\nBonjour.\\r\\n",
        )
    with SmppTransport(SmppConfig.from_url(os.environ["SMPP_URL"])) as sms:
        [outcome] = sms.send_many([SmsOut(key="1", to="+33641980001", text="Essai SMS")])
    assert outcome.error is None, outcome.error
    """
)


@pytest.mark.django_db(transaction=True)
def test_it_starts_the_demo_gateways_before_the_worker(
    cast: Cast, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEMO_GATEWAYS = True
    monkeypatch.setattr(
        serve, "web_command", lambda host, port, debug: [sys.executable, "-c", CHILD]
    )
    monkeypatch.setattr(serve, "worker_command", lambda: None)
    # The SMS receiver the demo starts beside the worker: here a child that waits.
    monkeypatch.setattr(
        serve, "receiver_command", lambda: [sys.executable, "-c", "import time; time.sleep(60)"]
    )
    out = StringIO()
    call_command("serve", "--port", "8798", stdout=out, stderr=StringIO())

    assert "Demo gateways" in out.getvalue()
    assert OUTBOX in out.getvalue()
    assert OutboxMessage.objects.get(channel="email").to == "camille@example.org"
    assert OutboxMessage.objects.get(channel="sms").body == "Essai SMS"


@pytest.mark.django_db
def test_it_starts_no_gateway_unless_asked(
    cast: Cast, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEMO_GATEWAYS = False
    child = (
        "import os; assert 'DEMO_GATEWAYS' not in os.environ or os.environ['DEMO_GATEWAYS'] != '1'"
    )
    monkeypatch.delenv("DEMO_GATEWAYS", raising=False)
    monkeypatch.setattr(
        serve, "web_command", lambda host, port, debug: [sys.executable, "-c", child]
    )
    monkeypatch.setattr(serve, "worker_command", lambda: None)
    out = StringIO()
    call_command("serve", "--port", "8797", stdout=out, stderr=StringIO())
    assert "Demo gateways" not in out.getvalue()


def test_it_refuses_nothing_a_relay_would_accept() -> None:
    """The SMTP server answers what smtplib expects from a relay, message after message."""
    kept: list[Any] = []
    with (
        demo_gateways(store=kept.append) as gateways,
        smtplib.SMTP("127.0.0.1", gateways.smtp.port) as smtp,
    ):
        smtp.ehlo()
        for i in range(2):
            smtp.sendmail("a@example.org", [f"b{i}@example.org"], b"Subject: x\r\n\r\n.dot\r\n")
        assert smtp.noop()[0] == 250
    assert [m.to for m in kept] == ["b0@example.org", "b1@example.org"]
    assert kept[0].body == ".dot\n"


@pytest.mark.django_db(transaction=True)
def test_it_hands_a_reply_typed_on_the_phone_to_the_site(cast: Cast, demo: DemoGateways) -> None:
    """The outbox's phone answers a call-out SMS with "Oui": the demo SMSC hands it to the
    SMS receiver as a mobile-originated SMS, and the call-out counts the volunteer in."""
    [profile] = volunteers(cast, 1)
    mission = make_mission(cast.org, "Remplir des sacs de sable", needed=2)
    callout = callout_start(
        mission=mission,
        actor=cast.administrator,
        message="Crue : besoin de bras pour les sacs de sable.",
        channels=["sms"],
        wave_size=3,
        wave_minutes=30,
    )
    [contact] = callout.contacts.all()
    sms = OutboxMessage.objects.get(channel="sms", to=profile.phone)
    assert "Crue : besoin de bras" in sms.body
    page = _agent_client(cast).get(OUTBOX).content.decode()
    assert f"/backoffice/demo/boite-d-envoi/{sms.pk}/repondre/" in page
    listener = ReceiptListener(SmppConfig.from_url(demo.smsc.url))
    listener.start()
    try:
        assert listener.receiver.bound.wait(5)
        response = _agent_client(cast).post(
            reverse("demo:reply", args=[sms.pk]), {"text": "Oui"}, follow=True
        )
        assert "Reply sent from" in response.content.decode()
        started = time.monotonic()
        listener.process(until=lambda: listener.replies > 0 or time.monotonic() - started > 5)
    finally:
        listener.stop()
    contact.refresh_from_db()
    assert contact.state == CallOutContact.State.YES
    reply = OutboxMessage.objects.get(inbound=True)
    assert (reply.sender, reply.body, reply.organisation_id) == (profile.phone, "Oui", cast.org.pk)
    assert "From " + profile.phone in _agent_client(cast).get(OUTBOX).content.decode()
    # Searching the resident's number as dialled finds the reply too.
    found = _agent_client(cast).get(OUTBOX, {"q": "+33 6 39 90 00 00"}).content.decode()
    assert "From " + profile.phone in found
    # No receiver bound any more: the reply is refused and said so; nothing is kept.
    response = _agent_client(cast).post(
        reverse("demo:reply", args=[sms.pk]), {"text": "Non"}, follow=True
    )
    assert "No SMS receiver is running" in response.content.decode()
    assert OutboxMessage.objects.filter(inbound=True).count() == 1
    # An empty or long reply, or a reply to a reply, changes nothing either.
    for target, text in ((sms.pk, " "), (sms.pk, "x" * 71), (reply.pk, "Oui")):
        response = _agent_client(cast).post(
            reverse("demo:reply", args=[target]), {"text": text}, follow=True
        )
        assert response.status_code == 200
        assert "Reply sent from" not in response.content.decode()
    assert OutboxMessage.objects.filter(inbound=True).count() == 1


@pytest.mark.django_db
def test_it_keeps_the_messages_the_demo_load_sends_in_the_outbox(cast: Cast, settings: Any) -> None:
    """``beffroi demo`` with the demo gateways: what the history tells residents arrives in
    the outbox once the load has committed, and the transports are pointed back after."""
    from beffroi.demo.management.commands.demo import delivered_to_outbox
    from beffroi.messaging.base import SmsOut
    from beffroi.messaging.registry import get_sms_transport
    from beffroi.volunteering.notify import email_send

    settings.ALERT_EMAIL_URL = "smtp://127.0.0.1:9"  # nothing listens there
    settings.SMPP_MAX_PER_SECOND = 0

    def load() -> str:
        assert email_send(
            sender_name="Mairie", key="demo-1", to="camille@example.org", subject="Merci", text="."
        )
        with get_sms_transport() as transport:
            [outcome] = transport.send_many([SmsOut(key="demo-2", to=number(1), text="Rappel")])
        assert outcome.error is None
        return "loaded"

    assert delivered_to_outbox(load) == ("loaded", 2)
    assert settings.ALERT_EMAIL_URL == "smtp://127.0.0.1:9"
    kept = {(m.channel, m.to) for m in OutboxMessage.objects.all()}
    assert kept == {("email", "camille@example.org"), ("sms", number(1))}
