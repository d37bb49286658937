"""Comments' pages: posting with and without JavaScript, errors, refusals, XSS, hidden text."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.participation.comments.services import Subject, comment_create
from beffroi.participation.models import Comment, CommentVote, PhaseType, Proposal
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.testing import Cast

pytestmark = pytest.mark.django_db

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "</textarea><script>alert(2)</script>",
]


@pytest.fixture
def proposal(cast: Cast) -> Proposal:
    return make_proposal(make_process(cast.org), participant(cast.resident, cast.org))


def _url(proposal: Proposal) -> str:
    return reverse("participation_comments:proposal_thread", args=[proposal.pk])


def _logged(cast: Cast, user: object | None = None) -> Client:
    client = Client()
    participant(cast.resident2, cast.org)  # verified e-mail
    client.force_login(user or cast.resident2)  # type: ignore[arg-type]
    return client


def test_it_posts_a_comment_without_javascript_and_goes_back(
    cast: Cast, proposal: Proposal
) -> None:
    client = _logged(cast)
    response = client.post(
        _url(proposal),
        {"body": "Très bonne idée", "stance": "for", "next": "/participer/idees/?x=1"},
    )
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/participer/idees/?x=1#comment-{comment.pk}"
    assert (comment.body, comment.stance, comment.depth) == ("Très bonne idée", "for", 0)


def test_it_ignores_a_next_of_another_site(cast: Cast, proposal: Proposal) -> None:
    client = _logged(cast)
    response = client.post(
        _url(proposal), {"body": "Oui", "stance": "for", "next": "https://evil.example/"}
    )
    assert "evil" not in response["Location"]


def test_it_posts_with_htmx_and_answers_the_thread(cast: Cast, proposal: Proposal) -> None:
    client = _logged(cast)
    response = client.post(
        _url(proposal), {"body": "Avec htmx", "stance": "against"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("<section")
    assert "Avec htmx" in html and "Your comment was published." in html
    assert "<html" not in html


def test_it_replies_and_shows_the_reply_nested(cast: Cast, proposal: Proposal) -> None:
    root = comment_create(
        participant=participant(cast.resident, cast.org),
        subject=Subject(proposal=proposal),
        body="Racine",
    )
    client = _logged(cast)
    response = client.post(
        _url(proposal), {"body": "Réponse", "stance": "neutral", "parent": root.pk}
    )
    assert response.status_code == 302
    reply = Comment.objects.get(parent=root)
    page = client.get(_url(proposal)).content.decode()
    assert page.index(f'id="comment-{root.pk}"') < page.index(f'id="comment-{reply.pk}"')
    assert 'class="comment-replies"' in page


def test_it_shows_errors_on_the_discussion_page_and_saves_nothing(
    cast: Cast, proposal: Proposal
) -> None:
    client = _logged(cast)
    response = client.post(_url(proposal), {"body": "   ", "stance": "for"})
    assert response.status_code == 400
    assert "Write your comment." in response.content.decode()
    assert "error-summary" in response.content.decode()
    assert Comment.objects.count() == 0


def test_it_answers_404_for_another_organisations_proposal(cast: Cast) -> None:
    other = make_proposal(make_process(cast.other_org), None)
    client = _logged(cast)
    assert client.get(_url(other)).status_code == 404
    assert client.post(_url(other), {"body": "Oui", "stance": "for"}).status_code == 404
    assert Comment.objects.count() == 0


def test_it_refuses_a_blocked_participant(cast: Cast, proposal: Proposal) -> None:
    bruno = participant(cast.resident2, cast.org)
    bruno.blocked_at = timezone.now()
    bruno.save()
    client = _logged(cast)
    response = client.post(_url(proposal), {"body": "Je reviens", "stance": "for"})
    assert response.status_code == 403
    assert "suspended by the moderators" in response.content.decode()
    assert Comment.objects.count() == 0


def test_it_refuses_comments_in_a_phase_without_them(cast: Cast) -> None:
    proposal = make_proposal(make_process(cast.org, phases=(PhaseType.ANALYSIS,)), None)
    client = _logged(cast)
    page = client.get(_url(proposal)).content.decode()
    assert "not possible in the current phase" in page
    assert 'name="body"' not in page
    response = client.post(_url(proposal), {"body": "Quand même", "stance": "for"})
    assert response.status_code == 403
    assert Comment.objects.count() == 0


def test_it_shows_the_rate_limit_and_saves_nothing(cast: Cast, proposal: Proposal) -> None:
    cast.org.settings = {"participation": {"comments_per_hour": 1}}
    cast.org.save()
    client = _logged(cast)
    client.post(_url(proposal), {"body": "Un", "stance": "for"})
    response = client.post(_url(proposal), {"body": "Deux", "stance": "for"})
    assert response.status_code == 403
    assert "limit of 1 comment per hour" in response.content.decode()
    assert list(Comment.objects.values_list("body", flat=True)) == ["Un"]


@pytest.mark.french
def test_it_says_the_rate_limit_in_french(cast: Cast, proposal: Proposal) -> None:
    cast.org.settings = {"participation": {"comments_per_hour": 1}}
    cast.org.save()
    client = _logged(cast)
    client.cookies["django_language"] = "fr"
    client.post(_url(proposal), {"body": "Un", "stance": "for"})
    response = client.post(_url(proposal), {"body": "Deux", "stance": "for"})
    assert response.status_code == 403
    assert "limite de 1 commentaire par heure" in response.content.decode()


def test_it_renders_xss_payloads_inert(cast: Cast, proposal: Proposal) -> None:
    bruno = participant(cast.resident2, cast.org)
    bruno.display_name = '<b onmouseover="alert(1)">Bruno</b>'
    bruno.save()
    client = _logged(cast)
    for payload in XSS:
        response = client.post(_url(proposal), {"body": payload, "stance": "for"})
        assert response.status_code == 302
    page = client.get(_url(proposal)).content.decode()
    for payload in XSS:
        if "<" in payload:
            assert payload not in page
    assert 'href="javascript' not in page
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b onmouseover" not in page


def test_it_hides_the_text_of_a_hidden_comment_from_residents(
    cast: Cast, proposal: Proposal
) -> None:
    comment = comment_create(
        participant=participant(cast.resident, cast.org),
        subject=Subject(proposal=proposal),
        body="Texte injurieux",
    )
    Comment.objects.filter(pk=comment.pk).update(
        hidden_at=timezone.now(), hidden_reason="Propos insultants"
    )
    page = _logged(cast).get(_url(proposal)).content.decode()
    assert "Texte injurieux" not in page
    assert "Comment hidden by moderation: Propos insultants" in page
    # The permalink of a hidden comment is gone for residents.
    response = _logged(cast).get(reverse("participation_comments:goto", args=[comment.pk]))
    assert response.status_code == 404


def test_it_shows_stances_in_words_and_the_summary(cast: Cast, proposal: Proposal) -> None:
    alice = participant(cast.resident, cast.org)
    for stance in ("for", "for", "against"):
        comment_create(
            participant=alice, subject=Subject(proposal=proposal), body="x", stance=stance
        )
    page = Client().get(_url(proposal)).content.decode()
    assert "3 comments" in page
    assert 'class="comment-summary-count">2<' in page
    assert 'class="comment-summary-count">1<' in page
    assert ">+</span> For" in page and ">−</span> Against" in page


def test_it_votes_without_javascript_and_with_htmx(cast: Cast, proposal: Proposal) -> None:
    comment = comment_create(
        participant=participant(cast.resident, cast.org),
        subject=Subject(proposal=proposal),
        body="Votez",
    )
    client = _logged(cast)
    url = reverse("participation_comments:vote", args=[comment.pk])
    response = client.post(url, {"value": "1"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.votes_up == 1
    response = client.post(url, {"value": "-1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    comment.refresh_from_db()
    assert (comment.votes_up, comment.votes_down) == (0, 1)
    assert CommentVote.objects.count() == 1


def test_it_sorts_best_rated_first(cast: Cast, proposal: Proposal) -> None:
    alice = participant(cast.resident, cast.org)
    subject = Subject(proposal=proposal)
    low = comment_create(participant=alice, subject=subject, body="Moins bien")
    best = comment_create(participant=alice, subject=subject, body="Le meilleur")
    Comment.objects.filter(pk=best.pk).update(votes_up=5)
    page = Client().get(_url(proposal) + "?comments_sort=best").content.decode()
    assert page.index(f'id="comment-{best.pk}"') < page.index(f'id="comment-{low.pk}"')
    page = Client().get(_url(proposal)).content.decode()
    assert page.index(f'id="comment-{low.pk}"') < page.index(f'id="comment-{best.pk}"')


def test_it_edits_through_the_page(cast: Cast, proposal: Proposal) -> None:
    bruno = participant(cast.resident2, cast.org)
    comment = comment_create(participant=bruno, subject=Subject(proposal=proposal), body="Avant")
    client = _logged(cast)
    url = reverse("participation_comments:edit", args=[comment.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"body": "Après", "stance": "for"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Après"
    # Someone else is sent back with a message, nothing changed.
    other = Client()
    other.force_login(cast.resident)
    response = other.post(url, {"body": "Pirate", "stance": "for"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Après"


def test_it_redirects_a_permalink_to_the_comment(cast: Cast, proposal: Proposal) -> None:
    comment = comment_create(
        participant=participant(cast.resident, cast.org),
        subject=Subject(proposal=proposal),
        body="Lien",
    )
    response = Client().get(reverse("participation_comments:goto", args=[comment.pk]))
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{comment.pk}")
