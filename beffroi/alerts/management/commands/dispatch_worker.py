"""``beffroi dispatch_worker``: the task worker of the "alerts" queue, with its sweeper.

It re-queues stale claims at start (a worker that was killed comes back and finishes its
predecessor's work) and every DISPATCH_SWEEP_SECONDS, then runs django-tasks-db's
``db_worker`` on the "alerts" queue. Extra options are passed on to ``db_worker``.
"""

from __future__ import annotations

import logging
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from beffroi.alerts.dispatch.services import deliveries_requeue_stale

logger = logging.getLogger(__name__)


def _sweep_forever(stop: threading.Event, every: float) -> None:
    while not stop.wait(every):
        try:
            deliveries_requeue_stale()
        except Exception:
            # A locked database or a lost connection: the next sweep tries again.
            logger.exception("Stale delivery sweep failed")
        finally:
            close_old_connections()


class Command(BaseCommand):
    help = "Run the alerts task worker, re-queuing stale deliveries at start and periodically."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--queue-name", default="alerts")
        parser.add_argument("--interval", type=float, default=0.5)
        parser.add_argument("--worker-id", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        count = deliveries_requeue_stale()
        self.stdout.write(f"Deliveries re-queued at start: {count}.")
        stop = threading.Event()
        threading.Thread(
            target=_sweep_forever,
            args=(stop, float(settings.DISPATCH_SWEEP_SECONDS)),
            name="dispatch-sweeper",
            daemon=True,
        ).start()
        worker_options: dict[str, Any] = {
            "queue_name": options["queue_name"],
            "interval": options["interval"],
            "startup_delay": False,
            "reload": False,
        }
        if options["worker_id"]:
            worker_options["worker_id"] = options["worker_id"]
        try:
            call_command("db_worker", **worker_options)
        finally:
            stop.set()
