"""The map data of a process, computed once for every visitor.

Serialising 10,000 points costs tens of milliseconds, and every visitor of the map asks for
the same document: it is cached per process, filters and language. Any change that moves a
point, or makes a proposal appear or disappear (published, edited, withdrawn, answered,
hidden or restored by moderation), changes the process's version once its transaction
commits, so the next request rebuilds it; support counts on the map may lag by at most
``MAP_CACHE_SECONDS``.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.db import transaction

MAP_CACHE_SECONDS = 60


def _version_key(process_id: int) -> str:
    return f"participation:map-version:{process_id}"


def map_version(process_id: int) -> int:
    version = cache.get(_version_key(process_id))
    if version is None:
        version = 1
        cache.add(_version_key(process_id), version, None)
    return int(version)


def map_changed(process_id: int) -> None:
    """Call inside the transaction that changes a proposal: the version moves after commit
    (moved before, a reader could cache the old state under the new version)."""

    def bump() -> None:
        try:
            cache.incr(_version_key(process_id))
        except ValueError:  # never read yet, or evicted: any new value invalidates
            cache.set(_version_key(process_id), map_version(process_id) + 1, None)

    transaction.on_commit(bump)


def map_cache_key(process_id: int, filters: object, language: str) -> str:
    digest = hashlib.sha256(repr(filters).encode()).hexdigest()[:24]
    return f"participation:map:{process_id}:{map_version(process_id)}:{language}:{digest}"
