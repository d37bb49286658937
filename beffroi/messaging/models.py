"""What the messaging layer keeps in the database: the shared sending rate per gateway."""

from __future__ import annotations

from django.db import models


class RateSlot(models.Model):
    """The next free sending slot of one gateway account, shared by every worker.

    One row per transport kind ("smpp", "http_sms", "smtp"), written only by
    ``beffroi.messaging.throttle`` with one atomic UPDATE per block of slots. The row's key
    is the gateway account, so every domain that sends shares the contracted rate.
    """

    key = models.CharField(max_length=40, unique=True)
    # Wall-clock epoch seconds (time.time()): workers on several machines compare it.
    next_at = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"{self.key}: {self.next_at}"
