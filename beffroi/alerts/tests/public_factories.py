"""Builders for the public side's tests: sent alerts, zones and a territory."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from beffroi.accounts.models import User
from beffroi.alerts.models import Alert
from beffroi.territory.models import Organisation, Zone
from beffroi.territory.services import zone_create

_counter = iter(range(1, 1_000_000))


def square(lon: float, lat: float, size: float) -> dict[str, Any]:
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


def give_territory(organisation: Organisation) -> None:
    """A square commune boundary around (4.0, 45.0), like the cast's map centre."""
    commune = organisation.communes.get()
    commune.boundary = square(3.95, 44.95, 0.1)
    commune.min_lon, commune.min_lat, commune.max_lon, commune.max_lat = 3.95, 44.95, 4.05, 45.05
    commune.save()


def make_zone(
    organisation: Organisation,
    name: str = "Hameau du Pré",
    *,
    geometry: dict[str, Any] | None = None,
    kind: str = "hamlet",
) -> Zone:
    return zone_create(
        organisation=organisation,
        name=name,
        kind=kind,
        geometry=geometry or square(3.99, 44.99, 0.01),
    )


def make_alert(
    organisation: Organisation,
    author: User,
    *,
    sent_ago: timedelta | None = timedelta(hours=1),
    lasts: timedelta | None = timedelta(hours=6),
    zones: list[Zone] | None = None,
    now: datetime | None = None,
    **fields: Any,
) -> Alert:
    moment = now or timezone.now()
    sent_at = moment - sent_ago if sent_ago is not None else None
    values: dict[str, Any] = {
        "organisation": organisation,
        "identifier": f"beffroi-{organisation.slug}-test-{next(_counter)}",
        "status": Alert.Status.SENT if sent_at else Alert.Status.DRAFT,
        "topic": "flood",
        "category": Alert.Category.MET,
        "urgency": Alert.Urgency.IMMEDIATE,
        "severity": Alert.Severity.SEVERE,
        "certainty": Alert.Certainty.OBSERVED,
        "headline": "Crue de l'Aulne",
        "description": "Montée rapide des eaux.",
        "instruction": "Montez à l'étage.",
        "sent_at": sent_at,
        "onset": sent_at,
        "expires": (sent_at + lasts) if sent_at is not None and lasts is not None else None,
        "channels": ["email", "sms"],
        "created_by": author,
        "whole_territory": not zones,
    }
    values.update(fields)
    alert = Alert.objects.create(**values)
    if zones:
        alert.zones.set(zones)
    return alert
