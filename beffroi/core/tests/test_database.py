"""CI must run on the database it claims: a PostgreSQL URL may never fall back to SQLite."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connection

import conftest


@pytest.mark.django_db
def test_it_uses_the_database_named_by_database_url() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        if settings.REQUIRE_SERVICES and os.environ.get("BEFFROI_EXPECT_POSTGRES"):
            pytest.fail("BEFFROI_EXPECT_POSTGRES is set but DATABASE_URL is not PostgreSQL.")
        assert connection.vendor == "sqlite"
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            version = cursor.fetchone()[0]
    except Exception:  # any connection failure means "not reachable"
        conftest.service_unavailable("PostgreSQL")
        return
    assert connection.vendor == "postgresql"
    assert version.startswith("PostgreSQL")
