"""``beffroi requeue_stale``: send again what a dead worker had claimed, and overdue retries.

Run it from cron or a timer (``beffroi dispatch_worker`` also does it at start and every
DISPATCH_SWEEP_SECONDS).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from beffroi.alerts.dispatch.services import deliveries_requeue_stale


class Command(BaseCommand):
    help = "Re-queue deliveries claimed by a worker that stopped, and overdue retries."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--timeout",
            type=int,
            default=None,
            help="Seconds after which a claim is stale (default: DISPATCH_CLAIM_TIMEOUT_SECONDS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = deliveries_requeue_stale(timeout_seconds=options["timeout"])
        self.stdout.write(f"Deliveries re-queued: {count}.")
