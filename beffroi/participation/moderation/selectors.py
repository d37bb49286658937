"""Reading for the moderators: the queue of pending reports grouped by content, one
content's reports, the blocked participants, the recent decisions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Q

from beffroi.core.models import AuditEvent
from beffroi.participation.models import Comment, Participant, Proposal, Report
from beffroi.territory.models import Organisation

GROUPS_PER_PAGE = 25


@dataclass
class QueueItem:
    kind: str  # "proposal" or "comment"
    content: Proposal | Comment
    count: int
    last_at: datetime
    reports: list[Report] = field(default_factory=list)

    @property
    def reasons(self) -> list[tuple[str, int]]:
        counts = Counter(report.get_reason_display() for report in self.reports)
        return counts.most_common()


def pending_reports(organisation: Organisation) -> Any:
    return Report.objects.filter(organisation=organisation, decision=Report.Decision.PENDING)


def moderation_queue(
    *, organisation: Organisation, page_number: Any = 1
) -> tuple[Page[Any], list[QueueItem]]:
    """Contents with reports awaiting a decision, most reported first; one row per content
    (however many reports), with its pending reports."""
    groups = (
        pending_reports(organisation)
        .values("proposal_id", "comment_id")
        .annotate(n=Count("pk"), last=Max("created_at"))
        .order_by("-n", "-last", "proposal_id", "comment_id")
    )
    page = Paginator(groups, GROUPS_PER_PAGE).get_page(page_number)
    rows = list(page.object_list)
    proposal_ids = [row["proposal_id"] for row in rows if row["proposal_id"]]
    comment_ids = [row["comment_id"] for row in rows if row["comment_id"]]
    proposals = Proposal.objects.select_related("author", "process").in_bulk(proposal_ids)
    comments = Comment.objects.select_related("author", "process", "proposal", "project").in_bulk(
        comment_ids
    )
    items: list[QueueItem] = []
    by_key: dict[tuple[str, int], QueueItem] = {}
    for row in rows:
        if row["proposal_id"]:
            key = ("proposal", row["proposal_id"])
            content: Proposal | Comment = proposals[row["proposal_id"]]
        else:
            key = ("comment", row["comment_id"])
            content = comments[row["comment_id"]]
        item = QueueItem(kind=key[0], content=content, count=row["n"], last_at=row["last"])
        items.append(item)
        by_key[key] = item
    if items:
        reports = (
            pending_reports(organisation)
            .filter(Q(proposal_id__in=proposal_ids) | Q(comment_id__in=comment_ids))
            .select_related("reporter")
            .order_by("created_at")
        )
        for report in reports:
            if report.proposal_id:
                by_key[("proposal", report.proposal_id)].reports.append(report)
            else:
                assert report.comment_id is not None
                by_key[("comment", report.comment_id)].reports.append(report)
    return page, items


def content_reports(*, proposal: Proposal | None = None, comment: Comment | None = None) -> Any:
    """Every report on one content, pending first, then the decided ones."""
    reports = Report.objects.select_related("reporter", "decided_by")
    if proposal is not None:
        reports = reports.filter(proposal=proposal)
    else:
        reports = reports.filter(comment=comment)
    # Pending ("") sorts first.
    return reports.order_by("decision", "-created_at")


def blocked_participants(organisation: Organisation) -> Any:
    return (
        Participant.objects.filter(organisation=organisation, blocked_at__isnull=False)
        .select_related("user", "blocked_by")
        .order_by("-blocked_at")
    )


def participant_activity(participant: Participant) -> dict[str, Any]:
    """What a moderator weighs before blocking: recent contributions and reports on them."""
    return {
        "proposals": participant.proposals.select_related("process").order_by("-created_at")[:10],
        "comments": participant.comments.select_related("process").order_by("-created_at")[:10],
        "reported": Report.objects.filter(
            Q(proposal__author=participant) | Q(comment__author=participant)
        ).count(),
        "hidden": Proposal.objects.filter(author=participant, hidden_at__isnull=False).count()
        + Comment.objects.filter(author=participant, hidden_at__isnull=False).count(),
    }


def recent_decisions(organisation: Organisation, *, limit: int = 15) -> Any:
    """The last moderation entries of the audit trail (who decided what, when, why)."""
    return AuditEvent.objects.filter(
        organisation=organisation, action__startswith="participation.moderation."
    ).order_by("-created_at", "-id")[:limit]
