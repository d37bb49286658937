"""Threaded comments on proposals and municipal projects, each for, against or neutral, and
residents' votes on them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Comment(models.Model):
    class Stance(models.TextChoices):
        FOR = "for", _("For")
        AGAINST = "against", _("Against")
        NEUTRAL = "neutral", _("Neutral")

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="comments"
    )
    process = models.ForeignKey(
        "participation.Process", on_delete=models.CASCADE, related_name="comments"
    )
    # What is commented: a proposal or a municipal project.
    proposal = models.ForeignKey(
        "participation.Proposal",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comments",
    )
    project = models.ForeignKey(
        "participation.MunicipalProject",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comments",
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    author = models.ForeignKey(
        "participation.Participant", on_delete=models.SET_NULL, null=True, related_name="comments"
    )
    # Plain text, escaped when shown (line breaks kept).
    body = models.TextField(_("comment"))
    stance = models.CharField(
        _("position"), max_length=10, choices=Stance.choices, default=Stance.NEUTRAL
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(_("public reason"), max_length=300, blank=True)
    votes_up = models.PositiveIntegerField(default=0)
    votes_down = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(proposal__isnull=False, project__isnull=True)
                    | models.Q(proposal__isnull=True, project__isnull=False)
                ),
                name="comment_one_subject",
            )
        ]
        indexes = [models.Index(fields=["proposal", "created_at"], name="comment_by_proposal")]

    def __str__(self) -> str:
        return f"{self.pk}: {self.body[:40]}"


class CommentVote(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(
        "participation.Participant", on_delete=models.CASCADE, related_name="comment_votes"
    )
    # +1 or -1
    value = models.SmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "participant"], name="comment_vote_unique"),
            models.CheckConstraint(
                condition=models.Q(value__in=[-1, 1]), name="comment_vote_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.comment_id} {self.value:+d}"
