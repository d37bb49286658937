"""``beffroi participation_meeting_reminders``: remind the residents registered for a meeting
the day before. Idempotent (``Meeting.reminders_sent_at``, claimed by a conditional update):
run it from cron or a timer every hour, or at least once a day in the morning; each meeting's
reminder goes out once however often it runs, and two runs at once are safe. The same work is
the task ``beffroi.participation.meetings.services.send_meeting_reminders``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from beffroi.participation.meetings.services import meeting_reminders_send


class Command(BaseCommand):
    help = "Notify the confirmed registrants of meetings taking place tomorrow (once each)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = meeting_reminders_send()
        self.stdout.write(f"Meetings reminded: {count}.")
