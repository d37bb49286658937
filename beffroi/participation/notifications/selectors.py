"""Reads of notifications: a person's list, their unread count, their settings."""

from __future__ import annotations

from django.db.models import QuerySet

from beffroi.participation.models import Notification, NotificationSettings, Participant


def notifications_of(*, participant: Participant) -> QuerySet[Notification]:
    """Newest first (the model's ordering), tie broken by id for stable pages."""
    return Notification.objects.filter(recipient=participant).order_by("-created_at", "-pk")


def unread_count(*, participant: Participant) -> int:
    return Notification.objects.filter(recipient=participant, read_at__isnull=True).count()


def settings_or_default(*, participant: Participant) -> NotificationSettings:
    """The person's settings, or the defaults (unsaved) when they never chose."""
    row = NotificationSettings.objects.filter(participant=participant).first()
    return row if row is not None else NotificationSettings(participant=participant)


def safe_path(url: str) -> str:
    """A notification's link when it is a path of this site, else "" (never another site,
    never ``javascript:``)."""
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return ""
