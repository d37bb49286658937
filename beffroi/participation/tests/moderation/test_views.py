"""Moderation's pages: reporting, the queue, decisions, blocking, settings; access."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.core.models import AuditEvent
from beffroi.participation.comments.services import Subject, comment_create
from beffroi.participation.models import Comment, Participant, Proposal, Report
from beffroi.participation.moderation.services import Content, report_create
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.testing import Cast, login_verified, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposal(cast: Cast) -> Proposal:
    return make_proposal(
        make_process(cast.org),
        participant(cast.resident, cast.org),
        title="<script>alert('titre')</script> Un banc",
        body="<p>Un banc <img src=x onerror=alert(1)> au square</p>",
    )


@pytest.fixture
def comment(cast: Cast, proposal: Proposal) -> Comment:
    return comment_create(
        participant=participant(cast.resident2, cast.org),
        subject=Subject(proposal=proposal),
        body="<script>alert('commentaire')</script> idiot",
    )


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _moderator(cast: Cast) -> Client:
    return _client(cast.moderator)


def test_it_reports_a_comment_from_the_public_page(cast: Cast, comment: Comment) -> None:
    client = _client(cast.resident)
    participant(cast.resident, cast.org)
    url = reverse("participation_moderation:report_comment", args=[comment.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "&lt;script&gt;" in page.content.decode()
    response = client.post(url, {"reason": "offensive", "details": "Insulte"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    report = Report.objects.get()
    assert (report.comment_id, report.reason, report.details) == (
        comment.pk,
        "offensive",
        "Insulte",
    )
    again = client.post(url, {"reason": "spam"})
    assert again.status_code == 400
    assert "already reported" in again.content.decode()
    assert Report.objects.count() == 1


def test_it_asks_anonymous_people_to_sign_in_before_reporting(
    cast: Cast, proposal: Proposal
) -> None:
    url = reverse("participation_moderation:report_proposal", args=[proposal.pk])
    response = Client().post(url, {"reason": "spam"})
    assert response.status_code == 403
    assert Report.objects.count() == 0


def test_it_answers_404_for_another_organisations_content(cast: Cast) -> None:
    foreign = make_proposal(make_process(cast.other_org), None)
    assert (
        _client(cast.resident)
        .get(reverse("participation_moderation:report_proposal", args=[foreign.pk]))
        .status_code
        == 404
    )
    client = _moderator(cast)
    assert (
        client.get(
            reverse("participation_moderation_backoffice:proposal", args=[foreign.pk])
        ).status_code
        == 404
    )
    response = client.post(
        reverse(
            "participation_moderation_backoffice:proposal_decide", args=[foreign.pk, "masquer"]
        ),
        {"reason": "Non"},
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.hidden_at is None


def test_it_groups_the_queue_by_content_and_closes_it_to_residents(
    cast: Cast, comment: Comment, proposal: Proposal
) -> None:
    for index in range(2):
        reporter = participant(make_user(f"r{index}@example.org"), cast.org)
        report_create(reporter=reporter, content=Content(comment=comment), reason="offensive")
    report_create(
        reporter=participant(cast.resident2, cast.org),
        content=Content(proposal=proposal),
        reason="spam",
    )
    url = reverse("participation_moderation_backoffice:queue")
    assert _client(cast.resident).get(url).status_code == 403
    page = _moderator(cast).get(url).content.decode()
    assert "2 reported contents to review" in page
    assert "2 reports" in page and "1 report" in page
    assert page.count('class="moderation-group"') == 2
    assert "<script>alert" not in page


def test_it_hides_restores_and_keeps_through_the_pages(
    cast: Cast, comment: Comment, proposal: Proposal
) -> None:
    client = _moderator(cast)
    detail = reverse("participation_moderation_backoffice:comment", args=[comment.pk])
    page = client.get(detail)
    assert page.status_code == 200
    assert "<script>alert" not in page.content.decode()
    hide = reverse(
        "participation_moderation_backoffice:comment_decide", args=[comment.pk, "masquer"]
    )
    response = client.post(hide, {"reason": ""})
    assert response.status_code == 400
    comment.refresh_from_db()
    assert comment.hidden_at is None
    response = client.post(hide, {"reason": "Propos insultants"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.hidden_reason == "Propos insultants"
    # Residents see the reason, not the text; the moderator's proposal page shows both.
    thread = (
        Client()
        .get(reverse("participation_comments:proposal_thread", args=[proposal.pk]))
        .content.decode()
    )
    assert "Propos insultants" in thread and "idiot" not in thread
    moderated = client.get(
        reverse("participation_moderation_backoffice:proposal", args=[proposal.pk])
    ).content.decode()
    assert "idiot" in moderated and "Text seen by moderators only" in moderated
    assert "<img src=x onerror" not in moderated and "<script>alert" not in moderated
    client.post(
        reverse("participation_moderation_backoffice:comment_decide", args=[comment.pk, "retablir"])
    )
    comment.refresh_from_db()
    assert comment.hidden_at is None
    report_create(
        reporter=participant(cast.resident, cast.org),
        content=Content(comment=comment),
        reason="spam",
    )
    response = client.post(
        reverse(
            "participation_moderation_backoffice:comment_decide", args=[comment.pk, "conserver"]
        ),
        {"back": "queue"},
    )
    assert response["Location"] == reverse("participation_moderation_backoffice:queue")
    assert Report.objects.get().decision == Report.Decision.KEPT
    # The recent decisions name what was decided in words, not by an internal model label.
    queue = client.get(reverse("participation_moderation_backoffice:queue")).content.decode()
    assert f"(comment {comment.pk})" in queue and "participation.comment" not in queue
    assert (
        client.post(
            reverse(
                "participation_moderation_backoffice:comment_decide", args=[comment.pk, "effacer"]
            )
        ).status_code
        == 404
    )
    assert AuditEvent.objects.filter(action__startswith="participation.moderation.").count() == 3


def test_it_hides_a_proposal_and_residents_get_404(cast: Cast, proposal: Proposal) -> None:
    client = _moderator(cast)
    client.post(
        reverse(
            "participation_moderation_backoffice:proposal_decide", args=[proposal.pk, "masquer"]
        ),
        {"reason": "Publicité"},
    )
    proposal.refresh_from_db()
    assert proposal.hidden_at is not None
    thread = reverse("participation_comments:proposal_thread", args=[proposal.pk])
    assert _client(cast.resident2).get(thread).status_code == 404


def test_it_blocks_a_participant_who_then_cannot_comment(cast: Cast, proposal: Proposal) -> None:
    bruno = participant(cast.resident2, cast.org)
    client = _moderator(cast)
    page = client.get(reverse("participation_moderation_backoffice:participant", args=[bruno.pk]))
    assert page.status_code == 200
    block = reverse("participation_moderation_backoffice:block", args=[bruno.pk])
    assert client.post(block, {"reason": ""}).status_code == 400
    assert client.post(block, {"reason": "Spam"}).status_code == 302
    bruno.refresh_from_db()
    assert bruno.blocked_at is not None
    listing = client.get(reverse("participation_moderation_backoffice:blocked")).content.decode()
    assert "Bruno P." in listing
    response = _client(cast.resident2).post(
        reverse("participation_comments:proposal_thread", args=[proposal.pk]),
        {"body": "Bloqué ?", "stance": "for"},
    )
    assert response.status_code == 403
    assert Comment.objects.count() == 0
    client.post(reverse("participation_moderation_backoffice:unblock", args=[bruno.pk]))
    bruno.refresh_from_db()
    assert bruno.blocked_at is None
    # Residents cannot block.
    other = Participant.objects.get(pk=participant(cast.resident, cast.org).pk)
    response = _client(cast.resident2).post(
        reverse("participation_moderation_backoffice:block", args=[other.pk]), {"reason": "x"}
    )
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.blocked_at is None


def test_it_lets_managers_set_the_thresholds(cast: Cast) -> None:
    url = reverse("participation_moderation_backoffice:settings")
    assert _moderator(cast).get(url).status_code == 403
    client = _client(cast.participation_manager)
    page = client.get(url)
    assert page.status_code == 200 and 'value="3"' in page.content.decode()
    response = client.post(
        url, {"auto_hide_reports": "0", "proposals_per_hour": "5", "comments_per_hour": "30"}
    )
    assert response.status_code == 400
    cast.org.refresh_from_db()
    assert "participation" not in cast.org.settings
    response = client.post(
        url, {"auto_hide_reports": "5", "proposals_per_hour": "1", "comments_per_hour": "10"}
    )
    assert response.status_code == 302
    cast.org.refresh_from_db()
    assert cast.org.settings["participation"]["auto_hide_reports"] == 5
    admin = Client()
    login_verified(admin, cast.administrator)
    assert admin.get(url).status_code == 200


def test_it_says_before_the_form_that_ones_own_or_a_reported_comment_cannot_be_reported(
    cast: Cast,
) -> None:
    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    bruno = participant(cast.resident2, cast.org)
    proposal = make_proposal(process, alice)
    comment = Comment.objects.create(
        organisation=cast.org, process=process, proposal=proposal, author=alice, body="Mon avis"
    )
    url = reverse("participation_moderation:report_comment", args=[comment.pk])
    own = Client()
    own.force_login(cast.resident)
    page = own.get(url).content.decode()
    assert "You cannot report your own contribution." in page and "<select" not in page
    Report.objects.create(
        organisation=cast.org, comment=comment, reporter=bruno, reason=Report.Reason.SPAM
    )
    other = Client()
    other.force_login(cast.resident2)
    page = other.get(url).content.decode()
    assert "You have already reported this content" in page and "<select" not in page
