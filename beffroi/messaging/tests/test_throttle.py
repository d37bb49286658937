"""The sending rate of a channel holds for the whole installation, not per process.

The contract with a gateway caps the rate per account: several ``dispatch_worker`` processes
(possibly on several machines) share it through the database (``RateSlot``).

Bounds asserted on the recorded times of released calls (behaviour, not our speed):
- in any window of ``w`` seconds, at most ``R × w + 1`` calls (the slots of the whole
  installation are ``1/R`` apart; a closed window holds both ends), plus ``R × LAG`` for a
  call the scheduler of this shared machine releases up to ``LAG`` after its slot. Blocks of
  reserved slots add nothing: a process paces the slots of its block ``1/R`` apart too;
- the first and last calls are at least ``(total - 1) / R - LAG`` apart, which is stronger
  than ``(total - R) / R``.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from beffroi.core.testing import shared_database
from beffroi.messaging.base import EmailOut
from beffroi.messaging.email import SmtpTransport
from beffroi.messaging.models import RateSlot
from beffroi.messaging.registry import get_transport
from beffroi.messaging.testing import ReceivedEmail, smtp_server
from beffroi.messaging.throttle import DatabaseThrottle, reserve_slots, shared_throttle

LAG = 0.1  # seconds a busy machine may take to wake a sleeping sender after its slot

# One worker: waits for "go" on its standard input, then releases CALLS calls and prints
# their wall-clock times (what another machine would compare too).
WORKER = """
import json, sys, time
import django
django.setup()
from django.db import connection
from beffroi.messaging.throttle import DatabaseThrottle
key, rate, calls = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
throttle = DatabaseThrottle(key, rate)
connection.ensure_connection()
print("ready", flush=True)
sys.stdin.readline()
times = []
for _ in range(calls):
    throttle.wait()
    times.append(time.time())
print(json.dumps({"times": times, "reservations": throttle.reservations}), flush=True)
"""


def _most_in_window(times: list[float], width: float) -> int:
    """The largest number of ``times`` in one closed window ``[t, t + width]``."""
    ordered = sorted(times)
    most = start = 0
    for end, at in enumerate(ordered):
        while ordered[start] < at - width:
            start += 1
        most = max(most, end - start + 1)
    return most


def _assert_paced(times: list[float], rate: float) -> None:
    for width in (1.0, 0.5):
        allowed = rate * width + 1 + math.ceil(rate * LAG)
        assert _most_in_window(times, width) <= allowed, (width, sorted(times))
    assert max(times) - min(times) >= (len(times) - 1) / rate - LAG


@pytest.mark.django_db(transaction=True)
def test_it_shares_the_rate_between_processes(tmp_path: Path) -> None:
    rate, processes, calls = 80, 2, 45  # 90 calls: 1.1 s at 80/s, 0.56 s if per process
    _db, database_url = shared_database(tmp_path)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "beffroi.settings",
        "DATABASE_URL": database_url,
        "BEFFROI_DATA_DIR": str(tmp_path),
        "DEBUG": "0",
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, "smpp", str(rate), str(calls)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        for worker in workers:  # all start together: they compete for the same slots
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        results = [json.loads(worker.communicate(timeout=60)[0]) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert [worker.returncode for worker in workers] == [0] * processes
    times = [at for result in results for at in result["times"]]
    assert len(times) == processes * calls
    _assert_paced(times, rate)
    # Slots are reserved in the database, in blocks (0.25 s of the rate: 20 slots here), not
    # one statement a call.
    reservations = [result["reservations"] for result in results]
    assert min(reservations) >= 1
    assert sum(reservations) <= len(times) / 4


@pytest.mark.django_db
def test_it_makes_no_query_without_a_rate(django_assert_num_queries: Any, settings: Any) -> None:
    settings.ALERT_EMAIL_URL = "smtp://127.0.0.1:25"
    settings.ALERT_EMAIL_MAX_PER_SECOND = 0
    transport = get_transport("smtp")
    assert isinstance(transport, SmtpTransport)
    with django_assert_num_queries(0):
        for _ in range(3):
            DatabaseThrottle("smpp", 0).wait()
            shared_throttle("http_sms", 0).wait()
            transport.throttle.wait()


@pytest.mark.django_db
def test_it_reserves_consecutive_blocks_from_the_latest_of_now_and_the_last_block() -> None:
    now = 1_800_000_000.0
    assert reserve_slots("smpp", now=now, span=0.25) == now + 0.25
    assert reserve_slots("smpp", now=now + 0.1, span=0.25) == now + 0.5
    assert reserve_slots("smpp", now=now + 10, span=0.25) == now + 10.25
    assert reserve_slots("http_sms", now=now, span=0.5) == now + 0.5  # one row per account
    assert RateSlot.objects.get(key="smpp").next_at == now + 10.25


@pytest.mark.django_db
def test_it_ignores_a_next_slot_set_by_a_clock_far_ahead() -> None:
    # A machine whose clock is an hour ahead must not stall every other worker for an hour.
    now = 1_800_000_000.0
    RateSlot.objects.create(key="smpp", next_at=now + 3600)
    assert reserve_slots("smpp", now=now, span=0.25) == now + 0.25


@pytest.mark.django_db
def test_it_paces_alert_emails_to_the_relay(settings: Any) -> None:
    rate, count = 20, 30

    class Arrivals(list[ReceivedEmail]):
        """What the loopback server received, with the wall-clock time of each arrival."""

        def __init__(self) -> None:
            super().__init__()
            self.times: list[float] = []

        def append(self, item: ReceivedEmail) -> None:
            self.times.append(time.time())
            super().append(item)

    with smtp_server() as server:
        server.received = arrivals = Arrivals()
        settings.ALERT_EMAIL_URL = server.url
        settings.ALERT_EMAIL_MAX_PER_SECOND = rate
        transport = get_transport("smtp")
        assert isinstance(transport, SmtpTransport)
        with transport:
            outcomes = transport.send_many(
                [
                    EmailOut(key=f"d-{i}", to=f"r{i}@example.org", subject="Alerte", text="Crue")
                    for i in range(count)
                ]
            )
    assert [outcome.error for outcome in outcomes] == [None] * count
    assert len(arrivals.times) == count
    _assert_paced(arrivals.times, rate)
