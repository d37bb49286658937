"""Every request reads its organisation from the shared cache; a change made by an
administrator applies at the next request, in every process, once it is committed."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from beffroi.territory.middleware import _organisation_key, organisation_cached
from beffroi.testing import Cast


def test_the_organisation_comes_from_the_cache_until_it_is_saved(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    assert "Commune de Valmont" in client.get("/").content.decode()
    assert cache.get(_organisation_key(cast.org.pk)) is not None
    with CaptureQueriesContext(connection) as queries:
        organisation_cached(cast.org.pk)
    assert not queries.captured_queries
    with django_capture_on_commit_callbacks(execute=True):
        cast.org.name = "Commune de Valmont-le-Neuf"
        cast.org.save()
    assert cache.get(_organisation_key(cast.org.pk)) is None
    assert "Commune de Valmont-le-Neuf" in client.get("/").content.decode()
