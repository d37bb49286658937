"""Moderation's services: reports and automatic hiding, decisions, blocking, limits, audit."""

from __future__ import annotations

import pytest

from beffroi.core.models import AuditEvent
from beffroi.participation.access import ActionRefused
from beffroi.participation.comments.services import Subject, comment_create
from beffroi.participation.models import Comment, Notification, Participant, Proposal, Report
from beffroi.participation.moderation.services import (
    Content,
    ModerationError,
    content_hide,
    content_keep,
    content_restore,
    moderation_setting,
    moderation_settings_update,
    participant_block,
    participant_unblock,
    participation_rate_check,
    report_create,
)
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.testing import Cast, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposal(cast: Cast) -> Proposal:
    return make_proposal(make_process(cast.org), participant(cast.resident, cast.org))


@pytest.fixture
def comment(cast: Cast, proposal: Proposal) -> Comment:
    return comment_create(
        participant=participant(cast.resident2, cast.org),
        subject=Subject(proposal=proposal),
        body="Un commentaire déplacé",
    )


def _reporters(cast: Cast, n: int) -> list[Participant]:
    return [
        participant(make_user(f"voisin{i}@example.org", full_name=f"Voisin {i}"), cast.org)
        for i in range(n)
    ]


def test_it_hides_automatically_after_n_distinct_reports(
    cast: Cast, comment: Comment, proposal: Proposal
) -> None:
    cast.org.settings = {"participation": {"auto_hide_reports": 2}}
    cast.org.save()
    first, second = _reporters(cast, 2)
    first.organisation.refresh_from_db()
    second.organisation.refresh_from_db()
    report_create(reporter=first, content=Content(comment=comment), reason="offensive")
    comment.refresh_from_db()
    assert comment.hidden_at is None
    # One person reporting twice does not count twice.
    with pytest.raises(ModerationError):
        report_create(reporter=first, content=Content(comment=comment), reason="spam")
    comment.refresh_from_db()
    assert comment.hidden_at is None
    report_create(reporter=second, content=Content(comment=comment), reason="spam")
    comment.refresh_from_db()
    assert comment.hidden_at is not None and comment.hidden_reason
    proposal.refresh_from_db()
    assert proposal.comments_count == 0
    assert Report.objects.filter(comment=comment, decision="").count() == 2
    event = AuditEvent.objects.get(action="participation.moderation.auto_hide")
    assert event.target_id == str(comment.pk) and event.actor_id is None
    assert Notification.objects.filter(kind="moderation", recipient=comment.author).count() == 1


def test_it_defaults_to_three_reports(cast: Cast, proposal: Proposal) -> None:
    assert moderation_setting(cast.org, "auto_hide_reports") == 3
    reporters = _reporters(cast, 3)
    for reporter in reporters[:2]:
        report_create(reporter=reporter, content=Content(proposal=proposal), reason="spam")
    proposal.refresh_from_db()
    assert proposal.hidden_at is None
    report_create(reporter=reporters[2], content=Content(proposal=proposal), reason="spam")
    proposal.refresh_from_db()
    assert proposal.hidden_at is not None


def test_it_refuses_reports_on_ones_own_content_and_bad_input(
    cast: Cast, proposal: Proposal
) -> None:
    author = proposal.author
    assert author is not None
    with pytest.raises(ModerationError):
        report_create(reporter=author, content=Content(proposal=proposal), reason="spam")
    other = participant(cast.resident2, cast.org)
    with pytest.raises(ModerationError):
        report_create(reporter=other, content=Content(proposal=proposal), reason="nonsense")
    with pytest.raises(ModerationError):
        report_create(reporter=other, content=Content(proposal=proposal), reason="other")
    foreigner = participant(cast.other_admin, cast.other_org)
    with pytest.raises(ModerationError):
        report_create(reporter=foreigner, content=Content(proposal=proposal), reason="spam")
    assert Report.objects.count() == 0


def test_it_hides_restores_and_keeps_with_the_audit_trail(
    cast: Cast, comment: Comment, proposal: Proposal
) -> None:
    reporter = participant(cast.resident, cast.org)
    report_create(reporter=reporter, content=Content(comment=comment), reason="offensive")
    content_hide(content=Content(comment=comment), actor=cast.moderator, reason="Insultes")
    comment.refresh_from_db()
    proposal.refresh_from_db()
    assert comment.hidden_reason == "Insultes" and proposal.comments_count == 0
    assert Report.objects.get().decision == Report.Decision.HIDDEN
    note = Notification.objects.get(kind="moderation")
    assert note.recipient_id == comment.author_id and "Insultes" in note.body
    content_restore(content=Content(comment=comment), actor=cast.moderator)
    comment.refresh_from_db()
    proposal.refresh_from_db()
    assert comment.hidden_at is None and proposal.comments_count == 1
    with pytest.raises(ModerationError):
        content_keep(content=Content(comment=comment), actor=cast.moderator)
    second = participant(cast.association_manager, cast.org)
    report_create(reporter=second, content=Content(comment=comment), reason="spam")
    content_keep(content=Content(comment=comment), actor=cast.moderator)
    assert Report.objects.filter(decision=Report.Decision.KEPT).count() == 1
    actions = list(
        AuditEvent.objects.filter(action__startswith="participation.moderation.")
        .order_by("id")
        .values_list("action", "actor_id")
    )
    assert actions == [
        ("participation.moderation.hide", cast.moderator.pk),
        ("participation.moderation.restore", cast.moderator.pk),
        ("participation.moderation.keep", cast.moderator.pk),
    ]


