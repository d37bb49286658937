"""Crisis call-outs and the commune's civil-protection reserve.

A call-out contacts the best-matched consenting volunteers of an urgent mission, wave after
wave, until its slots are filled. Each contact carries a one-tap token for "yes" / "no" by
link; an SMS reply "OUI" / "NON" from the contact's number answers the latest open call-out
that reached it. Reservists (``ReserveMember``) are reached first.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CallOut(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", pgettext_lazy("call-out", "Running")
        FILLED = "filled", pgettext_lazy("call-out", "Filled")
        STOPPED = "stopped", pgettext_lazy("call-out", "Stopped")
        EXHAUSTED = "exhausted", pgettext_lazy("call-out", "Nobody left to call")

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="callouts"
    )
    mission = models.ForeignKey(
        "volunteering.Mission", on_delete=models.CASCADE, related_name="callouts"
    )
    # The alert in force that prompted it, when it came from the alert's page.
    alert_id_ref = models.PositiveIntegerField(null=True, blank=True)
    message = models.TextField(_("message"))
    channels = models.JSONField(default=list)
    wave_size = models.PositiveSmallIntegerField(_("volunteers per wave"), default=20)
    wave_minutes = models.PositiveSmallIntegerField(_("minutes between waves"), default=15)
    reserve_first = models.BooleanField(_("reach the reserve first"), default=True)
    # An association's call-out: its SMS count against the organisation's daily budget and
    # it reaches at most ``max_contacts`` volunteers. The crisis cell's, like an alert, is
    # never held back by the budget (``sms_counted`` false, no cap).
    sms_counted = models.BooleanField(default=False)
    max_contacts = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    waves_sent = models.PositiveSmallIntegerField(default=0)
    next_wave_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("call-out")
        verbose_name_plural = _("call-outs")
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["status", "next_wave_at"])]

    def __str__(self) -> str:
        return f"call-out {self.pk} for mission {self.mission_id}"


class CallOutContact(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("contact", "To send")
        SENT = "sent", pgettext_lazy("contact", "Sent, no answer yet")
        FAILED = "failed", pgettext_lazy("contact", "Could not be reached")
        YES = "yes", pgettext_lazy("contact", "Confirmed")
        WAITLISTED = "waitlisted", pgettext_lazy("contact", "Yes, but too late: waiting list")
        NO = "no", pgettext_lazy("contact", "Declined")

    callout = models.ForeignKey(CallOut, on_delete=models.CASCADE, related_name="contacts")
    profile = models.ForeignKey(
        "volunteering.VolunteerProfile", on_delete=models.CASCADE, related_name="callout_contacts"
    )
    wave = models.PositiveSmallIntegerField(default=1)
    reservist = models.BooleanField(default=False)
    token = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=20, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    error = models.CharField(max_length=300, blank=True)
    # Why the matching chose this volunteer ("2.1 km; free Saturday morning; first aid").
    reasons = models.JSONField(default=list, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    application = models.ForeignKey(
        "volunteering.Application",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ("wave", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["callout", "profile"], name="volunteering_callout_contact_unique"
            )
        ]
        indexes = [models.Index(fields=["callout", "state"])]

    def __str__(self) -> str:
        return f"{self.callout_id} → {self.profile_id} ({self.state})"


class ReserveMember(models.Model):
    """A reservist of the réserve communale de sécurité civile, enrolled by decision of the
    mayor for a stated period."""

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="reserve_members"
    )
    profile = models.ForeignKey(
        "volunteering.VolunteerProfile", on_delete=models.CASCADE, related_name="reserve"
    )
    decision_reference = models.CharField(_("mayor's decision (reference)"), max_length=120)
    decision_date = models.DateField(_("date of the decision"))
    engaged_from = models.DateField(_("engaged from"))
    engaged_until = models.DateField(_("engaged until"))
    mission_types = models.JSONField(_("mission types"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reservist")
        verbose_name_plural = _("reservists")
        ordering = ("profile__full_name", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "profile"], name="volunteering_reserve_unique"
            )
        ]

    def __str__(self) -> str:
        return f"reservist {self.profile_id}"


class TrainingSession(models.Model):
    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="reserve_trainings"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    place = models.CharField(_("place"), max_length=250, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-starts_at", "pk")

    def __str__(self) -> str:
        return self.title


class TrainingAttendance(models.Model):
    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendances"
    )
    member = models.ForeignKey(ReserveMember, on_delete=models.CASCADE, related_name="attendances")
    # Empty: invited, not yet recorded.
    present = models.BooleanField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "member"], name="volunteering_attendance_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.session_id} {self.member_id} {self.present}"
