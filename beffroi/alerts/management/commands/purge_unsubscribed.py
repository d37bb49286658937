"""``beffroi purge_unsubscribed``: erase the residents unsubscribed for longer than the
retention of their organisation (UNSUBSCRIBED_RETENTION_DAYS, or its own). Run it daily."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from beffroi.alerts.subscriptions.services import subscribers_purge_unsubscribed


class Command(BaseCommand):
    help = "Erase residents unsubscribed for longer than their organisation's retention."

    def handle(self, *args: Any, **options: Any) -> None:
        count = subscribers_purge_unsubscribed()
        self.stdout.write(f"Unsubscribed residents erased: {count}.")
