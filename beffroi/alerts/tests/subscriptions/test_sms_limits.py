"""No SMS pumping or bombing through registration: a duplicate sign-up sends no SMS, codes
are limited per number, per client address and by the organisation's daily budget (counted
atomically, checked against the real loopback SMSC), and alerts are never limited."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from beffroi.alerts.models import Alert, ChannelVerification, Subscriber
from beffroi.alerts.subscriptions import services as services
from beffroi.alerts.tests.factories import (
    RunOnCommit,
    Territory,
    gateways,
    make_alert,
    make_subscriber,
    make_subscribers,
    number,
    on_commit,
    registration_data,
    sent,
    territory,
)
from beffroi.core.audit import AuditEvent
from beffroi.core.ratelimit import rate_hit
from beffroi.messaging.sms import sms_info
from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.testing import Cast, make_organisation

__all__ = ["gateways", "on_commit", "sent", "territory"]

Gateways = tuple[SmtpServer, SmscServer]
URL = reverse("subscriptions:register")
NUMBER = "+33612345678"


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """One instant for the whole test: no hour boundary in the middle of it."""
    from beffroi.core import ratelimit

    monkeypatch.setattr(ratelimit, "clock", lambda: 2_000_000_000.0)


def _spend(key: str, count: int, window_seconds: int = 3600) -> None:
    rate_hit(key, limit=count, window_seconds=window_seconds, cost=count)


def _in_threads(count: int, work: Any) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together; returns the tasks they
    queued (each thread has its own task backend, a DummyBackend). The tests' shared
    in-memory SQLite answers "locked" at once where a database file or PostgreSQL would
    wait: such a request is sent again, as a client would, which only adds pressure on the
    limits."""
    from django.tasks import task_backends

    barrier = threading.Barrier(count)
    errors: list[BaseException] = []
    queued: list[Any] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            for attempt in range(100):
                try:
                    work(i)
                    break
                except OperationalError as exc:
                    if "locked" not in str(exc) or attempt == 99:
                        raise
                    time.sleep(0.01 * random.random())
        except BaseException as exc:
            errors.append(exc)
        finally:
            queued.extend(task_backends["default"].results)
            connection.close()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors, errors
    return queued


def _work_the_queue(queued: list[Any]) -> None:
    """Run the queued tasks as a worker would (with the real gateways)."""
    for result in queued:
        result.task.call(*result.args, **result.kwargs)


# --- A duplicate sign-up -------------------------------------------------------------------


def test_it_sends_no_sms_when_a_sign_up_matches_an_existing_number(
    client: Client, territory: Territory, sent: RunOnCommit, gateways: Gateways
) -> None:
    smtp, smsc = gateways
    with sent():
        client.post(URL, registration_data(address=str(territory.mairie_12.pk)))
    before_sms, before_mail = len(smsc.accepted), len(smtp.received)
    assert before_sms == 1  # the registration's own code
    with sent():
        response = client.post(
            URL,
            registration_data(
                address=str(territory.lilas_3.pk), email="other@example.org", full_name="X"
            ),
        )
    # The same answer as any duplicate (nothing says which detail matched), and nothing sent.
    assert response.status_code == 200
    assert "already registered" in response.content.decode()
    assert len(smsc.accepted) == before_sms
    assert len(smtp.received) == before_mail
    assert Subscriber.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fixed_clock")
