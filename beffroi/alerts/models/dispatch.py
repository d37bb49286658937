"""One delivery per recipient × channel: what dispatch sends and tracks."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from beffroi.alerts.models.alerts import Alert
from beffroi.alerts.models.subscriptions import Channel, Subscriber


class Delivery(models.Model):
    """One message of one alert to one recipient on one channel.

    Indexes are few on purpose: every change of status rewrites the row and adds an entry to
    each index of the table (PostgreSQL cannot update a row "in place", HOT, when an indexed
    column changes, and the status is indexed), and a delivery changes status two or three
    times within seconds of its creation (pending → sending → sent). The statuses the
    sweeps look for (``deliveries_requeue_stale``) and the provider ids receipts look for
    are partial indexes: a row is in them only while it is claimed, waiting, or sent — not
    9 index entries per write as with one index per column (Django adds a second,
    ``varchar_pattern_ops``, index for each indexed text column on PostgreSQL), but 5.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Accepted by the gateway")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    # No index of its own: the (alert, status, channel) index and the unique constraint
    # both start with the alert.
    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.SET_NULL, null=True, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # Snapshot of the address or number at send time (the subscriber may change it later).
    target = models.CharField(max_length=254)
    language = models.CharField(max_length=5, default="fr")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    permanent_failure = models.BooleanField(default=False)
    provider_id = models.CharField(max_length=128, blank=True)
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
        indexes = [
            models.Index(fields=["alert", "status", "channel"]),
            # Claims of dead workers and stale claims (``deliveries_requeue_stale``).
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status="sending"),
                name="delivery_sending",
            ),
            # Pending rows whose task may have been lost (``deliveries_requeue_stale``).
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="delivery_pending",
            ),
            # Receipts (``delivery_receipt_apply``): only rows a gateway accepted have a
            # provider id. Queries repeat the condition word for word (SQLite uses a
            # partial index only for a query stating its condition).
            models.Index(
                fields=["provider_id"],
                condition=~models.Q(provider_id=""),
                name="delivery_provider_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.target} ({self.status})"
