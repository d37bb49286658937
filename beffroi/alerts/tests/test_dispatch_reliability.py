"""``kill -9`` of the task worker in the middle of a 2,000-recipient dispatch.

The workers are real subprocesses (``beffroi dispatch_worker``: django-tasks-db's
``db_worker`` on the "alerts" queue plus the stale-claim sweeper) sharing the database with
this test (a file copy of the SQLite test database, or the PostgreSQL test database itself);
the gateways are the loopback SMTP and SMPP servers. After the
kills and a restart, every recipient got every message at least once, and the duplicates
stay within what was in flight when each worker died (one batch per kill).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from beffroi.alerts.services.dispatch import alert_dispatch
from beffroi.alerts.testing_servers import smsc_server, smtp_server
from beffroi.alerts.tests.dispatch_factories import email, make_alert, make_subscribers, number
from beffroi.testing import make_cast

SUBSCRIBERS = 1_000  # × (e-mail + SMS): 2,000 recipients
BATCH = 50  # deliveries per send task: the in-flight window of a worker
KILLS = 3
BEFFROI = str(Path(sys.executable).with_name("beffroi"))

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _count(db: Path | None, sql: str) -> int:
    if db is None:  # PostgreSQL: the test's own (autocommit) connection sees the workers' rows
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return int(cursor.fetchone()[0])
    with sqlite3.connect(db, timeout=20) as conn:
        return int(conn.execute(sql).fetchone()[0])


def _shared_database(tmp_path: Path) -> tuple[Path | None, str]:
    """The database the workers use: (SQLite file or None, DATABASE_URL)."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
        return None, f"postgres://{auth}@{host}/{s['NAME']}"
    db = tmp_path / "beffroi.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(db)
    connection.connection.backup(target)  # type: ignore[union-attr]
    target.close()
    return db, f"sqlite:///{db}"


def _spawn(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [BEFFROI, "dispatch_worker", "--interval", "0.05"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_it_loses_nothing_when_workers_are_killed(tmp_path: Path, settings: Any) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }
    settings.DISPATCH_BATCH_SIZE = BATCH
    cast = make_cast()
    make_subscribers(cast.org, SUBSCRIBERS)
    alert = make_alert(cast.org, cast.alert_author)
    # The fan-out runs here (deliveries and their send tasks are rows), then the migrated
    # test database becomes the workers' file database.
    assert alert_dispatch(alert=alert) == 2 * SUBSCRIBERS
    assert DBTaskResult.objects.filter(queue_name="alerts").count() == 2 * SUBSCRIBERS // BATCH
    db, database_url = _shared_database(tmp_path)

    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    handled = "SELECT COUNT(*) FROM alerts_delivery WHERE status NOT IN ('pending', 'sending')"
    finished = f"SELECT COUNT(*) FROM alerts_alert WHERE id = {alert.pk} AND status = 'sent'"
    with smtp_server() as smtp, smsc_server() as smsc:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "BEFFROI_DATA_DIR": str(tmp_path),
            "TASKS_BACKEND": "database",
            "ALERT_EMAIL_URL": smtp.url,
            "SMPP_URL": smsc.url(),
            "SMPP_MAX_PER_SECOND": "0",
            "DISPATCH_BATCH_SIZE": str(BATCH),
            "DISPATCH_CLAIM_TIMEOUT_SECONDS": "8",
            "DISPATCH_SWEEP_SECONDS": "1",
            "DEBUG": "0",
        }
        started = time.monotonic()
        for _kill in range(KILLS):
            worker = _spawn(env)
            before = _count(db, handled)
            deadline = time.monotonic() + 30
            # Killed at a random moment once it is sending (not while Python starts).
            while _count(db, handled) == before and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.3))
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            print(f"killed at {time.monotonic() - started:.1f} s, {_count(db, handled)} handled")
        in_flight = _count(db, "SELECT COUNT(*) FROM alerts_delivery WHERE status = 'sending'")

        worker = _spawn(env)
        try:
            deadline = time.monotonic() + 120
            while _count(db, finished) == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
        print(f"finished at {time.monotonic() - started:.1f} s")
        emails = Counter(m.rcpt_tos[0] for m in smtp.received)
        sms = Counter("+" + sm.destination for sm in smsc.accepted)

    context = f"seed={seed} in flight at the last kill={in_flight}"
    assert _count(db, finished) == 1, context
    assert set(emails) == {email(i) for i in range(SUBSCRIBERS)}, context
    assert set(sms) == {number(i) for i in range(SUBSCRIBERS)}, context
    duplicates = sum(emails.values()) + sum(sms.values()) - 2 * SUBSCRIBERS
    assert duplicates <= KILLS * BATCH, context
    sent = "SELECT COUNT(*) FROM alerts_delivery WHERE status = 'sent'"
    assert _count(db, sent) == 2 * SUBSCRIBERS, context
