"""Rate limits that hold under concurrency, for every process of an installation.

Whatever costs money or reaches a person is limited: API calls (and so token guessing), SMS
codes and links sent to a number, sign-ups from one address, an organisation's daily SMS
budget outside alerts. A limit that two simultaneous requests can both pass is no limit: an
attacker sends sixteen at once. So each hit is one atomic increment that returns the new
count, never a read followed by a write:

- with ``REDIS_URL``: ``INCRBY`` and ``EXPIRE`` in one transaction (several machines);
- otherwise: the database's ``RateCounter`` table, one
  ``INSERT … ON CONFLICT (key, window) DO UPDATE SET count = count + n RETURNING count``
  (SQLite ≥ 3.35 and PostgreSQL alike), shared by the web server and the workers.

Windows are fixed (the current minute, hour, day…): a client learns exactly when it may
come back (``retry_after``). A failure of the counter's store lets the request through and
is logged: an alert must never be blocked by its own safety net, and these limits guard
against abuse, not against an outage of the database.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction

from beffroi.core.locking import is_locked, when_unlocked

__all__ = ["Decision", "rate_counters_purge", "rate_hit", "rate_peek"]

logger = logging.getLogger(__name__)

# Old windows are deleted now and then by the hits themselves (about one in this many), so
# the table stays at the size of the live windows without a scheduled job.
_PURGE_ONE_IN = 500
_PURGE_AFTER_SECONDS = 2 * 86_400
# How long a hit waits for SQLite's writer lock before it is refused (never let through).
_LOCKED_WAIT_SECONDS = 15.0

# Wall-clock time, replaceable in tests: a window boundary in the middle of a concurrency
# test would open a fresh budget and make the count depend on the minute it ran.
clock: Callable[[], float] = time.time


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int  # hits in the window, this one included
    limit: int
    retry_after: float  # seconds until the window ends (0 when allowed)


def _window(now: float, window_seconds: int) -> int:
    return int(now // window_seconds) * window_seconds


class CounterBusy(Exception):
    """The database counter stayed locked by other writers for longer than the wait."""


def rate_hit(
    key: str, *, limit: int, window_seconds: int, cost: int = 1, now: float | None = None
) -> Decision:
    """Count ``cost`` hits on ``key`` in the current window; allowed while the count stays
    within ``limit`` (0 means no limit, nothing counted).

    Must not run inside a transaction that may roll back (the count would be lost); call it
    before the work it guards.
    """
    if limit <= 0:
        return Decision(allowed=True, count=0, limit=0, retry_after=0.0)
    now = clock() if now is None else now
    window = _window(now, window_seconds)
    try:
        count = _increment(key, window, window_seconds, cost)
    except CounterBusy:
        # Locked for longer than the wait: under such contention the hit is refused, not
        # let through uncounted (an attacker's flood must not open the gate).
        logger.warning("Rate counter %s busy; request refused.", key)
        return Decision(allowed=False, count=limit + cost, limit=limit, retry_after=1.0)
    except Exception:
        logger.warning("Rate counter %s unavailable; request allowed.", key, exc_info=True)
        return Decision(allowed=True, count=0, limit=limit, retry_after=0.0)
    allowed = count <= limit
    retry_after = 0.0 if allowed else max(1.0, window + window_seconds - now)
    return Decision(allowed=allowed, count=count, limit=limit, retry_after=retry_after)


def rate_peek(key: str, *, window_seconds: int, now: float | None = None) -> int:
    """The hits counted on ``key`` in the current window (for display; no hit counted)."""
    now = clock() if now is None else now
    window = _window(now, window_seconds)
    if _redis_url():
        value = _redis().get(_redis_key(key, window))
        return int(value or 0)
    from beffroi.core.models import RateCounter

    row = RateCounter.objects.filter(key=key, window=window).values_list("count", flat=True)
    return int(row.first() or 0)


def rate_counters_purge(*, now: float | None = None) -> int:
    """Delete the database windows that ended long ago; returns how many."""
    from beffroi.core.models import RateCounter

    now = clock() if now is None else now
    deleted, _by_model = RateCounter.objects.filter(window__lt=now - _PURGE_AFTER_SECONDS).delete()
    return deleted


def _redis_url() -> str:
    return str(getattr(settings, "REDIS_URL", "") or "")


# One client per thread: a connection shared by two threads mid-command was seen to break
# ("'NoneType' object has no attribute 'readline'") and the hit then went uncounted.
_local = threading.local()


def _redis() -> Any:
    url = _redis_url()
    clients: dict[str, Any] = _local.__dict__.setdefault("clients", {})
    client = clients.get(url)
    if client is None:
        import redis

        client = clients[url] = redis.Redis.from_url(url, socket_timeout=2)
    return client


def _redis_key(key: str, window: int) -> str:
    return f"beffroi:rate:{key}:{window}"


def _increment(key: str, window: int, window_seconds: int, cost: int) -> int:
    if _redis_url():
        name = _redis_key(key, window)
        pipe = _redis().pipeline(transaction=True)
        pipe.incrby(name, cost)
        pipe.expire(name, window_seconds + 60)
        count, _expiry = pipe.execute()
        return int(count)
    return _increment_database(key, window, cost)


def _increment_database(key: str, window: int, cost: int) -> int:
    from beffroi.core.models import RateCounter

    qn = connection.ops.quote_name
    table = qn(RateCounter._meta.db_table)
    key_column, window_column, count_column = qn("key"), qn("window"), qn("count")
    # Only quoted identifiers of our own model are interpolated; values are parameters.
    sql = (
        f"INSERT INTO {table} ({key_column}, {window_column}, {count_column}) "  # noqa: S608
        f"VALUES (%s, %s, %s) ON CONFLICT ({key_column}, {window_column}) "
        f"DO UPDATE SET {count_column} = {table}.{count_column} + EXCLUDED.{count_column} "
        f"RETURNING {count_column}"
    )

    # SQLite answers "database is locked" to a writer that meets another; contention is
    # exactly what an attacker creates, so wait for the lock rather than let the hit through
    # uncounted, and past the wait refuse it (``CounterBusy``).
    def count() -> Any:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [key[:200], window, cost])
            return cursor.fetchone()

    try:
        row = when_unlocked(count, wait_seconds=_LOCKED_WAIT_SECONDS)
    except OperationalError as exc:
        if is_locked(exc):
            raise CounterBusy(key) from exc
        raise
    if random.randrange(_PURGE_ONE_IN) == 0:
        rate_counters_purge()
    assert row is not None
    return int(row[0])
