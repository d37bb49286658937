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
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from beffroi.alerts.dispatch.services import alert_dispatch
from beffroi.alerts.models import Alert
from beffroi.alerts.tests.factories import email, make_alert, make_subscribers, number
from beffroi.core.testing import (
    count,
    shared_database,
    spawn_worker,
    worker_env,
)
from beffroi.messaging.testing import smsc_server, smtp_server
from beffroi.testing import make_cast

SUBSCRIBERS = 1_000  # × (e-mail + SMS): 2,000 recipients
BATCH = 50  # deliveries per send task: the in-flight window of a worker
KILLS = 3

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_it_loses_nothing_when_workers_are_killed(tmp_path: Path, settings: Any) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }
    settings.DISPATCH_BATCH_SIZE = BATCH
    cast = make_cast()
    make_subscribers(cast.org, SUBSCRIBERS)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.APPROVED)
    # The fan-out runs here (deliveries and their send tasks are rows), then the migrated
    # test database becomes the workers' file database.
    assert alert_dispatch(alert=alert) == 2 * SUBSCRIBERS
    assert DBTaskResult.objects.filter(queue_name="alerts").count() == 2 * SUBSCRIBERS // BATCH
    db, database_url = shared_database(tmp_path)

    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    handled = "SELECT COUNT(*) FROM alerts_delivery WHERE status NOT IN ('pending', 'sending')"
    finished = f"SELECT COUNT(*) FROM alerts_alert WHERE id = {alert.pk} AND status = 'sent'"
    with smtp_server() as smtp, smsc_server() as smsc:
        env = worker_env(
            database_url=database_url,
            data_dir=tmp_path,
            smtp_url=smtp.url,
            smpp_url=smsc.url(),
            DISPATCH_BATCH_SIZE=BATCH,
            DISPATCH_CLAIM_TIMEOUT_SECONDS=8,
            DISPATCH_SWEEP_SECONDS=1,
        )
        started = time.monotonic()
        for _kill in range(KILLS):
            worker = spawn_worker(env)
            before = count(db, handled)
            deadline = time.monotonic() + 30
            # Killed at a random moment once it is sending (not while Python starts).
            while count(db, handled) == before and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.3))
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            print(f"killed at {time.monotonic() - started:.1f} s, {count(db, handled)} handled")
        in_flight = count(db, "SELECT COUNT(*) FROM alerts_delivery WHERE status = 'sending'")

        worker = spawn_worker(env)
        try:
            deadline = time.monotonic() + 120
            while count(db, finished) == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
        print(f"finished at {time.monotonic() - started:.1f} s")
        emails = Counter(m.rcpt_tos[0] for m in smtp.received)
        sms = Counter("+" + sm.destination for sm in smsc.accepted)

    context = f"seed={seed} in flight at the last kill={in_flight}"
    assert count(db, finished) == 1, context
    assert set(emails) == {email(i) for i in range(SUBSCRIBERS)}, context
    assert set(sms) == {number(i) for i in range(SUBSCRIBERS)}, context
    duplicates = sum(emails.values()) + sum(sms.values()) - 2 * SUBSCRIBERS
    assert duplicates <= KILLS * BATCH, context
    sent = "SELECT COUNT(*) FROM alerts_delivery WHERE status = 'sent'"
    assert count(db, sent) == 2 * SUBSCRIBERS, context