def test_it_refuses_decisions_by_non_moderators_and_without_reason(
    cast: Cast, proposal: Proposal
) -> None:
    with pytest.raises(ModerationError):
        content_hide(content=Content(proposal=proposal), actor=cast.resident, reason="Non")
    with pytest.raises(ModerationError):
        content_hide(content=Content(proposal=proposal), actor=cast.other_admin, reason="Non")
    with pytest.raises(ModerationError):
        content_hide(content=Content(proposal=proposal), actor=cast.moderator, reason="  ")
    proposal.refresh_from_db()
    assert proposal.hidden_at is None
    assert not AuditEvent.objects.filter(action__startswith="participation.").exists()


def test_it_blocks_and_unblocks_and_a_blocked_person_cannot_post(
    cast: Cast, proposal: Proposal
) -> None:
    bruno = participant(cast.resident2, cast.org)
    with pytest.raises(ModerationError):
        participant_block(participant=bruno, actor=cast.moderator, reason="")
    participant_block(participant=bruno, actor=cast.moderator, reason="Spam répété")
    bruno.refresh_from_db()
    assert bruno.blocked_at is not None and bruno.blocked_by_id == cast.moderator.pk
    with pytest.raises(ActionRefused):
        comment_create(participant=bruno, subject=Subject(proposal=proposal), body="Encore")
    assert Comment.objects.count() == 0
    participant_unblock(participant=bruno, actor=cast.moderator)
    bruno.refresh_from_db()
    assert bruno.blocked_at is None and bruno.blocked_reason == ""
    comment_create(participant=bruno, subject=Subject(proposal=proposal), body="Pardon")
    assert list(
        AuditEvent.objects.filter(target_id=str(bruno.pk))
        .order_by("id")
        .values_list("action", "reason")
    ) == [
        ("participation.moderation.block", "Spam répété"),
        ("participation.moderation.unblock", ""),
    ]


def test_it_updates_the_settings_and_keeps_other_keys(cast: Cast) -> None:
    cast.org.settings = {"participation": {"digest_hour": 7}, "alerts": {"x": 1}}
    cast.org.save()
    moderation_settings_update(
        organisation=cast.org,
        actor=cast.participation_manager,
        auto_hide_reports=4,
        proposals_per_hour=2,
        comments_per_hour=0,
    )
    cast.org.refresh_from_db()
    assert cast.org.settings == {
        "participation": {
            "digest_hour": 7,
            "auto_hide_reports": 4,
            "proposals_per_hour": 2,
            "comments_per_hour": 0,
        },
        "alerts": {"x": 1},
    }
    assert AuditEvent.objects.filter(action="participation.moderation.settings_update").exists()
    with pytest.raises(ModerationError):
        moderation_settings_update(
            organisation=cast.org,
            actor=cast.participation_manager,
            auto_hide_reports=0,
            proposals_per_hour=2,
            comments_per_hour=0,
        )
    with pytest.raises(ModerationError):
        moderation_settings_update(
            organisation=cast.org,
            actor=cast.moderator,
            auto_hide_reports=5,
            proposals_per_hour=2,
            comments_per_hour=0,
        )
    cast.org.refresh_from_db()
    assert cast.org.settings["participation"]["auto_hide_reports"] == 4


def test_it_limits_proposals_per_hour(cast: Cast) -> None:
    cast.org.settings = {"participation": {"proposals_per_hour": 2}}
    cast.org.save()
    alice = participant(cast.resident, cast.org)
    alice.organisation.refresh_from_db()
    participation_rate_check(participant=alice, kind="proposal")
    participation_rate_check(participant=alice, kind="proposal")
    with pytest.raises(ActionRefused) as refused:
        participation_rate_check(participant=alice, kind="proposal")
    assert refused.value.decision.code == "rate_limited"
    assert "2 proposals per hour" in str(refused.value.decision.message)
    # Another person, and comments, have their own budgets.
    participation_rate_check(participant=participant(cast.resident2, cast.org), kind="proposal")
    participation_rate_check(participant=alice, kind="comment")
    with pytest.raises(ValueError):
        participation_rate_check(participant=alice, kind="poll")
