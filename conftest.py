"""Fixtures shared by every test: the cast, and services that must be reachable in CI."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from beffroi.territory.middleware import clear_organisation_cache
from beffroi.testing import Cast, make_cast


@pytest.fixture(autouse=True)
def _fresh_organisation_cache() -> Iterator[None]:
    clear_organisation_cache()
    yield
    clear_organisation_cache()


@pytest.fixture(autouse=True)
def _isolated_cache(
    settings: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Each test gets its own cache so that rate limits of one test do not leak into another.
    settings.CACHES = {  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(tmp_path_factory.mktemp("cache")),
        }
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: pytest.FixtureRequest) -> None:
    # Argon2 costs ~0.1 s a hash and the cast has a dozen users; the production hasher is
    # checked by accounts' test_it_hashes_passwords_with_argon2_in_production.
    settings.PASSWORD_HASHERS = [  # type: ignore[attr-defined]
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,  # type: ignore[attr-defined]
    ]


@pytest.fixture(autouse=True)
def _language(request: pytest.FixtureRequest, settings: pytest.FixtureRequest) -> Iterator[None]:
    """Tests read English messages unless marked ``french`` (the shipped default language)."""
    if request.node.get_closest_marker("french"):
        yield
        return
    settings.LANGUAGE_CODE = "en"  # type: ignore[attr-defined]
    with translation.override("en"):
        yield


@pytest.fixture
def task_backend(settings: pytest.FixtureRequest) -> Any:
    """A DummyBackend in place of the configured one: it records what is enqueued (read it
    with ``beffroi.core.testing.enqueued``) and runs nothing."""
    from django.tasks import task_backends

    settings.TASKS = {  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django.tasks.backends.dummy.DummyBackend",
            "QUEUES": settings.TASK_QUEUES,  # type: ignore[attr-defined]
        }
    }
    return task_backends["default"]


@pytest.fixture
def cast(db: None) -> Cast:
    return make_cast()


def service_unavailable(what: str) -> None:
    """Fail in CI (REQUIRE_SERVICES=1), skip on a developer's machine without the service."""
    if settings.REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but cannot be reached.")
    pytest.skip(f"{what} is not reachable")


def redis_test_url() -> str:
    """The Redis of the tests (``REDIS_URL``, else database 15 on loopback), reachable, or
    ``service_unavailable``."""
    import os
    import socket
    from urllib.parse import urlsplit

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 2).close()
    except OSError:
        service_unavailable("Redis")
    return url
