"""``beffroi participation_phases``: tell residents which phases of the processes they follow
opened or closed since the last run. Idempotent: run it from cron or a timer every few
minutes (each notice goes out once however often it runs, and two runs at once are safe); the
same work is the task ``beffroi.participation.processes.services.phases_transitions_notify``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from beffroi.participation.processes.services import phases_notify_transitions


class Command(BaseCommand):
    help = "Notify followers and proposal authors of phases opened or closed since last run."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = phases_notify_transitions()
        self.stdout.write(
            f"Phases opened: {counts.opened}, closed: {counts.closed}, "
            f"over before any notice: {counts.skipped}; "
            f"notifications created: {counts.notifications}."
        )
