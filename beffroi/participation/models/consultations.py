"""The commune's own projects put to residents: opinions and questionnaires.

A questionnaire belongs to a process (and optionally to one of its municipal projects). Its
questions are single or multiple choice, a scale, free text, a ranking or a matrix; a question
may be shown only when an earlier answer took some choices (``condition_*``). Answers are rows,
so that results are aggregated by the database and free-text answers can be tagged.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MunicipalProject(models.Model):
    process = models.ForeignKey(
        "participation.Process", on_delete=models.CASCADE, related_name="projects"
    )
    title = models.CharField(_("title"), max_length=200)
    # Sanitised HTML.
    description = models.TextField(_("description"))
    cost = models.DecimalField(
        _("cost (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    address = models.ForeignKey(
        "territory.Address", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    image = models.ImageField(_("image"), upload_to="participation/projects/", blank=True)
    image_alt = models.CharField(_("image description"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["process", "position", "pk"]
        verbose_name = _("municipal project")
        verbose_name_plural = _("municipal projects")

    def __str__(self) -> str:
        return self.title


class Opinion(models.Model):
    class Position(models.TextChoices):
        FOR = "for", _("For")
        AGAINST = "against", _("Against")
        ABSTAIN = "abstain", _("Abstain")

    project = models.ForeignKey(MunicipalProject, on_delete=models.CASCADE, related_name="opinions")
    participant = models.ForeignKey(
        "participation.Participant", on_delete=models.CASCADE, related_name="opinions"
    )
    position = models.CharField(_("your opinion"), max_length=10, choices=Position.choices)
    comment = models.TextField(_("comment"), blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "participant"], name="opinion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.position}"


class Questionnaire(models.Model):
    process = models.ForeignKey(
        "participation.Process", on_delete=models.CASCADE, related_name="questionnaires"
    )
    project = models.ForeignKey(
        MunicipalProject,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questionnaires",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("introduction"), blank=True)
    # Results are public once answering is over; an agent may show them while it runs.
    results_live = models.BooleanField(
        _("show the results while answers are being collected"), default=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["process", "pk"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        SCALE = "scale", _("Scale")
        TEXT = "text", _("Free text")
        RANKING = "ranking", _("Ranking")
        MATRIX = "matrix", _("Matrix")

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help"), max_length=300, blank=True)
    required = models.BooleanField(_("answer required"), default=False)
    # Multiple choice: at most this many (none: no limit).
    max_choices = models.PositiveSmallIntegerField(null=True, blank=True)
    # Scale bounds and the words at each end ("Not at all" … "Very much").
    scale_min = models.SmallIntegerField(default=1)
    scale_max = models.SmallIntegerField(default=5)
    scale_min_label = models.CharField(max_length=60, blank=True)
    scale_max_label = models.CharField(max_length=60, blank=True)
    # Shown only when the answer to ``condition_question`` includes one of these choices.
    condition_question = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="dependants"
    )
    condition_choices: models.ManyToManyField[Choice, Any] = models.ManyToManyField(
        "Choice", blank=True, related_name="+"
    )

    class Meta:
        ordering = ["questionnaire", "position", "pk"]

    def __str__(self) -> str:
        return self.text


class Choice(models.Model):
    """An option of a choice or ranking question, or a column of a matrix."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["question", "position", "pk"]

    def __str__(self) -> str:
        return self.label


class MatrixRow(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="rows")
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["question", "position", "pk"]

    def __str__(self) -> str:
        return self.label


class Response(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="responses"
    )
    participant = models.ForeignKey(
        "participation.Participant", on_delete=models.CASCADE, related_name="responses"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "participant"], name="response_unique")
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire_id}/{self.participant_id}"


class AnswerTag(models.Model):
    """A label agents put on free-text answers to sort them ("parking", "safety")."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "name"], name="answer_tag_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Answer(models.Model):
    """One row per chosen option, scale value, text, ranked option or matrix cell."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    choice = models.ForeignKey(Choice, on_delete=models.CASCADE, null=True, blank=True)
    row = models.ForeignKey(MatrixRow, on_delete=models.CASCADE, null=True, blank=True)
    # Scale value, or rank (1 = first) for a ranking question.
    number = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    tags = models.ManyToManyField(AnswerTag, blank=True, related_name="answers")
    tagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["question", "choice"], name="answer_by_choice")]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.text or self.choice_id or self.number}"
