"""The audit trail: who did what to which sensitive object, when, from where.

Every domain writes to it (alert transitions, every read of the vulnerable persons registry,
role changes), so that one page answers "who did this?" after a crisis. Rows are only ever
added; nothing in Beffroi updates or deletes them except the
retention purge.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Stored instead of the e-mail of an erased account: neutral and language-free, translated
# where the trail is shown (``AuditEvent.actor_display``).
ERASED_ACTOR_LABEL = "[erased]"


class AuditEvent(models.Model):
    organisation = models.ForeignKey(
        "territory.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("organisation"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("actor"),
    )
    # Kept when the actor's account is erased, so the trail still says "an agent".
    actor_label = models.CharField(_("actor label"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    data: models.JSONField[Any] = models.JSONField(_("data"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    @property
    def actor_display(self) -> str:
        """The actor as shown in the trail: an erased account is named as such, translated."""
        if self.actor_label == ERASED_ACTOR_LABEL:
            return str(_("an erased account"))
        return self.actor_label


class RateCounter(models.Model):
    """How many times ``key`` was hit in the fixed window starting at ``window``.

    The atomic counter behind every rate limit that protects something costing money or
    reaching a person (API calls, token guesses, SMS sent outside alerts), when no Redis is
    configured: one ``INSERT … ON CONFLICT … DO UPDATE … RETURNING`` per hit, so that two
    requests at once can never both read the same count (what a cache's get-then-set did).
    """

    key = models.CharField(max_length=200)
    window = models.BigIntegerField()  # epoch seconds of the window's start
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="ratecounter_key_window")
        ]
        indexes = [models.Index(fields=["window"])]

    def __str__(self) -> str:
        return f"{self.key}@{self.window}: {self.count}"


class WorkerHeartbeat(models.Model):
    """A task worker that is running, or was: what it claims is tagged with ``worker_id``.

    A worker writes its row when it starts, refreshes ``beat_at`` every
    WORKER_HEARTBEAT_SECONDS and deletes it when it stops cleanly. A worker is *gone* when
    its process no longer exists on this machine (``machine`` equal to ours, ``pid`` dead or
    reused) or, on another machine, when it has not beaten for WORKER_HEARTBEAT_TIMEOUT_SECONDS:
    its claims are then taken back at once instead of after the claim timeout.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    queues = models.CharField(max_length=200, blank=True)
    # Host name and PID namespace: two containers on one host never take each other's
    # processes for their own.
    machine = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    # The process's start time as the kernel counts it (empty where /proc is missing): a PID
    # reused by another process after the worker died is not mistaken for it.
    process_start = models.CharField(max_length=40, blank=True)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.machine} pid {self.pid})"
