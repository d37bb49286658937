"""A worker that is gone gives its claims back at once, not after the claim timeout.

Unit tests of the sweep with recorded heartbeats, then the story with real processes: a
``beffroi dispatch_worker`` killed with ``kill -9`` in the middle of an alert, another started
at once, with the 300 s claim timeout left as it is. The new worker finishes in seconds, and
what went out twice is at most one group of recorded outcomes (DISPATCH_RECORD_EVERY).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from beffroi.alerts.dispatch.services import (
    alert_dispatch,
    deliveries_claim,
    deliveries_requeue_stale,
)
from beffroi.alerts.models import Alert, Delivery
from beffroi.alerts.tests.factories import (
    RunOnCommit,
    email,
    gateways,
    make_alert,
    make_subscribers,
    number,
    on_commit,
)
from beffroi.core import workers
from beffroi.core.models import WorkerHeartbeat
from beffroi.core.testing import count, shared_database, spawn_worker, worker_env
from beffroi.messaging.testing import SmscServer, SmtpServer, smsc_server, smtp_server
from beffroi.testing import Cast, make_cast

__all__ = ["gateways", "on_commit"]


def _gone_worker(worker_id: str) -> None:
    """The heartbeat of a worker on this machine whose process has exited."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id=worker_id,
        machine=workers.this_machine(),
        pid=process.pid,
        started_at=now,
        beat_at=now,
    )


def _live_worker(worker_id: str) -> None:
    """The heartbeat of a worker on another machine that beat a moment ago."""
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, machine="elsewhere", pid=1, started_at=now, beat_at=now
    )


@pytest.mark.django_db
def test_the_claims_of_a_gone_worker_are_sent_again_at_once(
    cast: Cast, gateways: tuple[SmtpServer, SmscServer], on_commit: RunOnCommit
) -> None:
    smtp, _smsc = gateways
    make_subscribers(cast.org, 3, channels=("email",))
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENDING)
    rows = [
        Delivery.objects.create(alert=alert, subscriber=s, channel="email", target=s.email)
        for s in cast.org.subscribers.order_by("pk")
    ]
    _gone_worker("gone")
    _live_worker("alive")
    for row, worker_id in zip(rows, ("gone", "alive", ""), strict=True):
        workers._current = worker_id
        try:
            assert deliveries_claim(delivery_ids=[row.pk]) == [row.pk]  # claimed just now
        finally:
            workers._current = ""
    assert set(Delivery.objects.values_list("claimed_by", flat=True)) == {"gone", "alive", ""}

    with on_commit():
        deliveries_requeue_stale()

    assert [m.rcpt_tos[0] for m in smtp.received] == [rows[0].target]
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses == {rows[0].pk: "sent", rows[1].pk: "sending", rows[2].pk: "sending"}
    # The gone worker's heartbeat is dropped once its claims are back.
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["alive"]


@pytest.mark.django_db
def test_a_fan_out_whose_worker_is_gone_is_restarted_at_once(
    cast: Cast, gateways: tuple[SmtpServer, SmscServer], on_commit: RunOnCommit
) -> None:
    make_subscribers(cast.org, 2)
    gone = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENDING)
    alive = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENDING)
    _gone_worker("gone")
    _live_worker("alive")
    now = timezone.now()
    Alert.objects.filter(pk=gone.pk).update(
        fanout_done_at=None, fanout_heartbeat_at=now, fanout_by="gone"
    )
    Alert.objects.filter(pk=alive.pk).update(
        fanout_done_at=None, fanout_heartbeat_at=now, fanout_by="alive"
    )

    with on_commit():
        deliveries_requeue_stale()

    assert Delivery.objects.filter(alert=gone).count() == 4
    assert not Delivery.objects.filter(alert=alive).exists()
    gone.refresh_from_db()
    assert gone.status == Alert.Status.SENT


SUBSCRIBERS = 600  # × (e-mail + SMS): 1,200 messages
BATCH = 300  # deliveries per send task
RECORD_EVERY = 40  # outcomes written after every 40 messages: what a kill may resend


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_started_after_a_kill_finishes_at_once_resending_one_group(
    tmp_path: Path, settings: Any
) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }
    settings.DISPATCH_BATCH_SIZE = BATCH
    cast = make_cast()
    make_subscribers(cast.org, SUBSCRIBERS)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.APPROVED)
    assert alert_dispatch(alert=alert) == 2 * SUBSCRIBERS
    db, database_url = shared_database(tmp_path)
    handled = "SELECT COUNT(*) FROM alerts_delivery WHERE status NOT IN ('pending', 'sending')"
    finished = f"SELECT COUNT(*) FROM alerts_alert WHERE id = {alert.pk} AND status = 'sent'"
    sending = "SELECT COUNT(*) FROM alerts_delivery WHERE status = 'sending'"
    with smtp_server() as smtp, smsc_server() as smsc:
        env = worker_env(
            database_url=database_url,
            data_dir=tmp_path,
            smtp_url=smtp.url,
            smpp_url=smsc.url(),
            DISPATCH_BATCH_SIZE=BATCH,
            DISPATCH_RECORD_EVERY=RECORD_EVERY,
            # The defaults: only the heartbeat can tell the new worker to take over at once.
            DISPATCH_CLAIM_TIMEOUT_SECONDS=300,
            DISPATCH_SWEEP_SECONDS=30,
        )
        worker = spawn_worker(env)
        deadline = time.monotonic() + 60
        # Killed at 40 %, in the middle of a batch (rows claimed, not all recorded).
        while time.monotonic() < deadline and (
            count(db, handled) < 2 * SUBSCRIBERS * 0.4 or count(db, sending) == 0
        ):
            time.sleep(0.01)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        killed_at = time.monotonic()
        in_flight = count(db, sending)
        assert in_flight > 0, "killed between two batches: nothing to take over"

        worker = spawn_worker(env)
        try:
            deadline = time.monotonic() + 60
            while count(db, finished) == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
        took = time.monotonic() - killed_at
        emails = Counter(m.rcpt_tos[0] for m in smtp.received)
        sms = Counter("+" + sm.destination for sm in smsc.accepted)

    context = f"in flight at the kill={in_flight}, finished {took:.1f} s after it"
    assert count(db, finished) == 1, context
    assert set(emails) == {email(i) for i in range(SUBSCRIBERS)}, context
    assert set(sms) == {number(i) for i in range(SUBSCRIBERS)}, context
    duplicates = sum(emails.values()) + sum(sms.values()) - 2 * SUBSCRIBERS
    assert duplicates <= RECORD_EVERY, context
    # Far below the 300 s claim timeout: the new worker saw its predecessor was gone.
    assert took < 60, context
