"""Notifications in the app and by e-mail, at once or in a daily or weekly digest."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


def _token() -> str:
    return secrets.token_urlsafe(32)


class Notification(models.Model):
    class Kind(models.TextChoices):
        COMMENT = "comment", _("New comment")
        REPLY = "reply", _("Reply to your comment")
        ANSWER = "answer", _("Official answer")
        PHASE = "phase", _("Phase change")
        THRESHOLD = "threshold", _("Support threshold reached")
        MEETING = "meeting", _("Meeting")
        MODERATION = "moderation", _("Moderation")
        REALISATION = "realisation", _("News of a realisation")
        EVALUATION = "evaluation", _("Invitation to evaluate a realisation")

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="notifications"
    )
    recipient = models.ForeignKey(
        "participation.Participant", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # Plain text, rendered escaped; ``url`` a path of this site.
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set once the notification left by e-mail (alone or in a digest).
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["emailed_at", "recipient"], name="notification_to_email"),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationSettings(models.Model):
    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", _("At once")
        DAILY = "daily", _("Daily digest")
        WEEKLY = "weekly", _("Weekly digest")
        NEVER = "never", _("No e-mail")

    participant = models.OneToOneField(
        "participation.Participant", on_delete=models.CASCADE, related_name="notification_settings"
    )
    email_frequency = models.CharField(
        _("e-mails"), max_length=10, choices=Frequency.choices, default=Frequency.DAILY
    )
    # The one-click unsubscribe link (RFC 8058) carries this token: no login needed.
    unsubscribe_token = models.CharField(max_length=64, unique=True, default=_token)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.participant_id}: {self.email_frequency}"
