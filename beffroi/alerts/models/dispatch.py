"""One delivery per recipient × channel: what dispatch sends and tracks."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from beffroi.alerts.models.alerts import Alert
from beffroi.alerts.models.subscriptions import Channel, Subscriber


class Delivery(models.Model):
    """One message of one alert to one recipient on one channel."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Accepted by the gateway")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.SET_NULL, null=True, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # Snapshot of the address or number at send time (the subscriber may change it later).
    target = models.CharField(max_length=254)
    language = models.CharField(max_length=5, default="fr")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    permanent_failure = models.BooleanField(default=False)
    provider_id = models.CharField(max_length=128, blank=True, db_index=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The worker holding the claim (``beffroi.core.workers``): "" when claimed by a process
    # that is not a registered worker, whose claims only the timeout takes back.
    claimed_by = models.CharField(max_length=64, blank=True, db_default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "subscriber", "channel"], name="delivery_unique"
            )
        ]
        indexes = [models.Index(fields=["alert", "status", "channel"])]

    def __str__(self) -> str:
        return f"{self.channel} → {self.target} ({self.status})"
