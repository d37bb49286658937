"""``beffroi participation_digests``: e-mail the participation digests that are due (daily
ones at PARTICIPATION_DIGEST_HOUR, weekly ones on PARTICIPATION_DIGEST_WEEKDAY at that hour)
and retry immediate notification e-mails left unsent. Run it every hour (cron or a systemd
timer); running it more often, or twice, sends nothing twice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from beffroi.participation.notifications.services import notifications_digests_send


class Command(BaseCommand):
    help = "Send the participation notification digests that are due."

    def handle(self, *args: Any, **options: Any) -> None:
        count = notifications_digests_send()
        self.stdout.write(f"Participation digests sent: {count}.")
