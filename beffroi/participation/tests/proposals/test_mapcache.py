"""The map document is rebuilt by one request at a time; the others get the previous copy."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache

from beffroi.participation.proposals import mapcache
from beffroi.testing import Cast


def test_it_builds_once_then_serves_the_copy_until_the_version_moves(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    builds: list[int] = []

    def build() -> bytes:
        builds.append(1)
        return f"copy {len(builds)}".encode()

    assert mapcache.map_document(7, "filters", "fr", build) == b"copy 1"
    assert mapcache.map_document(7, "filters", "fr", build) == b"copy 1"
    assert mapcache.map_document(7, "other filters", "fr", build) == b"copy 2"
    with django_capture_on_commit_callbacks(execute=True):
        mapcache.map_changed(7)
    # Another request is rebuilding (it holds the lock): the previous copy, no second build.
    lock = mapcache.rebuild_lock_key(mapcache.map_document_key(7, "filters", "fr"))
    assert cache.add(lock, 1, 30)
    assert mapcache.map_document(7, "filters", "fr", build) == b"copy 1"
    assert len(builds) == 2
    cache.delete(lock)
    # The lock is free: this request rebuilds, and the next ones get the new copy.
    assert mapcache.map_document(7, "filters", "fr", build) == b"copy 3"
    assert mapcache.map_document(7, "filters", "fr", build) == b"copy 3"
