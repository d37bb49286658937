"""A sending rate shared by every worker of an installation, kept in the database.

A gateway contract caps the rate per account, not per process: with several
``beffroi dispatch_worker`` processes, possibly on several machines, a per-process pace
multiplies the real rate by the number of workers, and the SMSC answers ESME_RTHROTTLED
(or suspends the account) in the middle of a crisis.

The shared state is one ``RateSlot`` row per gateway kind: ``next_at``, the wall-clock time
(epoch seconds) of the first slot nobody has reserved yet. A process reserves a block of
``n`` consecutive slots with one atomic statement::

    UPDATE messaging_rateslot SET next_at = MAX(next_at, now) + n × interval
    WHERE key = … RETURNING next_at

and then hands out the slots of its block to its own callers, one ``interval`` apart. Blocks
of different processes never overlap, so the slots of the whole installation are at least one
``interval`` apart: in any one-second window, at most ``per_second`` + 1 (the two ends of the
window) calls are released. A block holds about ``BLOCK_SECONDS`` of the rate, which keeps the
database at a few statements a second per sending process; the slots a process reserved and
did not use (its batch ended) are lost, which only ever slows the others down, by at most
one block.

Wall-clock time is used because processes on several machines compare it: their clocks must
be synchronised (NTP). A clock that is wrong by more than ``MAX_AHEAD_SECONDS`` cannot stall
sending for longer than that: a ``next_at`` further ahead than that of the caller's clock is
taken for a skewed clock's and reset.
"""

from __future__ import annotations

import logging
import threading
import time

from beffroi.messaging.base import Throttle

__all__ = ["BLOCK_SECONDS", "MAX_AHEAD_SECONDS", "DatabaseThrottle", "shared_throttle"]

logger = logging.getLogger(__name__)

# Slots reserved per database statement, in seconds of the rate (at least one slot).
BLOCK_SECONDS = 0.25
# A legitimate backlog is one block per concurrent sender (a few seconds); a next_at further
# ahead comes from a machine whose clock is wrong, and must not stall a warning for hours.
MAX_AHEAD_SECONDS = 120.0


class DatabaseThrottle(Throttle):
    """Paces ``wait()`` to at most ``per_second`` calls a second across every process and
    machine sharing the database, for the gateway account ``key`` (0 disables it, with no
    database access).

    ``wait()`` runs one short transaction of its own per block of slots: call it outside any
    transaction of the caller (transports call it while sending, when none is open), or the
    row lock would be held until the caller's transaction ends and every other worker would
    wait for it. If the database cannot be reached, the block is paced by this process alone
    (logged): sending an alert matters more than the contracted rate, which the gateway
    enforces anyway with temporary refusals that dispatch retries.
    """

    def __init__(
        self, key: str, per_second: float, *, block_seconds: float = BLOCK_SECONDS
    ) -> None:
        super().__init__(per_second)
        self.key = key
        self.block = max(1, int(per_second * block_seconds)) if self.interval else 0
        self._block_end = 0.0  # end of the reserved block (exclusive), epoch seconds
        self._next_slot = 0.0  # the next free slot of the block
        self.reservations = 0  # blocks reserved in the database, for tests and benchmarks

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.time()
            slot = max(now, self._next_slot)
            # The block is used up, or its remaining slots are already past: they were
            # reserved for then, and using them now could burst over someone else's block.
            if slot + self.interval > self._block_end + self.interval * 1e-6:
                slot, self._block_end = self._reserve(now)
            self._next_slot = slot + self.interval
        delay = slot - time.time()
        if delay > 0:
            time.sleep(delay)

    def _reserve(self, now: float) -> tuple[float, float]:
        """Reserve ``self.block`` slots: (the first one, never before ``now``; the end)."""
        from django.db import Error

        span = self.block * self.interval
        try:
            end = reserve_slots(self.key, now=now, span=span)
        except Error:
            logger.warning(
                "Cannot reserve %s sending slots in the database; pacing this process alone.",
                self.key,
                exc_info=True,
            )
            return now, now + span
        self.reservations += 1
        return max(now, end - span), end


def reserve_slots(key: str, *, now: float, span: float) -> float:
    """Move ``key``'s next free slot ``span`` seconds past ``max(next_at, now)`` and return
    the new ``next_at``: the caller owns ``[next_at - span, next_at)``.

    Runs its own transaction; the row is created on first use.
    """
    from django.db import connection, transaction

    from beffroi.messaging.models import RateSlot

    qn = connection.ops.quote_name
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"  # SQLite: scalar MAX
    table, key_column, next_column = (
        qn(RateSlot._meta.db_table),
        qn("key"),
        qn("next_at"),
    )
    # Only quoted identifiers of our own model are interpolated; values are parameters.
    update = (
        f"UPDATE {table} SET {next_column} = CASE WHEN {next_column} > %s THEN %s "  # noqa: S608
        f"ELSE {greatest}({next_column}, %s) END + %s WHERE {key_column} = %s"
    )
    params: list[float | str] = [now + MAX_AHEAD_SECONDS, now, now, span, key]
    # UPDATE … RETURNING: one statement (SQLite 3.35+, which Django requires, and PostgreSQL).
    with transaction.atomic(), connection.cursor() as cursor:
        for _attempt in range(2):
            cursor.execute(f"{update} RETURNING {next_column}", params)
            row = cursor.fetchone()
            if row is not None:
                return float(row[0])
            # First use of this key: another worker may create the row at the same moment.
            RateSlot.objects.bulk_create([RateSlot(key=key, next_at=0.0)], ignore_conflicts=True)
    raise RuntimeError(f"RateSlot {key!r} could not be created")  # pragma: no cover


_throttles: dict[tuple[str, float], DatabaseThrottle] = {}
_throttles_lock = threading.Lock()


def shared_throttle(key: str, per_second: float) -> DatabaseThrottle:
    """The throttle of gateway account ``key`` ("smpp", "http_sms", "smtp") at
    ``per_second``: one per process, so its threads share the blocks it reserves, and one
    row in the database, so every process shares the rate."""
    with _throttles_lock:
        return _throttles.setdefault((key, per_second), DatabaseThrottle(key, per_second))
