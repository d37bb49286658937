"""The map data of a process, computed once for every visitor.

Serialising 10,000 points costs tens of milliseconds, and every visitor of the map asks for
the same document: it is cached per process, filters and language. Any change that moves a
point, or makes a proposal appear or disappear (published, edited, withdrawn, answered,
hidden or restored by moderation), changes the process's version once its transaction
commits, so the next request rebuilds it; support counts on the map may lag by at most
``MAP_CACHE_SECONDS``.
"""

from __future__ import annotations

import gzip
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified

MAP_CACHE_SECONDS = 60


def _version_key(process_id: int) -> str:
    return f"participation:map-version:{process_id}"


def map_version(process_id: int) -> int:
    version = cache.get(_version_key(process_id))
    if version is None:
        # A random start: after the cache is emptied, no version number comes back to
        # match a copy a worker still holds in memory.
        cache.add(_version_key(process_id), secrets.randbits(48), None)
        version = cache.get(_version_key(process_id), 0)
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


@dataclass(frozen=True)
class MapDocument:
    version: int
    built_at: float
    body: bytes
    # The same, gzip-compressed once (a tenth of the size for browsers that accept it).
    gzipped: bytes
    etag: str


# Each web worker keeps the copies it served: a request finding its copy current reads only
# the small version key from the shared cache, not a megabyte-sized document. Bounded.
_LOCAL: dict[str, MapDocument] = {}
_LOCAL_MAX = 32


def _current(entry: MapDocument | None, version: int, now: float) -> bool:
    return (
        entry is not None and entry.version == version and now - entry.built_at < MAP_CACHE_SECONDS
    )


def _keep_locally(key: str, document: MapDocument) -> None:
    if key not in _LOCAL and len(_LOCAL) >= _LOCAL_MAX:
        _LOCAL.pop(next(iter(_LOCAL)))
    _LOCAL[key] = document


# How often a request waiting for the first copy looks for it.
MAP_WAIT_STEP_SECONDS = 0.05


def _wait_for_copy(key: str, lock: str) -> MapDocument | None:
    """The copy another request is building, once it is there; None if that request gave
    up (its lock is gone with no copy) or took longer than its lock lasts."""
    deadline = time.monotonic() + MAP_REBUILD_LOCK_SECONDS
    while time.monotonic() < deadline:
        time.sleep(MAP_WAIT_STEP_SECONDS)
        entry: MapDocument | None = cache.get(key)
        if entry is not None:
            return entry
        if cache.get(lock) is None:
            return None
    return None


def map_document(
    process_id: int, filters: object, language: str, build: Callable[[], bytes]
) -> MapDocument:
    """The map document, rebuilt by one request at a time.

    A copy is current while the process's version has not moved and it is younger than
    ``MAP_CACHE_SECONDS``. Otherwise the first request takes the rebuild lock and builds it;
    requests arriving meanwhile get the previous copy instead of all building the same
    10,000 points at once (which took the map's p95 from tens of milliseconds to a second
    under 20 concurrent visitors). When there is no copy at all, requests arriving while
    one builds it wait for it.
    """
    key = map_document_key(process_id, filters, language)
    version = map_version(process_id)
    now = time.time()
    local = _LOCAL.get(key)
    if local is not None and _current(local, version, now):
        return local
    entry: MapDocument | None = cache.get(key)
    if entry is not None and _current(entry, version, now):
        _keep_locally(key, entry)
        return entry
    lock = rebuild_lock_key(key)
    if not cache.add(lock, 1, MAP_REBUILD_LOCK_SECONDS):
        if entry is not None:
            return entry
        # No copy at all yet (a cold cache): wait for the request building it rather than
        # building the same document twenty times at once.
        waited = _wait_for_copy(key, lock)
        if waited is not None:
            _keep_locally(key, waited)
            return waited
        cache.add(lock, 1, MAP_REBUILD_LOCK_SECONDS)
    try:
        body = build()
        document = MapDocument(
            version=version,
            built_at=now,
            body=body,
            gzipped=gzip.compress(body, compresslevel=6, mtime=0),
            etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        )
        cache.set(key, document, MAP_KEEP_SECONDS)
        _keep_locally(key, document)
    finally:
        cache.delete(lock)
    return document


def map_response(request: HttpRequest, document: MapDocument) -> HttpResponse:
    """The document as a response: 304 when the browser holds this very copy (its ETag),
    gzip-compressed when the browser accepts it."""
    headers = {"ETag": document.etag, "Vary": "Accept-Encoding", "Cache-Control": "no-cache"}
    if document.etag in request.headers.get("If-None-Match", ""):
        return HttpResponseNotModified(headers=headers)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(document.gzipped, content_type="application/json")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(document.body, content_type="application/json")
    for name, value in headers.items():
        response[name] = value
    return response
