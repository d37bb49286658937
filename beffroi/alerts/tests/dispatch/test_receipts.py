"""Receipts, bounces and replies: SMPP deliver_sm from the test SMSC, the HTTP provider's
webhook, bounces read from an mbox, and "STOP"."""

from __future__ import annotations

import mailbox
import time
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.test import Client

from beffroi.alerts.dispatch.services import alert_dispatch
from beffroi.alerts.management.commands.smpp_receiver import ReceiptListener
from beffroi.alerts.models import Alert, Delivery
from beffroi.alerts.tests.factories import (
    RunOnCommit,
    email,
    gateways,
    make_alert,
    make_subscribers,
    number,
    on_commit,
)
from beffroi.messaging.sms_smpp import SmppConfig
from beffroi.messaging.testing import SmscServer, SmtpServer, smsc_server
from beffroi.testing import Cast

__all__ = ["gateways", "on_commit"]


def _wait(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_it_marks_sms_delivered_from_smpp_receipts_and_unsubscribes_on_stop(
    cast: Cast, settings: Any, on_commit: RunOnCommit
) -> None:
    make_subscribers(cast.org, 3, channels=("sms",))
    with smsc_server(send_receipts=True) as smsc:
        settings.SMPP_URL = smsc.url()
        settings.SMPP_MAX_PER_SECOND = 0
        settings.TASKS = {
            "default": {
                "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                "QUEUES": settings.TASK_QUEUES,
            }
        }
        # The test SMSC pushes receipts only to a transceiver bind.
        listener = ReceiptListener(SmppConfig.from_url(smsc.url()), bind="transceiver")
        listener.start()
        try:
            assert listener.receiver.bound.wait(5)
            alert = make_alert(
                cast.org, cast.alert_author, channels=["sms"], status=Alert.Status.APPROVED
            )
            with on_commit():
                alert_dispatch(alert=alert)
            assert _wait(lambda: len(smsc.receipts_sent) == 3)
            delivered = Delivery.objects.filter(alert=alert, status=Delivery.Status.DELIVERED)
            started = time.monotonic()
            listener.process(until=lambda: delivered.count() == 3 or time.monotonic() - started > 5)
            assert delivered.count() == 3
            assert all(d.delivered_at is not None for d in delivered)
            assert listener.applied == 3

            smsc.deliver(number(1), "Stop")
            started = time.monotonic()
            listener.process(until=lambda: listener.replies > 0 or time.monotonic() - started > 5)
        finally:
            listener.stop()
    assert listener.replies == 1
    stopped = cast.org.subscribers.get(sms_number=number(1))
    assert "sms" not in stopped.channels
    assert stopped.unsubscribed_at is not None  # SMS was the only channel
    assert cast.org.subscribers.filter(unsubscribed_at__isnull=True).count() == 2
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.SENT


def test_it_keeps_a_receipt_that_outruns_the_sent_status(cast: Cast) -> None:
    from beffroi.messaging.base import Receipt

    make_subscribers(cast.org, 1, channels=("sms",))
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENDING)
    delivery = Delivery.objects.create(
        alert=alert,
        subscriber=cast.org.subscribers.get(),
        channel="sms",
        target=number(0),
        status=Delivery.Status.SENDING,
    )
    listener = ReceiptListener(SmppConfig.from_url("smpp://x:y@127.0.0.1:9"))
    listener.events.put(("receipt", Receipt(provider_id="M9", status="delivered")))
    listener.process(until=lambda: listener.events.empty())
    assert listener.unmatched  # kept for a retry, not lost
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT, provider_id="M9")
    started = time.monotonic()
    listener.process(until=lambda: listener.applied > 0 or time.monotonic() - started > 3)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED


def _sent_sms(cast: Cast, provider_id: str) -> Delivery:
    make_subscribers(cast.org, 1, channels=("sms",))
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENT)
    return Delivery.objects.create(
        alert=alert,
        subscriber=cast.org.subscribers.get(),
        channel="sms",
        target=number(0),
        status=Delivery.Status.SENT,
        provider_id=provider_id,
    )


