"""Realisations: the winning projects of a participatory budget followed until delivery.

A realisation is born from a project of a budget's official outcome (or created by hand by an
agent for a project the commune funds besides): one per project, held by the database, so
that running the creation twice, or two agents clicking at once, never doubles a project.
Its dated milestones tell residents what happened (with photos, re-encoded like every upload
of participation); the people who followed the original proposal follow the realisation
from its creation and are told of each milestone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Realisation(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("realisation", "Planned")
        STUDY = "study", pgettext_lazy("realisation", "In study")
        WORKS = "works", pgettext_lazy("realisation", "Works in progress")
        DELIVERED = "delivered", pgettext_lazy("realisation", "Delivered")
        ABANDONED = "abandoned", pgettext_lazy("realisation", "Abandoned")

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="realisations"
    )
    budget = models.ForeignKey(
        "participation.Budget", on_delete=models.CASCADE, related_name="realisations"
    )
    project = models.ForeignKey(
        "participation.BudgetProject", on_delete=models.CASCADE, related_name="realisations"
    )
    # The proposal the project came from, if any (its followers follow the realisation).
    proposal = models.ForeignKey(
        "participation.Proposal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="realisations",
    )
    title = models.CharField(_("title"), max_length=300)
    # Plain text, shown escaped with its line breaks.
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    abandon_reason = models.TextField(_("reason for abandoning"), blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    service = models.CharField(_("service in charge"), max_length=200, blank=True)
    budget_planned = models.DecimalField(_("planned budget"), max_digits=14, decimal_places=2)
    budget_spent = models.DecimalField(
        _("amount spent"), max_digits=14, decimal_places=2, default=0
    )
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    zones = models.ManyToManyField(
        "territory.Zone", blank=True, related_name="realisations", verbose_name=_("zones")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    delivered_at = models.DateField(_("delivered on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "title", "pk"]
        verbose_name = _("realisation")
        verbose_name_plural = _("realisations")
        constraints = [
            # One realisation per funded project, whatever the race or the repeated click.
            models.UniqueConstraint(fields=["project"], name="realisation_one_per_project"),
            models.CheckConstraint(
                condition=models.Q(progress__gte=0, progress__lte=100),
                name="realisation_progress_percent",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="abandoned") | ~models.Q(abandon_reason=""),
                name="realisation_abandoned_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="delivered") | models.Q(delivered_at__isnull=False),
                name="realisation_delivered_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(budget_planned__gte=0, budget_spent__gte=0),
                name="realisation_amounts_positive",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "year"], name="realisation_by_year")]

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    """A dated step of a realisation, told to its followers when added."""

    realisation = models.ForeignKey(
        Realisation, on_delete=models.CASCADE, related_name="milestones"
    )
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    # Plain text, shown escaped with its line breaks.
    text = models.TextField(_("text"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["realisation", "date", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return f"{self.date}: {self.title}"


class MilestonePhoto(models.Model):
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="photos")
    # Re-encoded from its pixels (participation/files.py): no EXIF, no payload.
    file = models.FileField(upload_to="participation/realisations/")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    # Given by the agent; the photo's text alternative.
    alt_text = models.CharField(_("photo description"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["milestone", "pk"]

    def __str__(self) -> str:
        return self.alt_text


class RealisationFollow(models.Model):
    """A resident follows a realisation: each new milestone is notified."""

    realisation = models.ForeignKey(Realisation, on_delete=models.CASCADE, related_name="follows")
    participant = models.ForeignKey(
        "participation.Participant", on_delete=models.CASCADE, related_name="realisation_follows"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["realisation", "participant"], name="realisation_follow_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} → {self.realisation_id}"


class Evaluation(models.Model):
    """Residents' evaluation of a delivered realisation.

    Opened when the realisation is delivered (or by an agent): a questionnaire of the
    participation core (a satisfaction scale, how often it is used, a free comment; agents
    may add questions with the questionnaire builder), answered until ``closes_at`` by any
    resident; the people who voted for the project and the realisation's followers are
    invited. Agents then publish a final assessment."""

    realisation = models.OneToOneField(
        Realisation, on_delete=models.CASCADE, related_name="evaluation"
    )
    questionnaire = models.OneToOneField(
        "participation.Questionnaire", on_delete=models.CASCADE, related_name="evaluation"
    )
    # The scale question whose mean is the realisation's satisfaction (reports, lists).
    satisfaction = models.ForeignKey(
        "participation.Question",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    opens_at = models.DateTimeField(_("open from"))
    closes_at = models.DateTimeField(_("open until"))
    invited_at = models.DateTimeField(null=True, blank=True)
    invited = models.PositiveIntegerField(default=0)
    # Sanitised HTML (participation.richtext), shown once published.
    assessment = models.TextField(_("final assessment"), blank=True)
    assessment_published_at = models.DateTimeField(null=True, blank=True)
    assessment_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="evaluation_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.realisation_id}: {self.questionnaire_id}"
