"""The Redis cache of a deployment with REDIS_URL: Django's, one client per server."""

from __future__ import annotations

import threading

import pytest

import conftest
from beffroi.core.cache import RedisCache


@pytest.mark.redis
def test_one_client_serves_every_call_from_every_thread() -> None:
    cache = RedisCache(conftest.redis_test_url(), {"KEY_PREFIX": "beffroi-test-cache"})
    cache.delete_many([f"k{i}" for i in range(16)])
    cache.set("shared-counter", 0, 30)
    clients = set()
    failures: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for n in range(50):
                cache.set(f"k{i}", {"thread": i, "n": n}, 30)
                assert cache.get(f"k{i}") == {"thread": i, "n": n}
            cache.incr("shared-counter")
            clients.add(id(cache._cache.get_client()))
            clients.add(id(cache._cache.get_client(write=True)))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    # Every thread, reading or writing, used the one client of the one server.
    assert len(clients) == 1
    assert cache.get_many([f"k{i}" for i in range(16)]) == {
        f"k{i}": {"thread": i, "n": 49} for i in range(16)
    }
    assert cache.get("shared-counter") == 16
    cache.delete_many([*(f"k{i}" for i in range(16)), "shared-counter"])