def test_it_applies_the_http_sms_providers_webhook(
    cast: Cast, client: Client, settings: Any
) -> None:
    settings.SMS_HTTP_WEBHOOK_TOKEN = "s3cret-token"
    delivery = _sent_sms(cast, "brevo-1")
    response = client.post(
        "/alertes/envoi/sms/s3cret-token/",
        {"messageId": "brevo-1", "msg_status": "hard_bounce", "reason": "unknown number"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"received": 1, "applied": 1}
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert "unknown number" in delivery.last_error


def test_it_refuses_the_webhook_with_a_wrong_token_or_bad_json(
    cast: Cast, client: Client, settings: Any
) -> None:
    settings.SMS_HTTP_WEBHOOK_TOKEN = "s3cret-token"
    delivery = _sent_sms(cast, "brevo-2")
    payload = {"messageId": "brevo-2", "msg_status": "delivered"}
    wrong = client.post("/alertes/envoi/sms/guess/", payload, content_type="application/json")
    assert wrong.status_code == 404
    bad = client.post(
        "/alertes/envoi/sms/s3cret-token/", "{not json", content_type="application/json"
    )
    assert bad.status_code == 400
    settings.SMS_HTTP_WEBHOOK_TOKEN = ""
    disabled = client.post("/alertes/envoi/sms/", payload, content_type="application/json")
    assert disabled.status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


def _dsn(original_headers: str, recipient: str) -> bytes:
    return f"""From: MAILER-DAEMON@mx.example.org
To: bounces@valmont.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: mailbox unknown

--B
Content-Type: text/rfc822-headers

{original_headers}

--B--
""".encode()


def test_it_fails_emails_from_bounces_read_in_an_mbox(
    cast: Cast,
    gateways: tuple[SmtpServer, SmscServer],
    on_commit: RunOnCommit,
    tmp_path: Path,
) -> None:
    smtp, _smsc = gateways
    make_subscribers(cast.org, 2, channels=("email",))
    alert = make_alert(
        cast.org, cast.alert_author, channels=["email"], status=Alert.Status.APPROVED
    )
    with on_commit():
        alert_dispatch(alert=alert)
    bounced = next(m for m in smtp.received if m.rcpt_tos == [email(1)])
    headers = bounced.raw.decode().replace("\r\n", "\n").partition("\n\n")[0]
    box = mailbox.mbox(str(tmp_path / "bounces"))
    box.add(_dsn(headers, email(1)))
    box.add(b"From: someone@example.org\nSubject: thanks\n\nNot a bounce.\n")
    box.flush()

    call_command("read_bounces", mbox=str(tmp_path / "bounces"))
    call_command("read_bounces", mbox=str(tmp_path / "bounces"))  # idempotent

    failed = Delivery.objects.get(alert=alert, status=Delivery.Status.FAILED)
    assert failed.target == email(1)
    assert failed.permanent_failure
    assert "5.1.1" in failed.last_error and "mailbox unknown" in failed.last_error
    assert Delivery.objects.get(alert=alert, target=email(0)).status == Delivery.Status.SENT


def test_it_sends_each_sms_once_and_records_receipts_pushed_on_the_transmitter_bind(
    cast: Cast, settings: Any, on_commit: RunOnCommit
) -> None:
    # An SMSC that pushes receipts on the sending session once made dispatch fail the
    # batch and send accepted SMS again; now the receipts mark the deliveries delivered.
    from beffroi.messaging.testing import receipts_on_transmitter_smsc

    make_subscribers(cast.org, 24, channels=("sms",))
    with receipts_on_transmitter_smsc(unexpected_after=5) as smsc:
        settings.SMPP_URL = smsc.url
        settings.SMPP_MAX_PER_SECOND = 0
        settings.TASKS = {
            "default": {
                "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                "QUEUES": settings.TASK_QUEUES,
            }
        }
        alert = make_alert(
            cast.org, cast.alert_author, channels=["sms"], status=Alert.Status.APPROVED
        )
        with on_commit():
            alert_dispatch(alert=alert)
    deliveries = Delivery.objects.filter(alert=alert)
    assert deliveries.count() == 24
    assert sorted(smsc.destinations) == sorted(number(i).lstrip("+") for i in range(24))
    assert set(deliveries.values_list("status", flat=True)) == {Delivery.Status.DELIVERED}


def test_a_receipt_meeting_a_busy_database_is_tried_again_then_kept(
    cast: Cast, monkeypatch: Any
) -> None:
    """SQLite's one writer held by another connection: the receipt is not lost."""
    from django.db import OperationalError

    from beffroi.alerts.dispatch import services
    from beffroi.messaging.base import Receipt

    delivery = _sent_sms(cast, "B1")
    real_apply = services.delivery_receipt_apply
    busy = {"left": 1}

    def sometimes_busy(**kwargs: Any) -> bool:
        if busy["left"]:
            busy["left"] -= 1
            raise OperationalError("database table is locked")
        return real_apply(**kwargs)

    monkeypatch.setattr(services, "delivery_receipt_apply", sometimes_busy)
    assert services.receipt_from_gateway(receipt=Receipt("B1", "delivered"), channel="sms")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED

    # Busy for longer than the retries: kept, and applied by the next pass.
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT)
    busy["left"] = 1
    monkeypatch.setattr(services, "RECEIPT_LOCKED_WAIT_SECONDS", 0.0)
    assert not services.receipt_from_gateway(receipt=Receipt("B1", "delivered"), channel="sms")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert services.early_receipts_apply() == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
