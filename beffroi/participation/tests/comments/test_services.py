"""Comments' services: threads, counters, votes, notifications, refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from beffroi.participation.access import ActionRefused
from beffroi.participation.comments.services import (
    MAX_DEPTH,
    CommentError,
    Subject,
    comment_create,
    comment_edit,
    comment_vote,
)
from beffroi.participation.models import (
    Comment,
    CommentVote,
    Follow,
    MunicipalProject,
    Notification,
    PhaseType,
    Proposal,
)
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.testing import Cast, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposal(cast: Cast) -> Proposal:
    process = make_process(cast.org)
    return make_proposal(process, participant(cast.resident, cast.org))


def _comment(cast: Cast, proposal: Proposal, text: str = "D'accord.", **kwargs: object) -> Comment:
    author = kwargs.pop("author", None) or participant(cast.resident2, cast.org)
    return comment_create(
        participant=author,  # type: ignore[arg-type]
        subject=Subject(proposal=proposal),
        body=text,
        **kwargs,  # type: ignore[arg-type]
    )


def test_it_threads_replies_and_caps_the_depth(cast: Cast, proposal: Proposal) -> None:
    root = _comment(cast, proposal, "Premier")
    parent = root
    chain = [root]
    for level in range(MAX_DEPTH + 2):
        parent = _comment(cast, proposal, f"Réponse {level}", parent=parent)
        chain.append(parent)
    assert [c.depth for c in chain] == [0, 1, 2, 3, 3, 3]
    # Past the deepest level a reply hangs from the deepest allowed comment's parent.
    assert chain[4].parent_id == chain[2].pk
    assert chain[5].parent_id == chain[2].pk


def test_it_refuses_a_reply_to_another_discussion(cast: Cast, proposal: Proposal) -> None:
    other = make_proposal(proposal.process, None, title="Autre")
    foreign = _comment(cast, other, "Ailleurs")
    with pytest.raises(CommentError):
        _comment(cast, proposal, "Réponse", parent=foreign)
    assert Comment.objects.filter(proposal=proposal).count() == 0


def test_it_counts_comments_and_makes_the_commenter_follow(cast: Cast, proposal: Proposal) -> None:
    bruno = participant(cast.resident2, cast.org)
    _comment(cast, proposal, author=bruno)
    _comment(cast, proposal, "Encore", author=bruno)
    proposal.refresh_from_db()
    assert proposal.comments_count == 2
    assert Follow.objects.filter(participant=bruno, proposal=proposal).count() == 1


def test_it_notifies_followers_the_author_and_the_person_answered(
    cast: Cast, proposal: Proposal
) -> None:
    alice = proposal.author
    assert alice is not None
    bruno = participant(cast.resident2, cast.org)
    claire = participant(cast.association_manager, cast.org)
    follower = participant(make_user("dan@example.org", full_name="Dan Suiveur"), cast.org)
    Follow.objects.create(participant=follower, proposal=proposal)
    first = _comment(cast, proposal, "Bonne idée", author=bruno)
    # Bruno commented: the author and the follower are told, not Bruno himself.
    assert set(
        Notification.objects.filter(kind="comment").values_list("recipient_id", flat=True)
    ) == {alice.pk, follower.pk}
    Notification.objects.all().delete()
    _comment(cast, proposal, "Je réponds", author=claire, parent=first)
    assert list(
        Notification.objects.filter(kind="reply").values_list("recipient_id", flat=True)
    ) == [bruno.pk]
    # Bruno follows the proposal now, but is told once, as the person answered.
    assert set(
        Notification.objects.filter(kind="comment").values_list("recipient_id", flat=True)
    ) == {alice.pk, follower.pk}
    reply = Notification.objects.get(kind="reply")
    assert reply.url.startswith("/participer/commentaires/")


def test_it_refuses_comments_in_a_phase_without_comments(cast: Cast) -> None:
    process = make_process(cast.org, phases=(PhaseType.ANALYSIS,))
    proposal = make_proposal(process, None)
    with pytest.raises(ActionRefused) as refused:
        _comment(cast, proposal)
    assert refused.value.decision.code == "phase_closed"
    assert Comment.objects.count() == 0


def test_it_refuses_a_blocked_participant(cast: Cast, proposal: Proposal) -> None:
    bruno = participant(cast.resident2, cast.org)
    bruno.blocked_at = timezone.now()
    bruno.save()
    with pytest.raises(ActionRefused) as refused:
        _comment(cast, proposal, author=bruno)
    assert refused.value.decision.code == "blocked"
    assert Comment.objects.count() == 0


def test_it_refuses_past_the_hourly_limit_and_saves_nothing(cast: Cast, proposal: Proposal) -> None:
    cast.org.settings = {"participation": {"comments_per_hour": 2}}
    cast.org.save()
    bruno = participant(cast.resident2, cast.org)
    bruno.organisation.refresh_from_db()
    _comment(cast, proposal, "Un", author=bruno)
    _comment(cast, proposal, "Deux", author=bruno)
    with pytest.raises(ActionRefused) as refused:
        _comment(cast, proposal, "Trois", author=bruno)
    assert refused.value.decision.code == "rate_limited"
    assert "2 comments per hour" in str(refused.value.decision.message)
    assert Comment.objects.count() == 2
    proposal.refresh_from_db()
    assert proposal.comments_count == 2


def test_it_refuses_bad_input(cast: Cast, proposal: Proposal) -> None:
    for body, stance in [("   ", "for"), ("x" * 3001, "for"), ("Bien", "maybe")]:
        with pytest.raises(CommentError):
            _comment(cast, proposal, body, stance=stance)
    assert Comment.objects.count() == 0


def test_it_refuses_hidden_and_withdrawn_proposals(cast: Cast, proposal: Proposal) -> None:
    Proposal.objects.filter(pk=proposal.pk).update(state=Proposal.State.WITHDRAWN)
    proposal.refresh_from_db()
    with pytest.raises(CommentError):
        _comment(cast, proposal)
    assert Comment.objects.count() == 0


def test_it_lets_the_author_edit_within_the_window_only(cast: Cast, proposal: Proposal) -> None:
    bruno = participant(cast.resident2, cast.org)
    comment = _comment(cast, proposal, "Erreur de frappe", author=bruno)
    comment_edit(comment=comment, participant=bruno, body="Corrigé", stance="against")
    comment.refresh_from_db()
    assert (comment.body, comment.stance) == ("Corrigé", "against")
    assert comment.edited_at is not None
    alice = proposal.author
    with pytest.raises(CommentError):
        comment_edit(comment=comment, participant=alice, body="Pas à moi")
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(hours=1))
    comment.refresh_from_db()
    with pytest.raises(CommentError):
        comment_edit(comment=comment, participant=bruno, body="Trop tard")
    comment.refresh_from_db()
    assert comment.body == "Corrigé"


def test_it_counts_one_vote_per_person_and_moves_the_counters(
    cast: Cast, proposal: Proposal
) -> None:
    comment = _comment(cast, proposal)
    alice = proposal.author
    claire = participant(cast.association_manager, cast.org)
    comment_vote(comment=comment, participant=alice, value=1)
    comment_vote(comment=comment, participant=alice, value=1)
    comment_vote(comment=comment, participant=claire, value=1)
    comment.refresh_from_db()
    assert (comment.votes_up, comment.votes_down) == (2, 0)
    comment_vote(comment=comment, participant=alice, value=-1)
    comment.refresh_from_db()
    assert (comment.votes_up, comment.votes_down) == (1, 1)
    comment_vote(comment=comment, participant=alice, value=0)
    comment.refresh_from_db()
    assert (comment.votes_up, comment.votes_down) == (1, 0)
    assert CommentVote.objects.filter(comment=comment).count() == 1
    with pytest.raises(CommentError):
        comment_vote(comment=comment, participant=comment.author, value=1)
    with pytest.raises(CommentError):
        comment_vote(comment=comment, participant=claire, value=5)
    comment.refresh_from_db()
    assert (comment.votes_up, comment.votes_down) == (1, 0)


def test_it_comments_a_municipal_project(cast: Cast) -> None:
    process = make_process(cast.org, phases=(PhaseType.CONSULTATION,))
    project = MunicipalProject.objects.create(
        process=process, title="Nouvelle médiathèque", description="<p>Projet</p>"
    )
    bruno = participant(cast.resident2, cast.org)
    comment = comment_create(
        participant=bruno, subject=Subject(project=project), body="Enfin !", stance="for"
    )
    assert comment.project_id == project.pk and comment.proposal_id is None
    reply = comment_create(
        participant=participant(cast.resident, cast.org),
        subject=Subject(project=project),
        body="Oui",
        parent=comment,
    )
    assert reply.depth == 1
    assert Notification.objects.filter(kind="reply", recipient=bruno).count() == 1


def test_it_refuses_comments_on_a_hidden_proposal(cast: Cast, proposal: Proposal) -> None:
    Proposal.objects.filter(pk=proposal.pk).update(hidden_at=timezone.now(), hidden_reason="x")
    proposal.refresh_from_db()
    with pytest.raises(CommentError):
        _comment(cast, proposal)
    assert Comment.objects.count() == 0


def test_it_keeps_one_vote_per_person_in_the_database(cast: Cast, proposal: Proposal) -> None:
    from django.db import IntegrityError, transaction

    comment = _comment(cast, proposal)
    alice = proposal.author
    assert alice is not None
    CommentVote.objects.create(comment=comment, participant=alice, value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommentVote.objects.create(comment=comment, participant=alice, value=-1)
    assert CommentVote.objects.filter(comment=comment).count() == 1
