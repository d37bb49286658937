"""Reports by residents and the moderators' decisions (each also in the audit trail)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Report(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam or advertising")
        OFFENSIVE = "offensive", _("Insulting or hateful")
        PERSONAL = "personal", _("Personal data of someone")
        OFF_TOPIC = "off_topic", _("Off topic")
        OTHER = "other", _("Other")

    class Decision(models.TextChoices):
        PENDING = "", _("To review")
        HIDDEN = "hidden", _("Content hidden")
        KEPT = "kept", _("Content kept")

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="participation_reports"
    )
    proposal = models.ForeignKey(
        "participation.Proposal",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reports",
    )
    comment = models.ForeignKey(
        "participation.Comment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reports",
    )
    reporter = models.ForeignKey(
        "participation.Participant", on_delete=models.CASCADE, related_name="reports"
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    details = models.CharField(_("details"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(proposal__isnull=False, comment__isnull=True)
                    | models.Q(proposal__isnull=True, comment__isnull=False)
                ),
                name="report_one_subject",
            ),
            # One report per person and content: N reports hide only if N people report.
            models.UniqueConstraint(
                fields=["reporter", "proposal"],
                condition=models.Q(proposal__isnull=False),
                name="report_proposal_unique",
            ),
            models.UniqueConstraint(
                fields=["reporter", "comment"],
                condition=models.Q(comment__isnull=False),
                name="report_comment_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} ({self.proposal_id or self.comment_id})"
