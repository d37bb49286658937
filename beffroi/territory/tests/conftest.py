from __future__ import annotations

import pytest

from beffroi.territory.models import Zone
from beffroi.territory.services import ban_import, zone_create
from beffroi.territory.tests.factories import BAN_FILE, square
from beffroi.testing import Cast


@pytest.fixture
def addresses(cast: Cast) -> Cast:
    """The cast with Valmont's 31 BAN addresses imported."""
    ban_import(organisation=cast.org, path=BAN_FILE)
    return cast


@pytest.fixture
def bourg(addresses: Cast) -> Zone:
    """A hamlet covering the west of the Rue de la Mairie (numbers 1 to 9 and the square)."""
    return zone_create(
        organisation=addresses.org,
        name="Le Bourg",
        kind="hamlet",
        geometry=square(4.0, 45.0, 0.005),
    )
