"""Channel verification: a 6-digit code by SMS (really received by a loopback SMSC) and a
signed link by e-mail (really received by a loopback SMTP server)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.alerts.models import ChannelVerification, Subscriber
from beffroi.alerts.subscriptions import services as services
from beffroi.alerts.tests.factories import (
    RunOnCommit,
    Territory,
    gateways,
    register_subscriber,
    registration_data,
    sent,
    territory,
)
from beffroi.messaging.testing import SmscServer, SmtpServer

__all__ = ["gateways", "sent", "territory"]

Gateways = tuple[SmtpServer, SmscServer]


def _code(smsc: SmscServer) -> str:
    match = re.search(r"\b(\d{6})\b", smsc.accepted[-1].text)
    assert match is not None
    return match.group(1)


@pytest.fixture
def registered(
    client: Client, territory: Territory, sent: RunOnCommit, gateways: Gateways
) -> tuple[Subscriber, str]:
    with sent():
        client.post(
            reverse("subscriptions:register"),
            registration_data(address=str(territory.mairie_12.pk)),
        )
    subscriber = Subscriber.objects.get()
    return subscriber, reverse("subscriptions:manage", args=[services.management_token(subscriber)])


def test_it_sends_a_code_by_sms_and_stores_only_its_hash(
    registered: tuple[Subscriber, str], gateways: Gateways
) -> None:
    smsc = gateways[1]
    [sms] = smsc.accepted
    assert sms.destination == "33612345678"
    assert "Commune de Valmont" in sms.text
    code = _code(smsc)
    verification = ChannelVerification.objects.get(channel="sms")
    assert verification.target == "+33612345678"
    assert verification.code_hash not in ("", code)
    assert code not in verification.code_hash
    assert verification.expires_at > timezone.now() + timedelta(minutes=14)


def test_it_verifies_the_number_with_the_right_code(
    client: Client, registered: tuple[Subscriber, str], gateways: Gateways
) -> None:
    subscriber, url = registered
    response = client.post(url, {"action": "verify_code", "code": _code(gateways[1])})
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.sms_verified_at is not None
    assert ChannelVerification.objects.get(channel="sms").verified_at is not None


def test_it_refuses_a_wrong_code_and_counts_the_attempt(
    client: Client, registered: tuple[Subscriber, str], gateways: Gateways
) -> None:
    subscriber, url = registered
    wrong = "000000" if _code(gateways[1]) != "000000" else "111111"
    response = client.post(url, {"action": "verify_code", "code": wrong})
    assert response.status_code == 200
    assert "This code is not correct: 4 attempts left." in response.content.decode()
    assert ChannelVerification.objects.get(channel="sms").attempts == 1
    subscriber.refresh_from_db()
    assert subscriber.sms_verified_at is None


def test_it_refuses_an_expired_code(
    client: Client, registered: tuple[Subscriber, str], gateways: Gateways
) -> None:
    subscriber, url = registered
    ChannelVerification.objects.filter(channel="sms").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.post(url, {"action": "verify_code", "code": _code(gateways[1])})
    assert "This code has expired" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.sms_verified_at is None


def test_it_refuses_even_the_right_code_after_five_wrong_ones(
    client: Client, registered: tuple[Subscriber, str], gateways: Gateways
) -> None:
    subscriber, url = registered
    code = _code(gateways[1])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post(url, {"action": "verify_code", "code": wrong})
    response = client.post(url, {"action": "verify_code", "code": code})
    assert "Too many wrong codes" in response.content.decode()
    assert ChannelVerification.objects.get(channel="sms").attempts == 5
    subscriber.refresh_from_db()
    assert subscriber.sms_verified_at is None


def test_it_limits_how_often_a_new_code_is_sent(
    client: Client, registered: tuple[Subscriber, str], gateways: Gateways, sent: RunOnCommit
) -> None:
    subscriber, url = registered
    smsc = gateways[1]
    with sent():
        response = client.post(url, {"action": "resend_code"}, follow=True)
    assert "less than a minute ago" in response.content.decode()
    assert len(smsc.accepted) == 1
    ChannelVerification.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    with sent():
        response = client.post(url, {"action": "resend_code"}, follow=True)
    assert "A new code is on its way" in response.content.decode()
    smsc.wait_for(lambda: len(smsc.accepted) == 2)
    # Only the newest code works.
    response = client.post(url, {"action": "verify_code", "code": _code(smsc)})
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.sms_verified_at is not None


def test_it_caps_the_codes_sent_per_hour(registered: tuple[Subscriber, str]) -> None:
    subscriber, _url = registered
    ChannelVerification.objects.bulk_create(
        ChannelVerification(
            subscriber=subscriber,
            channel="sms",
            target="+33612345678",
            code_hash="old",
            expires_at=timezone.now(),
        )
        for _ in range(4)
    )
    # Five codes in the last hour, none in the last minute.
    ChannelVerification.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    with pytest.raises(ValidationError) as error:
        services.sms_code_request(subscriber=subscriber)
    assert "Too many codes" in error.value.messages[0]
    ChannelVerification.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    assert services.sms_code_request(subscriber=subscriber).code_hash == ""


def test_it_verifies_the_email_address_with_the_link_it_sends(
    client: Client, registered: tuple[Subscriber, str], gateways: Gateways
) -> None:
    subscriber, url = registered
    smtp = gateways[0]
    [mail] = smtp.received
    assert mail.rcpt_tos == ["jeanne@example.org"]
    assert mail.message["List-Unsubscribe"] == f"<{services.unsubscribe_url(subscriber)}>"
    body = mail.message.get_content()
    # An anonymous registrant gets the link back to their registration in the same message
    # (signed with a timestamp: compare its path prefix, then follow it).
    manage = re.search(r"https://testserver(/alertes/inscription/gerer/\S+/)", body)
    assert manage is not None and url.rsplit(":", 2)[0] in manage.group(1)
    assert client.get(manage.group(1)).status_code == 200
    link = re.search(r"https://testserver(/alertes/inscription/confirmer-email/\S+/)", body)
    assert link is not None
    response = client.get(link.group(1))
    assert response.status_code == 200
    assert "is verified" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.email_verified_at is not None


def test_it_refuses_an_expired_or_forged_email_link(
    client: Client,
    registered: tuple[Subscriber, str],
    gateways: Gateways,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    subscriber, _url = registered
    link = services.email_verification_url(subscriber).removeprefix("https://testserver")
    monkeypatch.setattr(services, "EMAIL_LINK_MAX_AGE", timedelta(seconds=-1))
    response = client.get(link)
    assert response.status_code == 400
    assert "has expired" in response.content.decode()
    monkeypatch.undo()
    response = client.get(link[:-3] + "xx/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.email_verified_at is None


def test_it_marks_channels_verified_when_an_agent_had_them_confirmed(
    territory: Territory,
) -> None:
    subscriber = register_subscriber(
        territory,
        agent=territory.cast.front_desk,
        confirmed_on_phone=True,
        full_name="",
        email="paul@example.org",
        sms_number="0692123456",
        voice_number="0262161234",
        channels=["email", "sms", "voice"],
        places=[services.PlaceInput(address_id=territory.mairie_14.pk)],
    )
    assert subscriber.source == "agent"
    assert subscriber.registered_by == territory.cast.front_desk
    assert subscriber.email_verified_at is not None
    assert subscriber.sms_verified_at is not None
    assert subscriber.voice_verified_at is not None
    assert not ChannelVerification.objects.exists()


@pytest.mark.french
def test_the_emails_to_residents_come_from_the_organisation_and_never_say_de_commune(
    registered: tuple[Subscriber, str], gateways: Gateways, sent: RunOnCommit
) -> None:
    subscriber, _url = registered
    smtp = gateways[0]
    with sent():
        services.management_link_send(subscriber_id=subscriber.pk, channel="email")
    verification, management = smtp.received
    for mail in (verification, management):
        assert mail.message["From"].addresses[0].display_name == "Commune de Valmont"
        text = mail.message["Subject"] + mail.message.get_content()
        assert "Commune de Valmont" in text
        assert "de Commune de" not in text
    assert verification.message["Subject"] == (
        "Alertes — Commune de Valmont : confirmez votre adresse e-mail"
    )
    assert management.message["Subject"] == "Alertes — Commune de Valmont : votre inscription"
