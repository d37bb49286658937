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

    assert mapcache.map_document(7, "filters", "fr", build).body == b"copy 1"
    assert mapcache.map_document(7, "filters", "fr", build).body == b"copy 1"
    assert mapcache.map_document(7, "other filters", "fr", build).body == b"copy 2"
    with django_capture_on_commit_callbacks(execute=True):
        mapcache.map_changed(7)
    # Another request is rebuilding (it holds the lock): the previous copy, no second build.
    lock = mapcache.rebuild_lock_key(mapcache.map_document_key(7, "filters", "fr"))
    assert cache.add(lock, 1, 30)
    mapcache._LOCAL.clear()  # another worker: no copy of its own
    assert mapcache.map_document(7, "filters", "fr", build).body == b"copy 1"
    assert len(builds) == 2
    cache.delete(lock)
    # The lock is free: this request rebuilds, and the next ones get the new copy.
    assert mapcache.map_document(7, "filters", "fr", build).body == b"copy 3"
    assert mapcache.map_document(7, "filters", "fr", build).body == b"copy 3"


def test_a_worker_serves_its_own_copy_and_an_emptied_cache_never_matches_it(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    builds: list[int] = []

    def build() -> bytes:
        builds.append(1)
        return f"copy {len(builds)}".encode()

    mapcache._LOCAL.clear()
    assert mapcache.map_document(8, "f", "fr", build).body == b"copy 1"
    # The shared copy is gone (evicted): this worker still answers from its own.
    cache.delete(mapcache.map_document_key(8, "f", "fr"))
    assert mapcache.map_document(8, "f", "fr", build).body == b"copy 1"
    # The whole cache emptied: the version starts again elsewhere, the copy is not current.
    cache.clear()
    assert mapcache.map_document(8, "f", "fr", build).body == b"copy 2"


def test_the_response_is_compressed_for_browsers_and_revalidated_by_its_etag(cast: Cast) -> None:
    import gzip

    from django.test import RequestFactory

    mapcache._LOCAL.clear()
    document = mapcache.map_document(9, "f", "fr", lambda: b'{"type":"FeatureCollection"}' * 50)
    factory = RequestFactory()
    plain = mapcache.map_response(factory.get("/"), document)
    assert plain.status_code == 200 and plain.content == document.body
    zipped = mapcache.map_response(factory.get("/", HTTP_ACCEPT_ENCODING="gzip, br"), document)
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == document.body
    assert len(zipped.content) < len(document.body) / 5
    again = mapcache.map_response(factory.get("/", HTTP_IF_NONE_MATCH=plain["ETag"]), document)
    assert again.status_code == 304 and not again.content


def test_with_no_copy_yet_a_request_waits_for_the_one_building_it(cast: Cast) -> None:
    import threading
    import time

    mapcache._LOCAL.clear()
    key = mapcache.map_document_key(10, "f", "fr")
    lock = mapcache.rebuild_lock_key(key)
    version = mapcache.map_version(10)
    builds: list[int] = []

    def build() -> bytes:
        builds.append(1)
        return b"mine"

    # Another request holds the lock and stores its copy a little later.
    assert cache.add(lock, 1, 30)
    theirs = mapcache.MapDocument(version, time.time(), b"theirs", b"", '"t"')
    timer = threading.Timer(0.3, lambda: (cache.set(key, theirs, 60), cache.delete(lock)))
    timer.start()
    try:
        assert mapcache.map_document(10, "f", "fr", build).body == b"theirs"
    finally:
        timer.join()
    assert not builds
    # The builder gave up (its lock gone, no copy): the waiting request builds.
    mapcache._LOCAL.clear()
    cache.delete(key)
    assert cache.add(lock, 1, 30)
    threading.Timer(0.2, lambda: cache.delete(lock)).start()
    assert mapcache.map_document(10, "f", "fr", build).body == b"mine"
    assert builds == [1]
