"""Reading comment threads: one page of top-level comments with their replies, the summary
of positions, the reader's own votes. A constant number of queries whatever the size of the
discussion (one per nesting level, never one per comment)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from beffroi.participation.comments.services import MAX_DEPTH, Subject, comment_can_edit
from beffroi.participation.models import Comment, CommentVote, Participant

ROOTS_PER_PAGE = 30
SORTS: dict[str, Promise] = {
    "oldest": _("Oldest first"),
    "newest": _("Newest first"),
    "best": _("Best rated first"),
}
DEFAULT_SORT = "oldest"


@dataclass
class ThreadNode:
    comment: Comment
    replies: list[ThreadNode] = field(default_factory=list)
    # The reader's vote on it: +1, -1 or 0.
    my_vote: int = 0
    can_edit: bool = False
    # Whether the reader sees the text (always unless hidden; moderators see hidden text).
    show_body: bool = True
    # Filled by the view: the reply form of this comment (when the reader may reply).
    reply_form: Any = None

    @property
    def hidden(self) -> bool:
        return self.comment.hidden_at is not None

    @property
    def score(self) -> int:
        return self.comment.votes_up - self.comment.votes_down

    def walk(self) -> list[ThreadNode]:
        nodes = [self]
        for reply in self.replies:
            nodes.extend(reply.walk())
        return nodes


def comment_summary(subject: Subject) -> dict[str, int]:
    """How many visible comments are for, against and neutral, and in all."""
    comments: Any = subject.comments()
    counts = comments.filter(hidden_at__isnull=True).aggregate(
        total=Count("pk"),
        **{stance: Count("pk", filter=Q(stance=stance)) for stance in Comment.Stance.values},
    )
    return {key: int(value or 0) for key, value in counts.items()}


def comment_thread(
    *,
    subject: Subject,
    viewer: Participant | None,
    moderator: bool = False,
    sort: str = DEFAULT_SORT,
    page_number: Any = 1,
) -> tuple[Page[Any], list[ThreadNode]]:
    """One page of the discussion on ``subject``: top-level comments in ``sort`` order,
    replies below their parent, oldest first. Hidden comments stay in place (their replies
    keep their context) but only moderators get their text."""
    comments: Any = subject.comments()
    roots = comments.filter(parent__isnull=True).select_related("author")
    if sort == "newest":
        roots = roots.order_by("-created_at", "-pk")
    elif sort == "best":
        roots = roots.annotate(score=F("votes_up") - F("votes_down")).order_by(
            "-score", "created_at", "pk"
        )
    else:
        roots = roots.order_by("created_at", "pk")
    page = Paginator(roots, ROOTS_PER_PAGE).get_page(page_number)
    nodes = [ThreadNode(comment=comment) for comment in page.object_list]
    by_id = {node.comment.pk: node for node in nodes}
    level = list(by_id)
    for _depth in range(MAX_DEPTH):
        if not level:
            break
        replies = (
            comments.filter(parent_id__in=level)
            .select_related("author")
            .order_by("created_at", "pk")
        )
        level = []
        for reply in replies:
            node = ThreadNode(comment=reply)
            parent = by_id.get(reply.parent_id)
            if parent is None:
                continue
            parent.replies.append(node)
            by_id[reply.pk] = node
            level.append(reply.pk)
    votes: dict[int, int] = {}
    if viewer is not None and by_id:
        votes = dict(
            CommentVote.objects.filter(participant=viewer, comment_id__in=list(by_id)).values_list(
                "comment_id", "value"
            )
        )
    for node in by_id.values():
        node.my_vote = votes.get(node.comment.pk, 0)
        node.can_edit = comment_can_edit(node.comment, viewer)
        node.show_body = not node.hidden or moderator
    return page, nodes


def comment_for_permalink(comment: Comment) -> int:
    """The page of its discussion (in the default order) where ``comment`` is shown."""
    root = comment
    while root.parent_id is not None:
        parent = root.parent
        assert parent is not None
        root = parent
    comments: Any = Subject.of(comment).comments()
    before = comments.filter(parent__isnull=True).filter(
        Q(created_at__lt=root.created_at) | Q(created_at=root.created_at, pk__lt=root.pk)
    )
    return int(before.count() // ROOTS_PER_PAGE) + 1
