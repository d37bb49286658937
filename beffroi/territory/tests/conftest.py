from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from beffroi.territory.models import Zone
from beffroi.territory.services import ban_import, zone_create
from beffroi.territory.tests.helpers import BAN_FILE, square
from beffroi.testing import Cast


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: pytest.FixtureRequest) -> None:
    # The cast creates a dozen users; Argon2 makes that seconds per test on a loaded machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _english(settings: pytest.FixtureRequest) -> Iterator[None]:
    # The assertions read English messages; the French catalogue must not break them.
    settings.LANGUAGE_CODE = "en"  # type: ignore[attr-defined]
    with translation.override("en"):
        yield


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
