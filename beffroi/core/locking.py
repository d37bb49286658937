"""Waiting out SQLite's writer lock.

SQLite lets one connection write at a time; another writer gets "database is locked" (or,
on the shared in-memory database of the tests, "database table is locked") at once or after
its busy timeout. Where giving up would let something through or lose it (a rate-limit hit,
a delivery receipt, a copy in the demo outbox), the write is tried again for a while.
PostgreSQL never answers so: the call runs once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import OperationalError


def is_locked(error: OperationalError) -> bool:
    return "locked" in str(error)


def when_unlocked[T](call: Callable[[], T], *, wait_seconds: float) -> T:
    """``call()``, tried again while the database answers that it is locked, for up to
    ``wait_seconds``; the last ``OperationalError`` is raised past that (any other at once).
    A call that writes must be its own transaction (or savepoint), so that a failed attempt
    leaves nothing behind."""
    deadline = time.monotonic() + wait_seconds
    attempt = 0
    while True:
        try:
            return call()
        except OperationalError as error:
            if not is_locked(error) or time.monotonic() > deadline:
                raise
            attempt += 1
            time.sleep(min(0.005 * attempt, 0.05))
