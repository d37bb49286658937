"""Builders for the composer's tests: addresses, zones, subscribers and alerts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from beffroi.accounts.models import User
from beffroi.alerts.models import Alert, Place, Subscriber
from beffroi.territory.models import Address, Organisation, Zone
from beffroi.territory.services import zone_create


def square(lon: float, lat: float, size: float) -> dict[str, Any]:
    """A square Polygon whose south-west corner is (lon, lat)."""
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [lon, lat],
                [lon + size, lat],
                [lon + size, lat + size],
                [lon, lat + size],
                [lon, lat],
            ]
        ],
    }


def make_address(organisation: Organisation, lon: float, lat: float, label: str = "") -> Address:
    return Address.objects.create(
        organisation=organisation,
        commune=organisation.communes.get(),
        street=None,
        locality=label,
        lon=lon,
        lat=lat,
    )


def make_zone(
    organisation: Organisation, name: str, lon: float, lat: float, size: float = 0.01
) -> Zone:
    return zone_create(
        organisation=organisation, name=name, kind="hamlet", geometry=square(lon, lat, size)
    )


def make_subscriber(
    organisation: Organisation,
    *addresses: Address,
    email: str = "",
    sms: str = "",
    voice: str = "",
    channels: tuple[str, ...] = ("email", "sms"),
    topics: tuple[str, ...] = ("flood",),
    verified: bool = True,
    language: str = "fr",
    unsubscribed: bool = False,
) -> Subscriber:
    now = timezone.now()
    subscriber = Subscriber.objects.create(
        organisation=organisation,
        full_name=email or sms,
        language=language,
        email=email,
        email_verified_at=now if verified and email else None,
        sms_number=sms,
        sms_verified_at=now if verified and sms else None,
        voice_number=voice,
        voice_verified_at=now if verified and voice else None,
        channels=list(channels),
        topics=list(topics),
        consent_version="1",
        consent_at=now,
        unsubscribed_at=now if unsubscribed else None,
    )
    for address in addresses:
        Place.objects.create(subscriber=subscriber, address=address)
    return subscriber


def make_alert(
    organisation: Organisation,
    author: User,
    *zones: Zone,
    whole_territory: bool = False,
    **fields: Any,
) -> Alert:
    values: dict[str, Any] = {
        "topic": "flood",
        "headline": "Crue de la Vence",
        "description": "La Vence déborde.",
        "instruction": "Montez à l'étage.",
        "sms_text": "Crue: montez a l'etage.",
        "email_subject": "Alerte crue",
        "email_body": "La Vence déborde. Montez à l'étage.",
        "channels": ["email", "sms"],
        "cap_status": Alert.CapStatus.ACTUAL,
    }
    values.update(fields)
    alert = Alert.objects.create(
        organisation=organisation,
        identifier=f"test-{Alert.objects.count() + 1}-{timezone.now().timestamp()}",
        created_by=author,
        whole_territory=whole_territory,
        **values,
    )
    if zones:
        alert.zones.set(zones)
    return alert


@pytest.fixture
def dispatched(task_backend: Any) -> Callable[[], list[int]]:
    """The ids of the alerts whose fan-out was handed to the task backend, in order."""
    from beffroi.alerts.dispatch.services import alert_dispatch_task
    from beffroi.core.testing import enqueued

    return lambda: [call["alert_id"] for call in enqueued(task_backend, alert_dispatch_task)]
