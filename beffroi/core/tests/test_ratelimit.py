"""Rate limits hold under concurrency: each hit is one atomic increment, in the database or
in Redis, so that sixteen requests at once cannot all pass a limit of ten."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

import conftest
from beffroi.core.models import RateCounter
from beffroi.core.ratelimit import rate_counters_purge, rate_hit, rate_peek


def test_it_allows_up_to_the_limit_then_says_when_to_come_back(db: None) -> None:
    # 30 s into a minute, in the future: the occasional purge of old windows (one hit in
    # many, at random) deletes windows before today, and would reset a count dated in 2001.
    now = 60 * 33_333_334 + 30.0
    decisions = [rate_hit("k", limit=3, window_seconds=60, now=now) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.count for d in decisions] == [1, 2, 3, 4]
    assert decisions[-1].retry_after == 30.0
    # The next window starts afresh.
    assert rate_hit("k", limit=3, window_seconds=60, now=now + 30).allowed
    assert rate_peek("k", window_seconds=60, now=now) == 4


def test_it_counts_a_cost_and_separates_keys(db: None) -> None:
    now = 2_000_000_000.0
    assert rate_hit("sms:+33612345678", limit=5, window_seconds=3600, cost=3, now=now).allowed
    assert not rate_hit("sms:+33612345678", limit=5, window_seconds=3600, cost=3, now=now).allowed
    assert rate_hit("sms:+33698765432", limit=5, window_seconds=3600, cost=3, now=now).allowed


def test_it_counts_nothing_without_a_limit(db: None) -> None:
    assert rate_hit("k", limit=0, window_seconds=60).allowed
    assert not RateCounter.objects.exists()


def test_it_purges_old_windows(db: None) -> None:
    now = 2_000_000_000.0
    rate_hit("old", limit=9, window_seconds=60, now=now - 3 * 86_400)
    rate_hit("new", limit=9, window_seconds=60, now=now)
    assert rate_counters_purge(now=now) == 1
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["new"]


def _hammer(limit: int, threads: int, hits: int) -> list[bool]:
    results: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def work() -> None:
        barrier.wait()
        try:
            for _ in range(hits):
                decision = rate_hit("shared", limit=limit, window_seconds=3600)
                with lock:
                    results.append(decision.allowed)
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """One instant for the whole test: no window boundary in the middle of it."""
    from beffroi.core import ratelimit

    monkeypatch.setattr(ratelimit, "clock", lambda: 2_000_000_000.0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fixed_clock")
def test_it_holds_with_sixteen_clients_at_once_on_the_database() -> None:
    results = _hammer(limit=50, threads=16, hits=10)
    assert len(results) == 160
    assert results.count(True) == 50
    assert RateCounter.objects.get(key="shared").count == 160


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fixed_clock")
def test_it_holds_with_sixteen_clients_at_once_on_redis(settings: Any) -> None:
    url = conftest.redis_test_url()
    settings.REDIS_URL = url
    import redis

    client = redis.Redis.from_url(url)
    for name in client.scan_iter("beffroi:rate:shared:*"):  # earlier runs at this instant
        client.delete(name)
    results = _hammer(limit=50, threads=16, hits=10)
    assert results.count(True) == 50
    # Nothing went to the database: Redis holds the counts.
    assert not RateCounter.objects.exists()


@pytest.mark.django_db
def test_a_counter_locked_past_the_wait_refuses_the_hit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Contention is what a flood creates: a hit that cannot be counted is not let through."""
    from contextlib import contextmanager

    from django.db import OperationalError, connection

    from beffroi.core import ratelimit

    class LockedCursor:
        def execute(self, *args: object) -> None:
            raise OperationalError("database table is locked")

    class LockedConnection:
        ops = connection.ops

        @contextmanager
        def cursor(self):  # type: ignore[no-untyped-def]
            yield LockedCursor()

    monkeypatch.setattr(ratelimit, "connection", LockedConnection())
    monkeypatch.setattr(ratelimit, "_LOCKED_WAIT_SECONDS", 0.05)
    monkeypatch.setattr(ratelimit, "_redis_url", lambda: "")
    decision = ratelimit.rate_hit("sms:+33612345678", limit=5, window_seconds=60)
    assert not decision.allowed
    assert decision.retry_after >= 1
