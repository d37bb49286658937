"""Participatory processes, their calendar of phases, categories and documents.

A process (a consultation, a call for ideas, a participatory budget, the co-construction of a
plan) runs through phases. Each phase has a type, and the type alone says what residents may
do while it is open (``PHASE_ACTIONS``): the permission rules in ``participation/access.py``
read it, no view decides by itself. A budget's ballot phase and a follow-up phase are phase
types like the others, so that the next domains slot in without touching the rules.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Action(models.TextChoices):
    """What a resident may do in a phase."""

    PROPOSE = "propose", _("Propose")
    COMMENT = "comment", _("Comment")
    SUPPORT = "support", _("Support proposals")
    OPINION = "opinion", _("Give an opinion")
    ANSWER = "answer", _("Answer a questionnaire")
    REGISTER_MEETING = "register_meeting", _("Register for a meeting")
    VOTE = "vote", _("Vote")
    EVALUATE = "evaluate", _("Evaluate")


class PhaseType(models.TextChoices):
    INFORMATION = "information", _("Information")
    PROPOSALS = "proposals", _("Proposals")
    DELIBERATION = "deliberation", _("Debate and supports")
    CONSULTATION = "consultation", _("Consultation")
    WORKSHOPS = "workshops", _("Workshops and meetings")
    ANALYSIS = "analysis", _("Analysis by the services")
    VOTE = "vote", _("Vote")
    FOLLOW_UP = "follow_up", _("Implementation follow-up")
    EVALUATION = "evaluation", _("Evaluation")


# What each phase type lets residents do while it is open. Reading proposals, the process and
# its results is always allowed once the process is published.
PHASE_ACTIONS: dict[str, frozenset[str]] = {
    PhaseType.INFORMATION: frozenset({Action.REGISTER_MEETING}),
    PhaseType.PROPOSALS: frozenset(
        {Action.PROPOSE, Action.COMMENT, Action.SUPPORT, Action.REGISTER_MEETING}
    ),
    PhaseType.DELIBERATION: frozenset({Action.COMMENT, Action.SUPPORT, Action.REGISTER_MEETING}),
    PhaseType.CONSULTATION: frozenset(
        {Action.OPINION, Action.ANSWER, Action.COMMENT, Action.REGISTER_MEETING}
    ),
    PhaseType.WORKSHOPS: frozenset({Action.REGISTER_MEETING, Action.COMMENT}),
    PhaseType.ANALYSIS: frozenset(),
    PhaseType.VOTE: frozenset({Action.VOTE}),
    PhaseType.FOLLOW_UP: frozenset({Action.COMMENT}),
    PhaseType.EVALUATION: frozenset({Action.EVALUATE, Action.ANSWER, Action.COMMENT}),
}


class Blueprint(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation on a municipal project")
    IDEAS = "ideas", _("Call for ideas")
    BUDGET = "budget", _("Participatory budget")
    PLAN = "plan", _("Co-construction of a plan")


class Process(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("process", "Draft")
        PUBLISHED = "published", pgettext_lazy("process", "Published")
        ARCHIVED = "archived", pgettext_lazy("process", "Archived")

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="processes"
    )
    slug = models.SlugField(_("address in the site"), max_length=80)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=400, blank=True)
    # Sanitised HTML (participation/richtext.py), safe to render as is.
    description = models.TextField(_("description"), blank=True)
    illustration = models.ImageField(
        _("illustration"), upload_to="participation/processes/", blank=True
    )
    illustration_alt = models.CharField(
        _("illustration text alternative"), max_length=200, blank=True
    )
    blueprint = models.CharField(_("kind of process"), max_length=20, choices=Blueprint.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Scope: the whole territory, or some zones (a district, a hamlet).
    whole_territory = models.BooleanField(_("the whole territory"), default=True)
    zones = models.ManyToManyField(
        "territory.Zone", blank=True, related_name="processes", verbose_name=_("zones")
    )
    # Optional rules on who takes part.
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    residents_only = models.BooleanField(
        _("reserved to residents of the process's zones"), default=False
    )
    # A proposal reaching this many supports is studied by the services; its author is told.
    support_threshold = models.PositiveIntegerField(
        _("supports needed for a study"), null=True, blank=True
    )
    # Minutes during which an author may edit a proposal after publishing it.
    edit_window_minutes = models.PositiveIntegerField(_("edit window (minutes)"), default=60 * 24)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("participatory process")
        verbose_name_plural = _("participatory processes")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="process_slug_unique")
        ]

    def __str__(self) -> str:
        return self.title


class Phase(models.Model):
    class Mode(models.TextChoices):
        # Opens and closes on its dates.
        DATES = "dates", _("On its dates")
        OPEN = "open", _("Opened by hand")
        CLOSED = "closed", _("Closed by hand")

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="phases")
    type = models.CharField(_("type"), max_length=20, choices=PhaseType.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("opens at"))
    ends_at = models.DateTimeField(_("closes at"))
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.DATES)
    position = models.PositiveSmallIntegerField(default=0)
    # When residents were told it opened / closed (set by the phase task, once).
    opened_notified_at = models.DateTimeField(null=True, blank=True)
    closed_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["process", "position", "starts_at"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="phase_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, now: datetime | None = None) -> bool:
        if self.mode == self.Mode.OPEN:
            return True
        if self.mode == self.Mode.CLOSED:
            return False
        now = now or timezone.now()
        return self.starts_at <= now < self.ends_at

    @property
    def actions(self) -> frozenset[str]:
        return PHASE_ACTIONS.get(self.type, frozenset())


class Category(models.Model):
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["process", "position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["process", "name"], name="category_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ProcessDocument(models.Model):
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="participation/documents/")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["process", "created_at"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.title
