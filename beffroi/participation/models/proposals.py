"""Proposals, their versions, files, supports and followers.

Counters (supports, comments) are kept on the proposal and moved with ``F()`` in the same
transaction as the row they count, so that a list sorted by "most supported" over 10,000
proposals reads one indexed column instead of counting a million supports per page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def proposal_search_text(title: str, body: str) -> str:
    """What a proposal search reads: title and description, folded."""
    from beffroi.participation.richtext import plain_text
    from beffroi.territory.text import fold

    return fold(f"{title} {plain_text(body)}")


class Proposal(models.Model):
    class State(models.TextChoices):
        PUBLISHED = "published", pgettext_lazy("proposal", "Published")
        WITHDRAWN = "withdrawn", pgettext_lazy("proposal", "Withdrawn")

    class Answer(models.TextChoices):
        NONE = "", _("No answer yet")
        UNDER_STUDY = "under_study", _("Under study")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    class Feasibility(models.TextChoices):
        NONE = "", _("Not reviewed")
        FEASIBLE = "feasible", _("Feasible")
        NOT_FEASIBLE = "not_feasible", _("Not feasible")

    class Origin(models.TextChoices):
        ONLINE = "online", _("Online")
        WORKSHOP = "workshop", _("Workshop or meeting")
        PAPER = "paper", _("Paper form")
        PHONE = "phone", _("Telephone")

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="proposals"
    )
    process = models.ForeignKey(
        "participation.Process", on_delete=models.CASCADE, related_name="proposals"
    )
    author = models.ForeignKey(
        "participation.Participant", on_delete=models.SET_NULL, null=True, related_name="proposals"
    )
    title = models.CharField(_("title"), max_length=150)
    # Sanitised HTML (participation/richtext.py).
    body = models.TextField(_("description"))
    # Title and description folded for search (lower case, no accents, no markup): "velo"
    # finds "Vélo", and a search reads one plain column. Kept by ``save``.
    search_text = models.TextField(default="", editable=False)
    category = models.ForeignKey(
        "participation.Category",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("category"),
    )
    address = models.ForeignKey(
        "territory.Address",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("address"),
    )
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    # The zones of its place, computed when the place is set (no geometry at query time).
    zones = models.ManyToManyField("territory.Zone", blank=True, related_name="proposals")
    estimated_cost = models.DecimalField(
        _("estimated cost (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PUBLISHED)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Official answer.
    answer = models.CharField(_("answer"), max_length=12, choices=Answer.choices, blank=True)
    answer_text = models.TextField(_("explanation"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Feasibility review by the commune's services.
    feasibility = models.CharField(
        _("feasibility"), max_length=12, choices=Feasibility.choices, blank=True
    )
    services_cost = models.DecimalField(
        _("cost estimated by the services (€)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    feasibility_note = models.TextField(_("feasibility review"), blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Typed in by an agent on behalf of a resident (workshop, paper form, telephone).
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.ONLINE)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    meeting = models.ForeignKey(
        "participation.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("meeting where it was made"),
    )
    # How to tell a resident without an account (paper form, telephone, workshop) what becomes
    # of their proposal: an e-mail address (told by e-mail of the official answer) or a phone
    # number in E.164 (the agent who answers is asked to call). Never published; erased once
    # a final answer (accepted or rejected) was given.
    contact = models.CharField(max_length=254, blank=True)
    # Moderation: hidden with a public reason; absent from lists, map, search, API, feeds.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(_("public reason"), max_length=300, blank=True)
    supports_count = models.PositiveIntegerField(default=0)
    comments_count = models.PositiveIntegerField(default=0)
    threshold_reached_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        indexes = [
            models.Index(fields=["process", "-supports_count"], name="proposal_by_supports"),
            models.Index(fields=["process", "-created_at"], name="proposal_by_date"),
            models.Index(fields=["process", "-comments_count"], name="proposal_by_comments"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"title", "body"} & set(update_fields):
            self.search_text = proposal_search_text(self.title, self.body)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)


class ProposalVersion(models.Model):
    """What a proposal said before each edit (the history residents can read)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=150)
    body = models.TextField()
    category_name = models.CharField(max_length=100, blank=True)
    estimated_cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    edited_by = models.ForeignKey(
        "participation.Participant", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["proposal", "number"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "number"], name="proposal_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} v{self.number}"


class ProposalFile(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        ATTACHMENT = "attachment", _("Attachment")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file = models.FileField(upload_to="participation/proposals/")
    # The name the resident gave the file, shown escaped, never used as a path.
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    alt_text = models.CharField(_("image description"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["proposal", "created_at"]

    def __str__(self) -> str:
        return self.original_name


class Support(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    participant = models.ForeignKey(
        "participation.Participant", on_delete=models.CASCADE, related_name="supports"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One support per person and proposal, whatever the path or the race.
            models.UniqueConstraint(fields=["proposal", "participant"], name="support_unique")
        ]
        indexes = [models.Index(fields=["participant", "proposal"], name="support_by_participant")]

    def __str__(self) -> str:
        return f"{self.proposal_id}/{self.participant_id}"


class Follow(models.Model):
    """A resident follows a proposal or a whole process (notifications)."""

    participant = models.ForeignKey(
        "participation.Participant", on_delete=models.CASCADE, related_name="follows"
    )
    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    process = models.ForeignKey(
        "participation.Process",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="follows",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(proposal__isnull=False, process__isnull=True)
                    | models.Q(proposal__isnull=True, process__isnull=False)
                ),
                name="follow_one_target",
            ),
            models.UniqueConstraint(
                fields=["participant", "proposal"],
                condition=models.Q(proposal__isnull=False),
                name="follow_proposal_unique",
            ),
            models.UniqueConstraint(
                fields=["participant", "process"],
                condition=models.Q(process__isnull=False),
                name="follow_process_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} → {self.proposal_id or self.process_id}"
