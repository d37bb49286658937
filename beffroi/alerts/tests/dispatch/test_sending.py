"""Dispatch against real loopback gateways: what the SMTP and SMPP servers received."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from beffroi.alerts.dispatch.services import (
    alert_dispatch,
    alert_finish_if_done,
    deliveries_claim,
    deliveries_requeue_stale,
    deliveries_send,
)
from beffroi.alerts.models import Alert, AlertTransition, Delivery, Subscriber
from beffroi.alerts.tests.factories import (
    RunOnCommit,
    email,
    gateways,
    make_alert,
    make_subscribers,
    number,
    on_commit,
)
from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.testing import Cast

__all__ = ["gateways", "on_commit"]

Gateways = tuple[SmtpServer, SmscServer]


def _due_now() -> None:
    """Jump past every retry delay."""
    Delivery.objects.filter(status=Delivery.Status.PENDING).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_it_sends_one_email_and_one_sms_per_recipient_with_unsubscribe(
    cast: Cast, gateways: Gateways, on_commit: RunOnCommit
) -> None:
    smtp, smsc = gateways
    subscribers = make_subscribers(cast.org, 7)
    alert = make_alert(
        cast.org,
        cast.alert_author,
        status=Alert.Status.APPROVED,
        email_subject="Flood warning in Valmont",
        email_body="The river is rising. Move to higher ground.",
    )

    with on_commit():
        created = alert_dispatch(alert=alert)

    assert created == 14
    assert sorted(m.rcpt_tos[0] for m in smtp.received) == sorted(email(i) for i in range(7))
    assert sorted("+" + sm.destination for sm in smsc.accepted) == sorted(
        number(i) for i in range(7)
    )
    by_address = {m.rcpt_tos[0]: m.message for m in smtp.received}
    first = by_address[email(0)]
    assert first["Subject"] == "Flood warning in Valmont"
    assert subscribers[0].unsubscribe_token in first["List-Unsubscribe"]
    assert subscribers[0].unsubscribe_token in first.get_content()
    assert "Move to higher ground." in first.get_content()
    assert all(sm.text.startswith("Crue: montez") and "STOP" in sm.text for sm in smsc.accepted)
    assert Delivery.objects.filter(alert=alert, status=Delivery.Status.SENT).count() == 14
    assert not Delivery.objects.filter(alert=alert, provider_id="").exists()
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENT
    assert alert.finished_at is not None
    moves = list(AlertTransition.objects.filter(alert=alert).values_list("to_status", flat=True))
    assert moves == ["sending", "sent"]


def test_the_email_comes_from_the_commune_and_signs_after_instructions_and_link(
    cast: Cast, gateways: Gateways, on_commit: RunOnCommit, settings: Any
) -> None:
    from email.utils import parseaddr

    settings.ALERT_EMAIL_FROM = "Beffroi <alertes@valmont.example>"
    settings.PUBLIC_URL_SCHEME = "http"
    settings.PUBLIC_URL_PORT = 8123
    smtp, _smsc = gateways
    make_subscribers(cast.org, 1)
    alert = make_alert(
        cast.org,
        cast.alert_author,
        status=Alert.Status.APPROVED,
        is_public=True,
        email_body="Madame, Monsieur,\n\nLa Vence déborde.\n\nCordialement,\n\nLa mairie",
        instruction="Montez à l'étage avec vos papiers.",
    )
    with on_commit():
        alert_dispatch(alert=alert)

    message = smtp.received[0].message
    assert parseaddr(str(message["From"])) == ("Commune de Valmont", "alertes@valmont.example")
    text = message.get_content()
    page = f"http://testserver:8123/alertes/{alert.pk}/"
    assert page in text
    # The instructions and the link come before the closing, the footer after it.
    order = [
        text.index("La Vence déborde."),
        text.index("Montez à l'étage avec vos papiers."),
        text.index(page),
        text.index("Cordialement,"),
        text.index("La mairie"),
        text.index("http://testserver:8123/alertes/inscription/"),
    ]
    assert order == sorted(order)


def test_a_private_alert_links_to_no_public_page(
    cast: Cast, gateways: Gateways, on_commit: RunOnCommit
) -> None:
    smtp, _smsc = gateways
    make_subscribers(cast.org, 1)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.APPROVED, is_public=False)
    with on_commit():
        alert_dispatch(alert=alert)
    assert f"/alertes/{alert.pk}/" not in smtp.received[0].message.get_content()


def test_it_marks_an_exercise_on_every_channel(
    cast: Cast, gateways: Gateways, on_commit: RunOnCommit
) -> None:
    smtp, smsc = gateways
    make_subscribers(cast.org, 1)
    alert = make_alert(
        cast.org,
        cast.alert_author,
        cap_status=Alert.CapStatus.EXERCISE,
        status=Alert.Status.APPROVED,
    )
    with on_commit():
        alert_dispatch(alert=alert)
    assert smtp.received[0].message["Subject"].startswith("EXERCICE")
    assert smsc.accepted[0].text.startswith("EXERCICE")


def test_it_creates_nothing_new_when_dispatched_twice(
    cast: Cast, gateways: Gateways, on_commit: RunOnCommit
) -> None:
    smtp, smsc = gateways
    make_subscribers(cast.org, 5)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENDING)
    with on_commit():
        assert alert_dispatch(alert=alert) == 10
    with on_commit():
        assert alert_dispatch(alert=alert) == 0
    assert Delivery.objects.filter(alert=alert).count() == 10
    assert len(smtp.received) == 5
    assert len(smsc.accepted) == 5


def test_it_refuses_to_dispatch_a_draft(cast: Cast, gateways: Gateways) -> None:
    from beffroi.alerts.dispatch.services import DispatchError

    make_subscribers(cast.org, 2)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.DRAFT)
    with pytest.raises(DispatchError):
        alert_dispatch(alert=alert)
    assert not Delivery.objects.exists()


def test_it_never_lets_two_claims_take_the_same_delivery(cast: Cast) -> None:
    make_subscribers(cast.org, 10)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.APPROVED)
    ids = []
    for subscriber in alert.organisation.subscribers.all():
        ids.append(
            Delivery.objects.create(
                alert=alert, subscriber=subscriber, channel="email", target=subscriber.email
            ).pk
        )
    first = deliveries_claim(delivery_ids=ids[:7])
    second = deliveries_claim(delivery_ids=ids)
    third = deliveries_claim(delivery_ids=ids)
    assert first == ids[:7]
    assert second == ids[7:]
    assert third == []
    assert Delivery.objects.filter(status=Delivery.Status.SENDING).count() == 10
    assert Delivery.objects.filter(claimed_at__isnull=True).count() == 0


def test_it_retries_temporary_errors_with_backoff_then_delivers(
    cast: Cast, gateways: Gateways, on_commit: RunOnCommit
) -> None:
    smtp, smsc = gateways
    make_subscribers(cast.org, 3)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.APPROVED)
    smtp.stop()
    smsc.stop()
    before = timezone.now()
    with on_commit():
        alert_dispatch(alert=alert)

    waiting = Delivery.objects.filter(alert=alert)
    assert all(d.status == Delivery.Status.PENDING for d in waiting)
    assert all(d.attempts == 1 and d.last_error for d in waiting)
    # First retry after 30 s ± 20 %.
    assert all(
        before + timedelta(seconds=23) < d.next_attempt_at < before + timedelta(seconds=40)
        for d in waiting
        if d.next_attempt_at
    )
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENDING
    ids = list(waiting.values_list("pk", flat=True))
    # Not due yet: a retry task that runs early claims nothing.
    assert deliveries_send(delivery_ids=ids).claimed == 0

    _due_now()
    report = deliveries_send(delivery_ids=ids)  # still down: second attempt, longer delay
    assert report.retried == 6
    second = Delivery.objects.filter(alert=alert).first()
    assert second is not None and second.attempts == 2
    assert second.next_attempt_at is not None
    assert second.next_attempt_at > timezone.now() + timedelta(seconds=90)

    smtp.start()
    smsc.start()
    _due_now()
    with on_commit():
        deliveries_send(delivery_ids=ids)
    assert len(smtp.received) == 3
    assert len(smsc.accepted) == 3
    assert Delivery.objects.filter(alert=alert, status=Delivery.Status.SENT).count() == 6
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENT


def test_it_fails_permanent_errors_with_the_reason_and_no_retry(
    cast: Cast, settings: object, on_commit: RunOnCommit
) -> None:
    from django.conf import settings as django_settings

    from beffroi.messaging.testing import smsc_server, smtp_server

    make_subscribers(cast.org, 3)
    bad = cast.org.subscribers.order_by("pk")[2]
    Delivery.objects.all().delete()
    with (
        smtp_server(refuse={email(0): 550}) as smtp,
        smsc_server(reject={number(1).lstrip("+"): 0x0B}) as smsc,
    ):
        settings.ALERT_EMAIL_URL = smtp.url  # type: ignore[attr-defined]
        settings.SMPP_URL = smsc.url()  # type: ignore[attr-defined]
        settings.SMPP_MAX_PER_SECOND = 0  # type: ignore[attr-defined]
        settings.TASKS = {  # type: ignore[attr-defined]
            "default": {
                "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                "QUEUES": django_settings.TASK_QUEUES,
            }
        }
        # Saved without the form's validation, as an old import might have.
        type(bad).objects.filter(pk=bad.pk).update(email="not an address", sms_number="+3312")
        alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.APPROVED)
        with on_commit():
            alert_dispatch(alert=alert)

        failed = {
            (d.channel, d.target): d
            for d in Delivery.objects.filter(alert=alert, status=Delivery.Status.FAILED)
        }
        assert set(failed) == {
            ("email", email(0)),
            ("sms", number(1)),
            ("email", "not an address"),
            ("sms", "+3312"),
        }
        assert all(d.permanent_failure and d.next_attempt_at is None for d in failed.values())
        assert "550" in failed[("email", email(0))].last_error
        assert "0x0B" in failed[("sms", number(1))].last_error
        assert failed[("email", "not an address")].last_error == "Invalid e-mail address."
        assert failed[("sms", "+3312")].last_error == "Invalid mobile number."
        assert failed[("sms", "+3312")].attempts == 0  # never handed to the gateway
        # What the gateways actually received: only the valid, accepted ones.
        assert [m.rcpt_tos[0] for m in smtp.received] == [email(1)]
        assert ["+" + sm.destination for sm in smsc.accepted] == [number(0)]
        alert.refresh_from_db()
        assert alert.status == Alert.Status.SENT


def test_it_fails_the_alert_when_nothing_could_be_sent(
    cast: Cast, gateways: Gateways, on_commit: RunOnCommit
) -> None:
    for i, subscriber in enumerate(make_subscribers(cast.org, 2, channels=("email",))):
        Subscriber.objects.filter(pk=subscriber.pk).update(email=f"broken-{i}")
    alert = make_alert(
        cast.org, cast.alert_author, channels=["email"], status=Alert.Status.APPROVED
    )
    with on_commit():
        alert_dispatch(alert=alert)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.FAILED
    assert alert.transitions.last().to_status == "failed"  # type: ignore[union-attr]


def test_it_requeues_stale_claims_and_sends_them(
    cast: Cast, gateways: Gateways, on_commit: RunOnCommit
) -> None:
    smtp, _smsc = gateways
    make_subscribers(cast.org, 4)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENDING)
    for subscriber in cast.org.subscribers.all():
        Delivery.objects.create(
            alert=alert, subscriber=subscriber, channel="email", target=subscriber.email
        )
    ids = list(Delivery.objects.values_list("pk", flat=True))
    # A worker claimed them, then was killed: they sit in "sending".
    long_ago = timezone.now() - timedelta(minutes=10)
    assert deliveries_claim(delivery_ids=ids, now=long_ago) == ids
    fresh = deliveries_claim(delivery_ids=[], now=timezone.now())
    assert fresh == []
    Delivery.objects.filter(pk=ids[0]).update(claimed_at=timezone.now())  # still in flight

    with on_commit():
        enqueued = deliveries_requeue_stale(timeout_seconds=300)

    assert enqueued == 3
    assert sorted(m.rcpt_tos[0] for m in smtp.received) == sorted(
        Delivery.objects.exclude(pk=ids[0]).values_list("target", flat=True)
    )
    assert Delivery.objects.get(pk=ids[0]).status == Delivery.Status.SENDING
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 3
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENDING  # one message still in flight


def test_it_sends_sms_through_the_http_provider_and_applies_its_webhook(
    cast: Cast,
    settings: Any,
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> None:
    from beffroi.messaging.testing import sms_http_server

    make_subscribers(cast.org, 3, channels=("sms",))
    with sms_http_server(api_key="k", invalid_numbers={number(2).lstrip("+")}) as api:
        settings.SMS_TRANSPORT = "http_sms"
        settings.SMS_HTTP_URL = api.url
        settings.SMS_HTTP_API_KEY = "k"
        settings.SMS_HTTP_MAX_PER_SECOND = 0
        settings.SMS_HTTP_WEBHOOK_TOKEN = "hook"
        settings.TASKS = {
            "default": {
                "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                "QUEUES": settings.TASK_QUEUES,
            }
        }
        alert = make_alert(
            cast.org, cast.alert_author, channels=["sms"], status=Alert.Status.APPROVED
        )
        with django_capture_on_commit_callbacks(execute=True):
            alert_dispatch(alert=alert)
        assert sorted(body["recipient"] for _id, body in api.accepted) == [
            number(i).lstrip("+") for i in range(2)
        ]
    sent = Delivery.objects.filter(alert=alert, status=Delivery.Status.SENT)
    assert sent.count() == 2
    refused = Delivery.objects.get(alert=alert, status=Delivery.Status.FAILED)
    assert refused.target == number(2) and refused.permanent_failure
    first = sent.order_by("pk").first()
    assert first is not None
    response = client.post(
        "/alertes/envoi/sms/hook/",
        [{"messageId": first.provider_id, "msg_status": "delivered"}],
        content_type="application/json",
    )
    assert response.json() == {"received": 1, "applied": 1}
    first.refresh_from_db()
    assert first.status == Delivery.Status.DELIVERED


def test_it_requeues_from_the_command(
    cast: Cast,
    gateways: Gateways,
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> None:
    smtp, _smsc = gateways
    make_subscribers(cast.org, 2, channels=("email",))
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENDING)
    for subscriber in cast.org.subscribers.all():
        Delivery.objects.create(
            alert=alert, subscriber=subscriber, channel="email", target=subscriber.email
        )
    ids = list(Delivery.objects.values_list("pk", flat=True))
    deliveries_claim(delivery_ids=ids, now=timezone.now() - timedelta(hours=1))
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("requeue_stale", stdout=out)
    assert "Deliveries re-queued: 2." in out.getvalue()
    assert len(smtp.received) == 2
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENT


def test_approval_hands_the_fan_out_to_the_alerts_queue(cast: Cast, on_commit: RunOnCommit) -> None:
    """The request that approves does not write 100,000 deliveries: a worker does."""
    from django_tasks_db.models import DBTaskResult

    from beffroi.alerts.composer.services import alert_approve

    make_subscribers(cast.org, 3)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.PENDING)
    with on_commit():
        alert_approve(alert=alert, actor=cast.alert_approver, verified=True)
    assert not Delivery.objects.exists()
    task = DBTaskResult.objects.get()
    assert task.queue_name == "alerts"
    assert task.task_path.endswith("alert_dispatch_task")
    assert task.args_kwargs["kwargs"] == {"alert_id": alert.pk}
    alert.refresh_from_db()
    assert alert.status == Alert.Status.APPROVED


def test_an_alert_is_not_sent_before_its_fan_out_is_done(cast: Cast) -> None:
    """Send tasks may finish every delivery written so far while the fan-out is still
    writing the rest: the alert must stay "sending" until the fan-out ends."""
    make_subscribers(cast.org, 2, channels=("email",))
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENDING)
    Alert.objects.filter(pk=alert.pk).update(fanout_done_at=None)
    for subscriber in cast.org.subscribers.all():
        Delivery.objects.create(
            alert=alert,
            subscriber=subscriber,
            channel="email",
            target=subscriber.email,
            status=Delivery.Status.SENT,
        )
    assert alert_finish_if_done(alert_id=alert.pk) is False
    Alert.objects.filter(pk=alert.pk).update(fanout_done_at=timezone.now())
    assert alert_finish_if_done(alert_id=alert.pk) is True
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENT


def test_a_batch_finishes_the_alert_only_when_no_delivery_is_left_however_far(
    cast: Cast, gateways: Gateways
) -> None:
    """A send task looks at the deliveries next to its own before searching the alert's
    (``_unfinished_nearby``): neighbours all done must not pass for the alert done while a
    delivery far from them still waits."""
    smtp, _smsc = gateways
    subscribers = make_subscribers(cast.org, 40, channels=("email",))
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENDING)
    Alert.objects.filter(pk=alert.pk).update(fanout_done_at=timezone.now())
    rows = Delivery.objects.bulk_create(
        Delivery(alert=alert, subscriber=s, channel="email", target=s.email) for s in subscribers
    )
    ids = sorted(row.pk for row in rows)
    Delivery.objects.filter(pk__in=ids[1:-1]).update(status=Delivery.Status.SENT)

    deliveries_send(delivery_ids=ids[:1])  # its neighbours are sent, the last one waits
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENDING

    deliveries_send(delivery_ids=ids[-1:])
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENT
    assert len(smtp.received) == 2


def test_the_sweep_restarts_a_fan_out_whose_worker_died(
    cast: Cast, gateways: Gateways, on_commit: RunOnCommit
) -> None:
    smtp, smsc = gateways
    make_subscribers(cast.org, 4)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENDING)
    # The worker died after the first recipient: one delivery written, no fan-out end.
    first = cast.org.subscribers.order_by("pk").first()
    assert first is not None
    Delivery.objects.create(alert=alert, subscriber=first, channel="email", target=first.email)
    long_ago = timezone.now() - timedelta(hours=1)
    Alert.objects.filter(pk=alert.pk).update(fanout_done_at=None, fanout_heartbeat_at=long_ago)
    # A fan-out alive a moment ago is left alone.
    alive = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENDING)
    Alert.objects.filter(pk=alive.pk).update(
        fanout_done_at=None, fanout_heartbeat_at=timezone.now()
    )

    with on_commit():
        deliveries_requeue_stale()

    assert Delivery.objects.filter(alert=alert).count() == 8
    assert not Delivery.objects.filter(alert=alive).exists()
    assert sorted(m.rcpt_tos[0] for m in smtp.received) == sorted(email(i) for i in range(4))
    assert len(smsc.accepted) == 4
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENT
    assert alert.fanout_done_at is not None


def test_the_fan_out_writes_the_audience_in_steps_each_recipient_once(
    cast: Cast, gateways: Gateways, on_commit: RunOnCommit, monkeypatch: pytest.MonkeyPatch
) -> None:
    from beffroi.alerts.dispatch import services as dispatch

    smtp, smsc = gateways
    monkeypatch.setattr(dispatch, "FANOUT_ID_SPAN", 3)
    make_subscribers(cast.org, 8)
    unreachable = make_subscribers(cast.org, 1, channels=("voice",), first=8)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.APPROVED)
    with on_commit():
        assert alert_dispatch(alert=alert) == 16
    rows = list(Delivery.objects.filter(alert=alert).values_list("subscriber_id", "channel"))
    assert len(rows) == len(set(rows)) == 16
    assert unreachable[0].pk not in {subscriber for subscriber, _channel in rows}
    assert sorted(m.rcpt_tos[0] for m in smtp.received) == sorted(email(i) for i in range(8))
    assert len(smsc.accepted) == 8
    assert set(Delivery.objects.filter(alert=alert).values_list("language", flat=True)) == {"fr"}


def test_send_tasks_alternate_the_channels_sms_first(
    cast: Cast, on_commit: RunOnCommit, settings: Any
) -> None:
    """Workers keep both gateways busy at once, and SMS never wait behind every e-mail."""
    from django_tasks_db.models import DBTaskResult

    settings.DISPATCH_BATCH_SIZE = 2
    make_subscribers(cast.org, 5)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.APPROVED)
    with on_commit():
        alert_dispatch(alert=alert)
    channels = dict(Delivery.objects.values_list("pk", "channel"))
    tasks = DBTaskResult.objects.filter(task_path__endswith="deliveries_send_task").order_by(
        "enqueued_at", "pk"
    )
    order = [{channels[pk] for pk in task.args_kwargs["kwargs"]["delivery_ids"]} for task in tasks]
    assert order == [{"sms"}, {"email"}] * 3
    sizes = [len(task.args_kwargs["kwargs"]["delivery_ids"]) for task in tasks]
    assert sizes == [2, 2, 2, 2, 1, 1]
