"""Workshops and meetings: in person, online or hybrid, with registrations, a waiting list,
minutes and attendance."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Meeting(models.Model):
    class Kind(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("In person and online")

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="meetings"
    )
    process = models.ForeignKey(
        "participation.Process", on_delete=models.CASCADE, related_name="meetings"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(
        _("format"), max_length=10, choices=Kind.choices, default=Kind.IN_PERSON
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place_name = models.CharField(_("place"), max_length=200, blank=True)
    address_text = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    online_url = models.URLField(_("online meeting link"), blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    accessibility = models.TextField(_("accessibility"), blank=True)
    # None: no registration limit.
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    registration_open = models.BooleanField(_("registration open"), default=True)
    # Sanitised HTML, published after the meeting.
    minutes = models.TextField(_("minutes"), blank=True)
    minutes_published_at = models.DateTimeField(null=True, blank=True)
    # People present, counted on the sign-in sheet (registered or not).
    attendance = models.PositiveIntegerField(_("attendance"), null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminders_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="meeting_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Registration(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", pgettext_lazy("registration", "Confirmed")
        WAITING = "waiting", _("On the waiting list")
        CANCELLED = "cancelled", pgettext_lazy("registration", "Cancelled")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="registrations")
    participant = models.ForeignKey(
        "participation.Participant", on_delete=models.CASCADE, related_name="registrations"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    attended = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["meeting", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "participant"], name="registration_unique")
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}/{self.participant_id}: {self.status}"
