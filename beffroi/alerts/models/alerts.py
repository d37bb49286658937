"""Alerts, their templates, translations and the record of every state transition."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from beffroi.alerts.models.subscriptions import Topic


class CapFields(models.Model):
    """CAP <info> fields shared by templates and alerts."""

    class Category(models.TextChoices):
        MET = "Met", _("Weather")
        GEO = "Geo", _("Geophysical")
        SAFETY = "Safety", _("Public safety")
        SECURITY = "Security", _("Security")
        RESCUE = "Rescue", _("Rescue")
        FIRE = "Fire", _("Fire")
        HEALTH = "Health", _("Health")
        ENV = "Env", _("Environment")
        TRANSPORT = "Transport", _("Transport")
        INFRA = "Infra", _("Infrastructure and utilities")
        CBRNE = "CBRNE", _("Chemical, biological, radiological, nuclear")
        OTHER = "Other", _("Other")

    class Urgency(models.TextChoices):
        IMMEDIATE = "Immediate", _("Immediate — act now")
        EXPECTED = "Expected", _("Expected — act within the hour")
        FUTURE = "Future", _("Future — act in the near future")
        PAST = "Past", _("Past — no longer required")
        UNKNOWN = "Unknown", _("Unknown")

    class Severity(models.TextChoices):
        EXTREME = "Extreme", _("Extreme — threat to life")
        SEVERE = "Severe", _("Severe — significant threat")
        MODERATE = "Moderate", _("Moderate — possible threat")
        MINOR = "Minor", _("Minor — little or no threat")
        UNKNOWN = "Unknown", _("Unknown")

    class Certainty(models.TextChoices):
        OBSERVED = "Observed", _("Observed")
        LIKELY = "Likely", _("Likely (over 50%)")
        POSSIBLE = "Possible", _("Possible")
        UNLIKELY = "Unlikely", _("Unlikely")
        UNKNOWN = "Unknown", _("Unknown")

    topic = models.CharField(_("risk"), max_length=20, choices=Topic.choices)
    category = models.CharField(
        _("CAP category"), max_length=10, choices=Category.choices, default=Category.SAFETY
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.EXPECTED
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MODERATE
    )
    certainty = models.CharField(
        _("certainty"), max_length=10, choices=Certainty.choices, default=Certainty.LIKELY
    )
    headline = models.CharField(_("headline"), max_length=160)
    description = models.TextField(_("description"), blank=True)
    instruction = models.TextField(_("instructions"), blank=True)
    sms_text = models.TextField(_("SMS text"), blank=True)
    email_subject = models.CharField(_("e-mail subject"), max_length=200, blank=True)
    email_body = models.TextField(_("e-mail text"), blank=True)

    class Meta:
        abstract = True


class AlertTemplate(CapFields):
    """A message prepared in advance for a PCS scenario, ready to be filled in a crisis."""

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="alert_templates"
    )
    name = models.CharField(_("name"), max_length=200)
    pcs_scenario = models.CharField(_("PCS scenario"), max_length=200, blank=True)
    default_zones = models.ManyToManyField("territory.Zone", blank=True, related_name="+")
    default_channels: models.JSONField[list[str]] = models.JSONField(default=list)

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert template")
        verbose_name_plural = _("alert templates")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="alert_template_name")
        ]

    def __str__(self) -> str:
        return self.name


class Alert(CapFields):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Pending approval")
        APPROVED = "approved", _("Approved")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    class CapStatus(models.TextChoices):
        ACTUAL = "Actual", _("Real alert")
        EXERCISE = "Exercise", _("Exercise")
        TEST = "Test", _("Technical test")

    class MsgType(models.TextChoices):
        ALERT = "Alert", _("Alert")
        UPDATE = "Update", _("Update")
        CANCEL = "Cancel", _("Cancellation")

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="alerts"
    )
    identifier = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    cap_status = models.CharField(
        _("kind"), max_length=10, choices=CapStatus.choices, default=CapStatus.ACTUAL
    )
    msg_type = models.CharField(max_length=10, choices=MsgType.choices, default=MsgType.ALERT)
    references = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups"
    )
    template = models.ForeignKey(
        AlertTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    onset = models.DateTimeField(_("start"), null=True, blank=True)
    expires = models.DateTimeField(_("end"), null=True, blank=True)
    is_public = models.BooleanField(_("show on the public alerts page"), default=True)
    # Target: union of zones (a drawn shape is saved as a custom zone first).
    whole_territory = models.BooleanField(_("whole territory"), default=False)
    zones = models.ManyToManyField("territory.Zone", blank=True, related_name="alerts")
    channels: models.JSONField[list[str]] = models.JSONField(_("channels"), default=list)
    sms_budget_segments = models.PositiveSmallIntegerField(_("SMS budget (parts)"), default=2)
    include_vulnerable = models.BooleanField(
        _("list registered vulnerable persons in the target for the CCAS"), default=False
    )
    single_approval = models.BooleanField(_("emergency single-approver mode"), default=False)
    single_approval_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="alerts_created"
    )
    # Everyone who wrote the content (created, edited or submitted it): none of them may
    # approve it, or one person alone could send a text to the whole commune. Kept on the alert
    # rather than derived from the audit trail, which is purged after its retention period.
    contributors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="alerts_contributed"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts_approved",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)  # the CAP <sent>
    finished_at = models.DateTimeField(null=True, blank=True)
    # Fan-out (one Delivery per recipient × channel), written by a worker: its last sign of
    # life, and its end. Until the end is stamped the alert cannot be "sent", however many
    # send tasks already finished; a fan-out silent for the claim timeout is restarted.
    fanout_heartbeat_at = models.DateTimeField(null=True, blank=True)
    fanout_by = models.CharField(max_length=64, blank=True, default="")  # worker running it
    fanout_done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return self.headline


class AlertTranslation(models.Model):
    """Another language version of an alert's texts (CAP: one <info> per language)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=5, choices=[("fr", "Français"), ("en", "English")])
    headline = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    instruction = models.TextField(blank=True)
    sms_text = models.TextField(blank=True)
    email_subject = models.CharField(max_length=200, blank=True)
    email_body = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "language"], name="alert_translation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.headline}"


class AlertTransition(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"
