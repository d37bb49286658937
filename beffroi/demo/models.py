"""What the demo's loopback gateways received: the messages residents would have got."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """One e-mail or SMS accepted by a demo gateway (``beffroi serve`` with DEMO_GATEWAYS).

    Nothing leaves the machine in the demo: this table is where a tester sees the end of an
    alert's story. ``organisation`` is the commune the recipient belongs to, when it can be
    told (the outbox page shows each commune its own messages).
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    organisation = models.ForeignKey(
        "territory.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    sender = models.CharField(max_length=254, blank=True)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=500, blank=True)
    headers = models.TextField(blank=True)
    body = models.TextField(blank=True)
    # A resident's SMS reply, typed on the outbox's phone (``sender`` is the resident).
    inbound = models.BooleanField(default=False)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.channel} → {self.to}"
