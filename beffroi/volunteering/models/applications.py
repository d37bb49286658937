"""Applications of volunteers to slots, the messages and testimonials around them.

An application is accepted only under the slot's row lock, which moves
``Slot.accepted_count`` in the same transaction: the last place goes to one volunteer, the
other waits on the list (state ``waitlisted``, ordered by ``created_at``) and is promoted when
a place frees up.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Application(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("application", "Awaiting an answer")
        ACCEPTED = "accepted", pgettext_lazy("application", "Accepted")
        WAITLISTED = "waitlisted", pgettext_lazy("application", "On the waiting list")
        DECLINED = "declined", pgettext_lazy("application", "Declined")
        CANCELLED = "cancelled", pgettext_lazy("application", "Cancelled")

    class Attendance(models.TextChoices):
        UNKNOWN = "unknown", pgettext_lazy("attendance", "Not recorded")
        PRESENT = "present", pgettext_lazy("attendance", "Present")
        ABSENT = "absent", pgettext_lazy("attendance", "Absent")

    class Source(models.TextChoices):
        WEB = "web", pgettext_lazy("application source", "Applied online")
        CALLOUT = "callout", pgettext_lazy("application source", "Answered a call-out")
        AGENT = "agent", pgettext_lazy("application source", "Registered by an agent")

    class CancelledBy(models.TextChoices):
        VOLUNTEER = "volunteer", pgettext_lazy("cancelled by", "The volunteer")
        ORGANISER = "organiser", pgettext_lazy("cancelled by", "The organiser")

    slot = models.ForeignKey(
        "volunteering.Slot", on_delete=models.CASCADE, related_name="applications"
    )
    profile = models.ForeignKey(
        "volunteering.VolunteerProfile", on_delete=models.CASCADE, related_name="applications"
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PENDING
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.WEB)
    message = models.TextField(_("message to the organiser"), blank=True)
    decline_reason = models.TextField(_("reason"), blank=True)
    cancelled_by = models.CharField(max_length=20, choices=CancelledBy.choices, blank=True)
    cancel_reason = models.TextField(_("reason of the cancellation"), blank=True)
    attendance = models.CharField(
        _("attendance"), max_length=20, choices=Attendance.choices, default=Attendance.UNKNOWN
    )
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2, null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ("created_at", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "profile"], name="volunteering_application_unique"
            )
        ]
        indexes = [
            models.Index(fields=["slot", "state", "created_at"]),
            models.Index(fields=["profile", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.profile_id} → slot {self.slot_id} ({self.state})"


class ApplicationMessage(models.Model):
    """A message between the organiser and the volunteer, about one application."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    from_organiser = models.BooleanField(default=False)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.application_id} {self.created_at:%Y-%m-%d}"


class Testimonial(models.Model):
    """What a volunteer says of a mission once done (or the organiser of the volunteer's
    help); shown on the mission's page once the organiser publishes it."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="testimonials"
    )
    from_organiser = models.BooleanField(default=False)
    body = models.TextField(_("testimonial"))
    published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "from_organiser"], name="volunteering_testimonial_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} ({'organiser' if self.from_organiser else 'volunteer'})"
