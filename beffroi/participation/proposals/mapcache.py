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
import time
from collections.abc import Callable

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


# A copy is kept this long whatever happens, to be served while one request rebuilds it.
MAP_KEEP_SECONDS = 24 * 3600
# Longest a rebuild may hold the lock (a crashed request frees it by itself).
MAP_REBUILD_LOCK_SECONDS = 30


def map_document_key(process_id: int, filters: object, language: str) -> str:
    digest = hashlib.sha256(repr(filters).encode()).hexdigest()[:24]
    return f"participation:map:{process_id}:{language}:{digest}"


def rebuild_lock_key(key: str) -> str:
    return f"{key}:rebuilding"


def map_document(
    process_id: int, filters: object, language: str, build: Callable[[], bytes]
) -> bytes:
    """The map document, rebuilt by one request at a time.

    A copy is current while the process's version has not moved and it is younger than
    ``MAP_CACHE_SECONDS``. Otherwise the first request takes the rebuild lock and builds it;
    requests arriving meanwhile get the previous copy instead of all building the same
    10,000 points at once (which took the map's p95 from tens of milliseconds to a second
    under 20 concurrent visitors). A request finding no copy at all builds one itself.
    """
    key = map_document_key(process_id, filters, language)
    version = map_version(process_id)
    entry: tuple[int, float, bytes] | None = cache.get(key)
    now = time.time()
    if entry is not None and entry[0] == version and now - entry[1] < MAP_CACHE_SECONDS:
        return entry[2]
    lock = rebuild_lock_key(key)
    if entry is not None and not cache.add(lock, 1, MAP_REBUILD_LOCK_SECONDS):
        return entry[2]
    try:
        body = build()
        cache.set(key, (version, now, body), MAP_KEEP_SECONDS)
    finally:
        cache.delete(lock)
    return body