def test_it_sends_at_most_the_per_number_limit_to_sixteen_simultaneous_sign_ups(
    territory: Territory, gateways: Gateways, task_backend: Any, settings: Any
) -> None:
    del task_backend  # tasks are queued, then run like a worker: see _work_the_queue
    smsc = gateways[1]
    settings.SMS_CODES_PER_NUMBER_PER_HOUR = 3

    def register(i: int) -> None:
        response = Client(REMOTE_ADDR=f"203.0.113.{i + 1}").post(
            URL,
            registration_data(
                address=str(territory.mairie_12.pk),
                email=f"person{i}@example.org",
                channels="sms",
            ),
        )
        assert response.status_code in (200, 302)

    _work_the_queue(_in_threads(16, register))
    assert Subscriber.objects.count() == 1
    assert 1 <= len(smsc.accepted) <= 3
    assert {sm.destination for sm in smsc.accepted} == {"33612345678"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fixed_clock")
def test_it_sends_at_most_the_per_number_limit_of_codes_to_sixteen_requests_at_once(
    gateways: Gateways, task_backend: Any, settings: Any
) -> None:
    """One number registered in sixteen communes of an installation, sixteen codes asked
    at once: the number receives exactly the limit."""
    smsc = gateways[1]
    settings.SMS_CODES_PER_NUMBER_PER_HOUR = 3
    subscribers = [
        make_subscriber(
            make_organisation(name=f"Commune {i}", slug=f"c{i}", host=f"c{i}.example"),
            sms=NUMBER,
            channels=("sms",),
            verified=False,
        )
        for i in range(16)
    ]
    refused: list[str] = []

    def ask(i: int) -> None:
        try:
            services.sms_code_request(subscriber=subscribers[i], client=f"198.51.100.{i + 1}")
        except ValidationError as exc:
            refused.extend(exc.messages)

    _work_the_queue(_in_threads(16, ask))
    assert len(smsc.accepted) == 3
    assert ChannelVerification.objects.count() == 3
    assert len(refused) == 13
    assert all("Too many codes were sent to this number" in m for m in refused)


# --- Limits per number and per client address ----------------------------------------------


def test_it_refuses_a_registration_whose_number_had_too_many_codes(
    client: Client, territory: Territory, sent: RunOnCommit, gateways: Gateways
) -> None:
    _spend(f"sms:number:{NUMBER}", 3)
    with sent():
        response = client.post(URL, registration_data(address=str(territory.mairie_12.pk)))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Too many codes were sent to this number: try again in" in body
    assert not Subscriber.objects.exists()
    assert gateways[1].accepted == [] and gateways[0].received == []


def test_it_tells_the_resident_when_a_new_code_is_refused_on_the_manage_page(
    client: Client, territory: Territory, sent: RunOnCommit, gateways: Gateways
) -> None:
    with sent():
        client.post(URL, registration_data(address=str(territory.mairie_12.pk)))
    subscriber = Subscriber.objects.get()
    ChannelVerification.objects.update(created_at=subscriber.created_at.replace(year=2020))
    _spend(f"sms:number-day:{NUMBER}", 6, window_seconds=86_400)
    url = reverse("subscriptions:manage", args=[services.management_token(subscriber)])
    with sent():
        response = client.post(url, {"action": "resend_code"}, follow=True)
    assert response.status_code == 200
    assert "Too many codes were sent to this number: try again in" in response.content.decode()
    assert len(gateways[1].accepted) == 1
    assert ChannelVerification.objects.filter(channel="sms").count() == 1


def test_it_limits_the_codes_asked_from_one_client_address(
    territory: Territory, on_commit: RunOnCommit, settings: Any
) -> None:
    settings.SMS_CODES_PER_CLIENT_PER_HOUR = 1
    org = territory.cast.org
    first, second = (
        make_subscriber(org, sms=f"+3361234567{i}", channels=("sms",), verified=False)
        for i in range(2)
    )
    services.sms_code_request(subscriber=first, client="192.0.2.1")
    with pytest.raises(ValidationError) as error:
        services.sms_code_request(subscriber=second, client="192.0.2.1")
    assert "Too many codes were asked from your connection" in error.value.messages[0]
    # Another address, or an agent at the front desk (no client), is not held back.
    services.sms_code_request(subscriber=second, client="192.0.2.2")
    assert ChannelVerification.objects.count() == 2


# --- The organisation's daily budget -------------------------------------------------------


def test_it_tells_the_administrators_once_when_the_budget_is_reached_and_sends_no_more(
    territory: Territory, sent: RunOnCommit, gateways: Gateways
) -> None:
    smsc = gateways[1]
    org = territory.cast.org
    subscribers = [
        make_subscriber(org, sms=f"+3361234560{i}", channels=("sms",), verified=False)
        for i in range(4)
    ]
    with sent():
        services.sms_code_request(subscriber=subscribers[0])
    parts = sms_info(smsc.accepted[0].text).segments
    org.settings = {"alerts": {"sms_daily_budget": 2 * parts}}
    org.save(update_fields=["settings"])
    with sent():
        services.sms_code_request(subscriber=subscribers[1])
    assert len(smsc.accepted) == 2
    [notice] = [m for m in mail.outbox if "SMS" in m.subject]
    assert notice.to == [territory.cast.administrator.email]
    assert org.name in notice.subject
    # Now spent: the resident is told at once, and nothing is queued.
    with pytest.raises(ValidationError) as error:
        services.sms_code_request(subscriber=subscribers[2])
    assert "all the SMS codes it can send today" in error.value.messages[0]
    # A code queued before the budget was reached is not sent either; nobody is told twice.
    late = ChannelVerification.objects.create(
        subscriber=subscribers[3],
        channel="sms",
        target=str(subscribers[3].sms_number),
        code_hash="",
        expires_at=subscribers[3].created_at.replace(year=2100),
    )
    assert services.sms_code_send(verification_id=late.pk) is False
    assert len(smsc.accepted) == 2
    assert len([m for m in mail.outbox if "SMS" in m.subject]) == 1
    assert AuditEvent.objects.filter(action="alerts.sms_budget_spent").count() == 1


def test_it_lets_administrators_set_the_budget_on_the_alert_settings_page(
    client: Client, cast: Cast
) -> None:
    from beffroi.testing import login_verified

    login_verified(client, cast.administrator)
    url = reverse("alerts_backoffice:settings")
    assert 'name="sms_daily_budget"' in client.get(url).content.decode()
    client.post(url, {"sms_daily_budget": "40"})
    cast.org.refresh_from_db()
    assert cast.org.settings["alerts"]["sms_daily_budget"] == 40
    assert services.sms_daily_budget(cast.org) == 40


def test_it_sends_an_alert_by_sms_even_when_the_budget_for_codes_is_spent(
    cast: Cast, gateways: Gateways, on_commit: RunOnCommit
) -> None:
    from beffroi.alerts.dispatch.services import alert_dispatch

    smsc = gateways[1]
    cast.org.settings = {"alerts": {"sms_daily_budget": 1}}
    cast.org.save(update_fields=["settings"])
    _spend(f"sms:budget:{cast.org.pk}", 5, window_seconds=86_400)
    make_subscribers(cast.org, 3, channels=("sms",))
    waiting = make_subscriber(cast.org, sms="+33699999999", channels=("sms",), verified=False)
    with pytest.raises(ValidationError):
        services.sms_code_request(subscriber=waiting)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.APPROVED)
    with on_commit():
        alert_dispatch(alert=alert)
    received = {"+" + sm.destination for sm in smsc.accepted}
    assert {number(i) for i in range(3)} <= received
