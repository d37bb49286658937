"""Comments on proposals and on the commune's own projects: threaded, each for, against or
neutral, edited by their author for a short while, voted on by residents.

A proposal's ``comments_count`` counts its visible comments and moves with ``F()`` in the
transaction that adds, hides or restores one, so that sorting 10,000 proposals by "most
commented" reads one indexed column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from beffroi.accounts.models import User
from beffroi.participation import access
from beffroi.participation.models import (
    Action,
    Comment,
    CommentVote,
    Follow,
    MunicipalProject,
    Notification,
    Participant,
    Process,
    Proposal,
)
from beffroi.participation.moderation.services import participation_rate_check
from beffroi.participation.notifications.services import notify

BODY_MAX_LENGTH = 3000
# Replies nest at most this deep (0: a comment on the subject itself); a reply to a comment
# at the deepest level joins that comment's own parent, so threads stay readable on a phone.
MAX_DEPTH = 3
EDIT_WINDOW = timedelta(minutes=15)


class CommentError(Exception):
    """Bad input; ``errors`` maps a form field (or "" for the whole form) to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


def _fail(field: str, message: str) -> CommentError:
    return CommentError({field: [message]})


@dataclass(frozen=True)
class Subject:
    """What is commented: a proposal or a municipal project (exactly one)."""

    proposal: Proposal | None = None
    project: MunicipalProject | None = None

    def __post_init__(self) -> None:
        if (self.proposal is None) == (self.project is None):
            raise ValueError("A comment is on a proposal or on a municipal project.")

    @classmethod
    def of(cls, comment: Comment) -> Subject:
        if comment.proposal_id is not None:
            assert comment.proposal is not None
            return cls(proposal=comment.proposal)
        assert comment.project is not None
        return cls(project=comment.project)

    @property
    def item(self) -> Proposal | MunicipalProject:
        item = self.proposal or self.project
        assert item is not None
        return item

    @property
    def process(self) -> Process:
        return self.item.process

    @property
    def organisation_id(self) -> int:
        return self.process.organisation_id

    @property
    def title(self) -> str:
        return self.item.title

    def comments(self) -> object:
        if self.proposal is not None:
            return Comment.objects.filter(proposal=self.proposal)
        return Comment.objects.filter(project=self.project)


def subject_url(subject: Subject) -> str:
    """The public page of the subject: the proposal's or the project's own page when its
    area serves one, else this area's discussion page (always there)."""
    if subject.proposal is not None:
        candidates = [("participation_proposals:detail", subject.proposal.pk)]
        own = ("participation_comments:proposal_thread", subject.proposal.pk)
    else:
        assert subject.project is not None
        candidates = [("participation_consultations:project_detail", subject.project.pk)]
        own = ("participation_comments:project_thread", subject.project.pk)
    for name, pk in candidates:
        try:
            return reverse(name, args=[pk])
        except NoReverseMatch:
            continue
    return reverse(own[0], args=[own[1]])


def comment_url(comment: Comment) -> str:
    """A permanent link to one comment (redirects to its place on the subject's page)."""
    return reverse("participation_comments:goto", args=[comment.pk])


def _clean_body(body: str) -> str:
    # Plain text, escaped when shown; control characters other than line breaks are dropped
    # (they break e-mail digests and CSV exports, and hide text from moderators).
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())
    text = text.strip()
    if not text:
        raise _fail("body", _("Write your comment."))
    if len(text) > BODY_MAX_LENGTH:
        raise _fail(
            "body",
            _("Keep your comment under %(max)d characters (it has %(length)d).")
            % {"max": BODY_MAX_LENGTH, "length": len(text)},
        )
    return text


def _clean_stance(stance: str) -> str:
    if stance not in Comment.Stance.values:
        raise _fail("stance", _("Say whether you are for, against or neutral."))
    return stance


def _check_subject(subject: Subject) -> None:
    proposal = subject.proposal
    if proposal is not None:
        if proposal.hidden_at is not None:
            raise _fail("", _("This proposal was hidden by the moderators."))
        if proposal.state == Proposal.State.WITHDRAWN:
            raise _fail("", _("This proposal was withdrawn: it can no longer be commented."))


def _attach_point(parent: Comment) -> Comment:
    """The comment a reply to ``parent`` hangs from: ``parent`` itself, or its nearest
    ancestor that may still have replies (depth below MAX_DEPTH)."""
    while parent.depth >= MAX_DEPTH and parent.parent_id is not None:
        assert parent.parent is not None
        parent = parent.parent
    return parent


def comment_create(
    *,
    participant: Participant | None,
    subject: Subject,
    body: str,
    stance: str = Comment.Stance.NEUTRAL,
    parent: Comment | None = None,
    request: HttpRequest | None = None,
) -> Comment:
    """``participant`` comments on ``subject`` (a reply when ``parent`` is given).

    Refused (``ActionRefused``) outside a phase with comments, for a blocked participant and
    past the hourly limit; ``CommentError`` for bad input. Followers of a proposal and its
    author are notified ("comment"), the parent's author too ("reply"); the commenter then
    follows the proposal."""
    process = subject.process
    participant = access.check(participant, process, Action.COMMENT)
    if participant.organisation_id != subject.organisation_id:
        raise access.ActionRefused(access.refused("login"))
    _check_subject(subject)
    text = _clean_body(body)
    stance = _clean_stance(stance)
    if parent is not None:
        if (parent.proposal_id, parent.project_id) != (
            subject.proposal.pk if subject.proposal else None,
            subject.project.pk if subject.project else None,
        ):
            raise _fail("", _("This reply does not belong to this discussion."))
        if parent.hidden_at is not None:
            raise _fail("", _("This comment was hidden by the moderators: it cannot be answered."))
        parent = _attach_point(parent)
    # Counted after every other check (a refused form costs nothing) and before the
    # transaction (a hit inside one that rolls back would be lost).
    participation_rate_check(participant=participant, kind="comment")
    with transaction.atomic():
        comment = Comment.objects.create(
            organisation_id=process.organisation_id,
            process=process,
            proposal=subject.proposal,
            project=subject.project,
            parent=parent,
            depth=parent.depth + 1 if parent is not None else 0,
            author=participant,
            body=text,
            stance=stance,
        )
        if subject.proposal is not None:
            Proposal.objects.filter(pk=subject.proposal.pk).update(
                comments_count=F("comments_count") + 1
            )
            Follow.objects.get_or_create(participant=participant, proposal=subject.proposal)
        _notify_new_comment(comment, subject, participant, parent)
    return comment


