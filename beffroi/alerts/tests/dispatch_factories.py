"""Factories and fixtures of the dispatch tests (an approved alert, N subscribers)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from beffroi.accounts.models import User
from beffroi.alerts.models import Alert, Place, Subscriber
from beffroi.messaging.testing import SmscServer, SmtpServer, smsc_server, smtp_server
from beffroi.territory.models import Address, Organisation


def number(i: int) -> str:
    return f"+3361{i:07d}"


def email(i: int) -> str:
    return f"r{i}@example.org"


def make_subscribers(
    organisation: Organisation, count: int, *, channels: tuple[str, ...] = ("email", "sms")
) -> list[Subscriber]:
    address = Address.objects.create(
        organisation=organisation, commune=organisation.communes.get(), lon=4.0, lat=45.0
    )
    now = timezone.now()
    subscribers = Subscriber.objects.bulk_create(
        [
            Subscriber(
                organisation=organisation,
                full_name=f"Resident {i}",
                email=email(i),
                email_verified_at=now,
                sms_number=number(i),
                sms_verified_at=now,
                channels=list(channels),
                topics=["flood"],
                consent_version="1",
                consent_at=now,
                unsubscribe_token=uuid.uuid4().hex,
            )
            for i in range(count)
        ]
    )
    Place.objects.bulk_create([Place(subscriber=s, address=address) for s in subscribers])
    return subscribers


def make_alert(organisation: Organisation, author: User, **fields: Any) -> Alert:
    values: dict[str, Any] = {
        "organisation": organisation,
        "identifier": f"test-{uuid.uuid4().hex}",
        "status": Alert.Status.APPROVED,
        "topic": "flood",
        "headline": "Flood warning",
        "description": "The river is rising.",
        "instruction": "Move to higher ground.",
        "sms_text": "Crue: montez a l'etage.",
        "email_subject": "Flood warning in Valmont",
        "email_body": "The river is rising. Move to higher ground.",
        "whole_territory": True,
        "channels": ["email", "sms"],
        "created_by": author,
        "approved_at": timezone.now(),
    }
    values.update(fields)
    if values["status"] == Alert.Status.SENDING:
        # Deliveries made by hand in the test stand for a finished fan-out.
        values.setdefault("fanout_done_at", timezone.now())
    return Alert.objects.create(**values)


@pytest.fixture
def gateways(settings: Any) -> Iterator[tuple[SmtpServer, SmscServer]]:
    """Real SMTP and SMPP servers on loopback, the settings pointing at them, tasks run in
    process."""
    with smtp_server() as smtp, smsc_server() as smsc:
        settings.ALERT_EMAIL_URL = smtp.url
        settings.SMPP_URL = smsc.url()
        settings.SMS_TRANSPORT = "smpp"
        settings.SMPP_MAX_PER_SECOND = 0
        settings.TASKS = {
            "default": {
                "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                "QUEUES": django_settings.TASK_QUEUES,
            }
        }
        yield smtp, smsc


RunOnCommit = Callable[[], AbstractContextManager[Any]]


@pytest.fixture
def on_commit(
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> RunOnCommit:
    def run() -> AbstractContextManager[Any]:
        return django_capture_on_commit_callbacks(execute=True)

    return run
