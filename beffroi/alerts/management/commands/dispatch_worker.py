"""``beffroi dispatch_worker``: the task worker of the "alerts" queue, with its sweeper and
every domain's periodic jobs (``beffroi.core.periodic``).

It registers a heartbeat (``beffroi.core.workers``) that tags everything it claims, re-queues
at start the claims of workers that are gone (a worker that was killed comes back and at once
finishes its predecessor's work) and stale claims, sweeps again every DISPATCH_SWEEP_SECONDS,
then runs django-tasks-db's ``db_worker`` on the "alerts" queue.
"""

from __future__ import annotations

import logging
import threading
from argparse import ArgumentParser
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from beffroi.alerts.dispatch.services import deliveries_requeue_stale, early_receipts_apply
from beffroi.core.periodic import periodic_jobs
from beffroi.core.workers import worker_beat, worker_register, worker_unregister

logger = logging.getLogger(__name__)


def _sweep() -> None:
    deliveries_requeue_stale()
    # Receipts kept while the database was busy, or that outran their "sent".
    early_receipts_apply()


def _forever(stop: threading.Event, every: float, job: Callable[[], object]) -> None:
    """``job`` every ``every`` seconds until ``stop``. A failure (a locked database, a lost
    connection) is logged and the next round tries again."""
    while not stop.wait(every):
        try:
            job()
        except Exception:
            logger.exception("%s failed", job.__name__)
        finally:
            close_old_connections()


class Command(BaseCommand):
    help = "Run the alerts task worker, re-queuing stale deliveries at start and periodically."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--queue-name", default="alerts")
        parser.add_argument("--interval", type=float, default=0.5)
        parser.add_argument("--worker-id", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = worker_register(queues=options["queue_name"], worker_id=options["worker_id"])
        count = deliveries_requeue_stale()
        self.stdout.write(f"Worker {worker_id}: deliveries re-queued at start: {count}.")
        stop = threading.Event()
        # Every domain's periodic jobs (phase notices, meeting reminders, digests…) too.
        for job, every, name in (
            (_sweep, settings.DISPATCH_SWEEP_SECONDS, "dispatch-sweeper"),
            (worker_beat, settings.WORKER_HEARTBEAT_SECONDS, "worker-heartbeat"),
            *((p.call, p.every_seconds, p.name) for p in periodic_jobs()),
        ):
            threading.Thread(
                target=_forever, args=(stop, float(every), job), name=name, daemon=True
            ).start()
        worker_options: dict[str, Any] = {
            "queue_name": options["queue_name"],
            "interval": options["interval"],
            "startup_delay": False,
            "reload": False,
        }
        worker_options["worker_id"] = worker_id
        try:
            call_command("db_worker", **worker_options)
        finally:
            stop.set()
            worker_unregister()