def _notify_new_comment(
    comment: Comment, subject: Subject, participant: Participant, parent: Comment | None
) -> None:
    url = comment_url(comment)
    replied: Participant | None = None
    if parent is not None and parent.author is not None:
        replied = parent.author
        if replied.pk != participant.pk:
            notify(
                recipients=[replied],
                kind=Notification.Kind.REPLY,
                title=_("%(name)s replied to your comment on “%(title)s”")
                % {"name": participant.public_name, "title": subject.title},
                body=comment.body[:500],
                url=url,
            )
    proposal = subject.proposal
    if proposal is None:
        return
    recipients: list[Participant] = [
        follow.participant
        for follow in Follow.objects.filter(proposal=proposal)
        .select_related("participant")
        .exclude(participant__blocked_at__isnull=False)
    ]
    if proposal.author is not None:
        recipients.append(proposal.author)
    if replied is not None:
        # Told once, as the person answered.
        recipients = [r for r in recipients if r.pk != replied.pk]
    notify(
        recipients=recipients,
        kind=Notification.Kind.COMMENT,
        title=_("New comment on “%(title)s”") % {"title": subject.title},
        body=comment.body[:500],
        url=url,
        exclude=participant,
    )


def comment_can_edit(comment: Comment, participant: Participant | None) -> bool:
    """Whether ``participant`` may still edit ``comment`` (its author, within the window)."""
    return (
        participant is not None
        and comment.author_id == participant.pk
        and comment.hidden_at is None
        and timezone.now() - comment.created_at <= EDIT_WINDOW
    )


def comment_edit(
    *,
    comment: Comment,
    participant: Participant | None,
    body: str,
    stance: str | None = None,
) -> Comment:
    """Its author corrects a comment within ``EDIT_WINDOW`` of posting it (while the phase
    still allows comments); ``edited_at`` tells readers it changed."""
    participant = access.check(participant, comment.process, Action.COMMENT)
    if comment.author_id != participant.pk:
        raise _fail("", _("Only its author can edit a comment."))
    if comment.hidden_at is not None:
        raise _fail("", _("This comment was hidden by the moderators."))
    if timezone.now() - comment.created_at > EDIT_WINDOW:
        raise _fail(
            "",
            _("A comment can be edited only in the %(minutes)d minutes after it is posted.")
            % {"minutes": int(EDIT_WINDOW.total_seconds() // 60)},
        )
    text = _clean_body(body)
    fields = ["body", "edited_at"]
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        locked.body = text
        if stance is not None:
            locked.stance = _clean_stance(stance)
            fields.append("stance")
        locked.edited_at = timezone.now()
        locked.save(update_fields=fields)
    comment.body, comment.stance, comment.edited_at = locked.body, locked.stance, locked.edited_at
    return locked


def comment_vote(*, comment: Comment, participant: Participant | None, value: int) -> Comment:
    """``participant`` votes +1 or -1 on ``comment``, changes their vote, or removes it
    (``value`` 0). One vote per person and comment (the database's constraint); the
    counters move with ``F()`` under the comment's row lock, so concurrent votes of one
    person never count twice. Returns the comment with its counters."""
    participant = access.check(participant, comment.process, Action.COMMENT)
    if value not in (-1, 0, 1):
        raise _fail("value", _("Choose a vote."))
    if comment.author_id == participant.pk:
        raise _fail("", _("You cannot vote on your own comment."))
    if comment.hidden_at is not None:
        raise _fail("", _("This comment was hidden by the moderators."))
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        existing = CommentVote.objects.filter(comment=locked, participant=participant).first()
        before = existing.value if existing is not None else 0
        if before == value:
            return locked
        up = (value == 1) - (before == 1)
        down = (value == -1) - (before == -1)
        if existing is None:
            CommentVote.objects.create(comment=locked, participant=participant, value=value)
        elif value == 0:
            existing.delete()
        else:
            existing.value = value
            existing.save(update_fields=["value"])
        Comment.objects.filter(pk=locked.pk).update(
            votes_up=F("votes_up") + up, votes_down=F("votes_down") + down
        )
        locked.refresh_from_db(fields=["votes_up", "votes_down"])
    return locked


def export_comments(user: User) -> list[dict[str, object]]:
    """GDPR export: the comments a person wrote, in every organisation."""
    return [
        {
            "organisation": comment.organisation.name,
            "process": comment.process.title,
            "proposal": comment.proposal_id,
            "project": comment.project_id,
            "body": comment.body,
            "stance": comment.stance,
            "created_at": comment.created_at.isoformat(),
            "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
            "hidden": comment.hidden_at is not None,
        }
        for comment in Comment.objects.filter(author__user=user).select_related(
            "organisation", "process"
        )
    ]
