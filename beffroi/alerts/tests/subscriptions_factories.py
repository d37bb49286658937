"""Fixtures of the subscription tests: a commune with a boundary, streets and addresses,
and real SMTP/SMPP servers on loopback."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pytest

from beffroi.alerts.tests.dispatch_factories import RunOnCommit, gateways
from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.territory.models import Address, Commune, Street, Zone
from beffroi.territory.services import zone_create
from beffroi.territory.text import normalize_street
from beffroi.testing import Cast

__all__ = ["RunOnCommit", "gateways"]  # shared with the dispatch tests

# Valmont's commune: a square around (4.0, 45.0); the river zone covers its western half.
BOUNDARY = {
    "type": "Polygon",
    "coordinates": [[[3.99, 44.99], [4.01, 44.99], [4.01, 45.01], [3.99, 45.01], [3.99, 44.99]]],
}
INSIDE = (4.005, 45.005)  # lon, lat
INSIDE_RIVER = (3.995, 45.0)
OUTSIDE = (4.5, 45.5)


@dataclass
class Territory:
    cast: Cast
    commune: Commune
    mairie_12: Address
    mairie_14: Address
    lilas_3: Address
    river: Zone


def _street(commune: Commune, name: str) -> Street:
    return Street.objects.create(
        organisation=commune.organisation,
        commune=commune,
        name=name,
        normalized=normalize_street(name),
    )


def _address(street: Street, number: str, lon: float, lat: float) -> Address:
    return Address.objects.create(
        organisation=street.organisation,
        commune=street.commune,
        street=street,
        number=number,
        postcode="99100",
        lon=lon,
        lat=lat,
        ban_id=f"{street.commune.insee_code}_{street.pk}_{number}",
    )


@pytest.fixture
def territory(cast: Cast) -> Territory:
    commune = cast.org.communes.get()
    commune.boundary = BOUNDARY
    commune.postcode = "99100"
    commune.min_lon, commune.min_lat, commune.max_lon, commune.max_lat = 3.99, 44.99, 4.01, 45.01
    commune.save()
    mairie = _street(commune, "Rue de la Mairie")
    lilas = _street(commune, "Allée des Lilas")
    river = zone_create(
        organisation=cast.org,
        name="Bords de rivière",
        kind="flood",
        geometry={
            "type": "Polygon",
            "coordinates": [
                [[3.99, 44.99], [4.0, 44.99], [4.0, 45.01], [3.99, 45.01], [3.99, 44.99]]
            ],
        },
    )
    return Territory(
        cast=cast,
        commune=commune,
        mairie_12=_address(mairie, "12", 4.002, 45.002),
        mairie_14=_address(mairie, "14", 4.0021, 45.0021),
        lilas_3=_address(lilas, "3", 3.995, 45.003),
        river=river,
    )


@pytest.fixture
def sent(
    gateways: tuple[SmtpServer, SmscServer],
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> RunOnCommit:
    """``with sent(): …`` runs the on-commit enqueues (so the messages really go out)."""

    def capture() -> AbstractContextManager[Any]:
        return django_capture_on_commit_callbacks(execute=True)

    return capture


def registration_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "full_name": "Jeanne Durand",
        "email": "jeanne@example.org",
        "sms_number": "06 12 34 56 78",
        "voice_number": "",
        "channels": ["email", "sms"],
        "topics": ["flood", "heat"],
        "language": "fr",
        "kind": "home",
        "q": "",
        "consent": "on",
        "action": "register",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
