"""Participation API: processes, phases, proposals, supports, comments and the Atom feed of
proposals, with the pages' permission rules (the same services, the same ``access``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.alerts.tests.factories import make_address, make_subscriber, make_zone
from beffroi.api.tests.factories import bearer, make_token
from beffroi.participation.access import SMS_PARTICIPANT_SESSION_KEY
from beffroi.participation.models import (
    Category,
    Comment,
    Participant,
    PhaseType,
    Process,
    ProcessDocument,
    Proposal,
    Support,
)
from beffroi.participation.participants.services import participant_for_subscriber
from beffroi.participation.richtext import clean_html
from beffroi.participation.tests.factories import (
    make_process,
    make_proposal,
    participant,
    verified,
)
from beffroi.participation.tests.proposals.helpers import XSS_PAYLOADS
from beffroi.testing import Cast, at_once

BASE = "/api/v1/participation"
PROPOSAL = {
    "title": "Un composteur partagé square Jean-Moulin",
    "body": "Pour réduire les déchets du quartier et faire du terreau.",
}


@pytest.fixture(autouse=True)
def _no_api_budget(settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 0


def signed_in(client: Client, user: Any) -> Client:
    client.force_login(verified(user))
    return client


def post(client: Client, path: str, data: Any = None, **extra: Any) -> Any:
    return client.post(
        f"{BASE}{path}", data if data is not None else {}, content_type="application/json", **extra
    )


def blocked(user: Any, cast: Cast) -> Participant:
    person = participant(user, cast.org)
    person.blocked_at = timezone.now()
    person.blocked_reason = "Spam"
    person.save(update_fields=["blocked_at", "blocked_reason"])
    return person


# --- Processes -----------------------------------------------------------------------------


def test_it_lists_the_public_processes_of_the_requests_organisation(
    cast: Cast, client: Client
) -> None:
    make_process(cast.org, slug="idees")
    make_process(cast.org, slug="brouillon", status=Process.Status.DRAFT)
    make_process(cast.org, slug="avenir", open_phase=None)
    make_process(cast.other_org, slug="ailleurs")
    response = client.get(f"{BASE}/processes")
    assert response.status_code == 200
    rows = response.json()
    assert [(r["slug"], r["state"]) for r in rows] == [("idees", "open"), ("avenir", "upcoming")]
    assert rows[0]["open_actions"] == ["comment", "propose", "register_meeting", "support"]
    assert rows[0]["url"].endswith("/participer/idees/")
    assert [r["slug"] for r in client.get(f"{BASE}/processes?state=upcoming").json()] == ["avenir"]
    other = Client(HTTP_HOST="autreville.localhost")
    assert [r["slug"] for r in other.get(f"{BASE}/processes").json()] == ["ailleurs"]
    assert client.get(f"{BASE}/processes?state=nope").status_code == 422


def test_it_describes_a_process_with_its_phases_actions_categories_and_documents(
    cast: Cast, client: Client
) -> None:
    process = make_process(
        cast.org, phases=(PhaseType.PROPOSALS, PhaseType.ANALYSIS), support_threshold=10
    )
    Category.objects.create(process=process, name="Environnement")
    document = ProcessDocument(
        process=process, title="Le plan <b>du</b> quartier", content_type="application/pdf", size=8
    )
    document.file.save("plan.pdf", ContentFile(b"%PDF-1.4"), save=False)
    document.save()
    response = client.get(f"{BASE}/processes/idees")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Des idées pour Valmont"
    assert body["open_actions"] == ["comment", "propose", "register_meeting", "support"]
    assert [(p["type"], p["state"]) for p in body["phases"]] == [
        ("proposals", "open"),
        ("analysis", "upcoming"),
    ]
    assert body["phases"][1]["actions"] == []
    assert [c["name"] for c in body["categories"]] == ["Environnement"]
    assert body["documents"][0]["title"] == "Le plan <b>du</b> quartier"
    assert body["documents"][0]["url"].endswith(
        reverse("participation_processes:document", args=["idees", document.pk])
    )
    assert body["support_threshold"] == 10
    assert body["feed_url"].endswith("/participer/propositions/demarche/idees/flux.atom")
    phases = client.get(f"{BASE}/processes/idees/phases").json()
    assert [p["title"] for p in phases] == [p["title"] for p in body["phases"]]


def test_it_hides_drafts_and_other_organisations_processes_like_the_pages(
    cast: Cast, client: Client
) -> None:
    make_process(cast.org, slug="brouillon", status=Process.Status.DRAFT)
    make_process(cast.other_org, slug="ailleurs")
    for path in ("", "/phases", "/proposals", "/meetings", "/questionnaires"):
        assert client.get(f"{BASE}/processes/brouillon{path}").status_code == 404
        assert client.get(f"{BASE}/processes/ailleurs{path}").status_code == 404
    signed_in(client, cast.resident)
    assert client.get(f"{BASE}/processes/brouillon").status_code == 404
    # Its managers see it, as on the pages; through their token too.
    manager = Client()
    manager.force_login(cast.participation_manager)
    assert manager.get(f"{BASE}/processes/brouillon").status_code == 200
    key = make_token(cast.participation_manager, cast.org)
    assert Client().get(f"{BASE}/processes/brouillon", **bearer(key)).status_code == 200
    assert client.get(f"{BASE}/processes/bad%20slug").status_code == 422


# --- Proposals: reading --------------------------------------------------------------------


def test_it_lists_proposals_with_filters_sorts_and_pages(cast: Cast, client: Client) -> None:
    process = make_process(cast.org)
    green = Category.objects.create(process=process, name="Environnement")
    hamlet = make_zone(cast.org, "Hameau du Pré", 4.0, 45.0, 0.01)
    alice = participant(cast.resident, cast.org)
    made = []
    for index in range(5):
        proposal = make_proposal(
            process,
            alice,
            title=f"Proposition numéro {index}",
            category=green if index % 2 else None,
        )
        Proposal.objects.filter(pk=proposal.pk).update(
            supports_count=index, comments_count=5 - index
        )
        made.append(proposal)
    made[3].zones.add(hamlet)
    Proposal.objects.filter(pk=made[4].pk).update(
        state=Proposal.State.WITHDRAWN, withdrawn_at=timezone.now()
    )
    url = f"{BASE}/processes/idees/proposals"
    body = client.get(url).json()
    assert body["count"] == 4
    assert [p["title"][-1] for p in body["results"]] == ["3", "2", "1", "0"]
    assert body["results"][0]["supported"] is False
    assert body["results"][0]["url"].endswith(f"/participer/propositions/{made[3].pk}/")
    commented = client.get(f"{url}?sort=commented").json()["results"]
    assert [p["title"][-1] for p in commented] == ["0", "1", "2", "3"]
    assert [p["id"] for p in client.get(f"{url}?category={green.pk}").json()["results"]] == [
        made[3].pk,
        made[1].pk,
    ]
    zoned = client.get(f"{url}?zone={hamlet.pk}").json()["results"]
    assert [p["id"] for p in zoned] == [made[3].pk]
    assert zoned[0]["zones"] == [{"id": hamlet.pk, "name": "Hameau du Pré", "kind": hamlet.kind}]
    assert [p["id"] for p in client.get(f"{url}?q=numéro+2").json()["results"]] == [made[2].pk]
    withdrawn = client.get(f"{url}?status=withdrawn").json()["results"]
    assert [(p["id"], p["state"], p["withdrawn"]) for p in withdrawn] == [
        (made[4].pk, "withdrawn", True)
    ]
    first = client.get(f"{url}?per_page=3").json()
    second = client.get(f"{url}?per_page=3&page=2").json()
    assert (first["pages"], len(first["results"]), len(second["results"])) == (2, 3, 1)
    assert client.get(f"{url}?page=9").json()["results"] == []
    shuffled = client.get(f"{url}?sort=random&per_page=2").json()
    seed = shuffled["seed"]
    assert seed > 0
    again = client.get(f"{url}?sort=random&per_page=2&seed={seed}").json()
    rest = client.get(f"{url}?sort=random&per_page=2&seed={seed}&page=2").json()
    assert again["results"] == shuffled["results"]
    ids = [p["id"] for p in again["results"] + rest["results"]]
    assert sorted(ids) == sorted(p.pk for p in made[:4])
    assert client.get(f"{url}?sort=best").status_code == 422
    assert client.get(f"{url}?per_page=1000").status_code == 422


def test_it_never_shows_a_hidden_proposal_except_to_moderators(cast: Cast, client: Client) -> None:
    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    shown = make_proposal(process, alice, title="Un banc sous le tilleul")
    hidden = make_proposal(process, alice, title="Un banc caché par la modération")
    Proposal.objects.filter(pk=hidden.pk).update(hidden_at=timezone.now(), hidden_reason="Spam")
    url = f"{BASE}/processes/idees/proposals"
    for query in ("", "?q=banc", "?status=withdrawn", "?sort=random&seed=3", "?sort=newest"):
        ids = [p["id"] for p in client.get(url + query).json()["results"]]
        assert hidden.pk not in ids
    assert [p["id"] for p in client.get(url).json()["results"]] == [shown.pk]
    assert client.get(f"{BASE}/proposals/{hidden.pk}").status_code == 404
    assert client.get(f"{BASE}/proposals/{hidden.pk}/comments").status_code == 404
    signed_in(client, cast.resident2)
    assert client.get(f"{BASE}/proposals/{hidden.pk}").status_code == 404
    assert post(client, f"/proposals/{hidden.pk}/support").status_code == 404
    assert Support.objects.count() == 0
    moderator = Client()
    moderator.force_login(cast.moderator)
    assert moderator.get(f"{BASE}/proposals/{hidden.pk}").status_code == 200
    # Another organisation's proposal is missing, whoever asks.
    other = make_proposal(make_process(cast.other_org, slug="ailleurs"), None)
    assert moderator.get(f"{BASE}/proposals/{other.pk}").status_code == 404


def test_it_shows_a_proposal_with_its_answer_and_what_the_caller_may_do(
    cast: Cast, client: Client
) -> None:
    process = make_process(cast.org)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    Proposal.objects.filter(pk=proposal.pk).update(
        answer=Proposal.Answer.ACCEPTED, answer_text=clean_html("Retenu pour 2026.")
    )
    body = client.get(f"{BASE}/proposals/{proposal.pk}").json()
    assert body["author_name"] == "Alice M."
    assert body["answer"] == "accepted" and body["answer_label"] == "Accepted"
    assert body["answer_text"] == "<p>Retenu pour 2026.</p>"
    assert body["estimated_cost"] == "1200.00"
    assert body["can_support"] == {
        "allowed": False,
        "code": "login",
        "message": "Sign in, or confirm your mobile number with an SMS code, to take part.",
    }
    signed_in(client, cast.resident2)
    assert client.get(f"{BASE}/proposals/{proposal.pk}").json()["can_support"]["allowed"] is True
    assert client.get(f"{BASE}/proposals/0").status_code == 422
    assert client.get(f"{BASE}/proposals/{proposal.pk + 1000}").status_code == 404


# --- Proposals: writing --------------------------------------------------------------------


def test_it_publishes_a_residents_proposal(cast: Cast, client: Client) -> None:
    process = make_process(cast.org)
    category = Category.objects.create(process=process, name="Environnement")
    home = make_address(cast.org, 4.002, 45.002, "Le Pré")
    signed_in(client, cast.resident)
    response = post(
        client,
        "/processes/idees/proposals",
        {**PROPOSAL, "category": category.pk, "address_id": home.pk, "estimated_cost": "1500.50"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    proposal = Proposal.objects.get()
    assert body["id"] == proposal.pk
    assert proposal.author == participant(cast.resident, cast.org)
    assert proposal.category == category and proposal.address == home
    assert str(proposal.estimated_cost) == "1500.50"
    assert body["category"] == {"id": category.pk, "name": "Environnement"}
    assert body["body"] == "<p>Pour réduire les déchets du quartier et faire du terreau.</p>"
    assert body["author_name"] == "Alice M."


def test_it_refuses_proposals_as_the_pages_do(cast: Cast, client: Client) -> None:
    make_process(cast.org, phases=(PhaseType.PROPOSALS, PhaseType.DELIBERATION), open_phase=1)
    make_process(cast.org, slug="brouillon", status=Process.Status.DRAFT)
    url = "/processes/idees/proposals"
    anonymous = post(client, url, PROPOSAL)
    assert anonymous.status_code == 401
    signed_in(client, cast.resident)
    closed = post(client, url, PROPOSAL)
    assert closed.status_code == 403
    assert closed.json() == {
        "detail": "This is not possible in the current phase of the process.",
        "code": "phase_closed",
    }
    assert post(client, "/processes/brouillon/proposals", PROPOSAL).status_code == 404
    assert Proposal.objects.count() == 0


def test_it_refuses_bad_input_with_errors_per_field_and_writes_nothing(
    cast: Cast, client: Client
) -> None:
    process = make_process(cast.org)
    Category.objects.create(process=process, name="Environnement")
    signed_in(client, cast.resident)
    response = post(client, "/processes/idees/proposals", {"title": "Non", "body": "Court"})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["title"] == ["Give your proposal a title of at least 5 characters."]
    assert errors["body"] == ["Describe your proposal in at least 15 characters."]
    assert errors["category"] == ["Choose a category."]
    response = post(client, "/processes/idees/proposals", {**PROPOSAL, "lat": 45.0})
    assert response.status_code == 422
    response = post(client, "/processes/idees/proposals", {"title": 3})
    assert response.status_code == 422
    assert "body.payload.body" in response.json()["errors"]
    bad_json = client.post(
        f"{BASE}/processes/idees/proposals", "{", content_type="application/json"
    )
    assert bad_json.status_code in {400, 422}
    assert Proposal.objects.count() == 0


def test_it_refuses_a_blocked_participant_everywhere(cast: Cast, client: Client) -> None:
    process = make_process(cast.org)
    proposal = make_proposal(process, participant(cast.resident2, cast.org))
    blocked(cast.resident, cast)
    signed_in(client, cast.resident)
    for path, data in (
        ("/processes/idees/proposals", PROPOSAL),
        (f"/proposals/{proposal.pk}/support", {}),
        (f"/proposals/{proposal.pk}/comments", {"body": "Bonjour"}),
    ):
        response = post(client, path, data)
        assert response.status_code == 403, path
        assert response.json()["code"] == "blocked"
    assert Proposal.objects.count() == 1
    assert Support.objects.count() == 0 and Comment.objects.count() == 0


def test_it_refuses_an_unverified_email_address(cast: Cast, client: Client) -> None:
    make_process(cast.org)
    client.force_login(cast.resident)
    response = post(client, "/processes/idees/proposals", PROPOSAL)
    assert response.status_code == 403
    assert response.json()["code"] == "email_unverified"


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_it_returns_xss_payloads_as_inert_json_strings(
    cast: Cast, client: Client, payload: str
) -> None:
    make_process(cast.org)
    signed_in(client, cast.resident)
    title = f"Titre {payload}"[:150]
    response = post(
        client,
        "/processes/idees/proposals",
        {"title": title, "body": f"Un texte assez long {payload}"},
    )
    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/json")
    created = response.json()
    assert created["title"] == " ".join(title.split())
    for marker in ("<script", "onerror", "onload", "javascript:", "<iframe", "<style", "<svg"):
        assert marker not in created["body"].lower()
    proposal_id = created["id"]
    listed = client.get(f"{BASE}/processes/idees/proposals").json()["results"][0]
    assert listed["title"] == created["title"]
    comment = post(client, f"/proposals/{proposal_id}/comments", {"body": payload})
    assert comment.status_code == 201
    assert comment.json()["body"] == payload
    thread = client.get(f"{BASE}/proposals/{proposal_id}/comments").json()
    assert thread["comments"][0]["body"] == payload
    # What the resident wrote is stored as they wrote it and escaped by the pages.
    page = client.get(reverse("participation_proposals:detail", args=[proposal_id]))
    assert payload not in page.content.decode()


# --- Supports ------------------------------------------------------------------------------


def test_it_supports_once_and_withdraws_the_support(cast: Cast, client: Client) -> None:
    process = make_process(cast.org)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    signed_in(client, cast.resident2)
    url = f"/proposals/{proposal.pk}/support"
    first = post(client, url)
    assert first.status_code == 200
    assert first.json() == {"supported": True, "changed": True, "supports_count": 1}
    assert post(client, url).json() == {"supported": True, "changed": False, "supports_count": 1}
    assert client.get(f"{BASE}/proposals/{proposal.pk}").json()["supported"] is True
    listed = client.get(f"{BASE}/processes/idees/proposals").json()["results"]
    assert listed[0]["supported"] is True
    withdrawn = client.delete(f"{BASE}{url}")
    assert withdrawn.json() == {"supported": False, "changed": True, "supports_count": 0}
    assert client.delete(f"{BASE}{url}").json()["changed"] is False
    assert Support.objects.count() == 0


def test_it_refuses_supports_outside_a_support_phase_and_on_withdrawn_proposals(
    cast: Cast, client: Client
) -> None:
    process = make_process(cast.org, phases=(PhaseType.PROPOSALS, PhaseType.ANALYSIS), open_phase=1)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    signed_in(client, cast.resident2)
    response = post(client, f"/proposals/{proposal.pk}/support")
    assert response.status_code == 403 and response.json()["code"] == "phase_closed"
    assert client.delete(f"{BASE}/proposals/{proposal.pk}/support").json()["code"] == (
        "phase_closed"
    )
    open_process = make_process(cast.org, slug="ouverte")
    withdrawn = make_proposal(
        open_process, participant(cast.resident, cast.org), state=Proposal.State.WITHDRAWN
    )
    response = post(client, f"/proposals/{withdrawn.pk}/support")
    assert response.status_code == 403 and response.json()["code"] == "not_supportable"
    assert Support.objects.count() == 0


def test_it_lets_a_person_proven_by_sms_support_but_not_propose(cast: Cast, client: Client) -> None:
    process = make_process(cast.org)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    home = make_address(cast.org, 4.0, 45.0)
    subscriber = make_subscriber(cast.org, home, full_name="Jeanne Durand", sms="+33612345678")
    person = participant_for_subscriber(subscriber=subscriber)
    session = client.session
    session[SMS_PARTICIPANT_SESSION_KEY] = person.pk
    session.save()
    assert post(client, f"/proposals/{proposal.pk}/support").status_code == 200
    assert Support.objects.get().participant == person
    refused = post(client, "/processes/idees/proposals", PROPOSAL)
    assert refused.status_code == 403 and refused.json()["code"] == "account_needed"


def test_session_writes_need_the_csrf_token(cast: Cast) -> None:
    process = make_process(cast.org)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    client = Client(enforce_csrf_checks=True)
    signed_in(client, cast.resident2)
    url = f"{BASE}/proposals/{proposal.pk}/support"
    refused = client.post(url)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert Support.objects.count() == 0
    client.get(reverse("participation_proposals:detail", args=[proposal.pk]))
    token = client.cookies["csrftoken"].value
    assert client.post(url, HTTP_X_CSRFTOKEN=token).status_code == 200
    assert Support.objects.count() == 1
    # Without any session there is nothing to forge: 401, not a CSRF refusal.
    assert Client(enforce_csrf_checks=True).post(url).status_code == 401


def test_an_agents_token_takes_part_as_the_agent(cast: Cast) -> None:
    process = make_process(cast.org)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    key = make_token(verified(cast.front_desk), cast.org)
    client = Client()
    response = client.post(f"{BASE}/proposals/{proposal.pk}/support", **bearer(key))
    assert response.status_code == 200
    assert Support.objects.get().participant.user == cast.front_desk
    assert client.get(f"{BASE}/proposals/{proposal.pk}", **bearer(key)).json()["supported"]
    # A token of another commune does not work here.
    other_key = make_token(cast.other_admin, cast.other_org)
    denied = client.post(f"{BASE}/proposals/{proposal.pk}/support", **bearer(other_key))
    assert denied.status_code == 401


# SQLite's in-memory test database runs one writer (its shared-cache table locks fail at once
# instead of waiting): the race is real, and tested, on PostgreSQL.
concurrent = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite's in-memory test database runs one writer"
)


@concurrent
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_counts_one_support_out_of_50_concurrent_api_calls(settings: Any) -> None:
    from beffroi.testing import make_cast

    settings.API_RATE_LIMIT_PER_MINUTE = 0
    cast = make_cast()
    process = make_process(cast.org)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    bruno = participant(cast.resident2, cast.org)
    signer = Client()
    signer.force_login(cast.resident2)
    cookie = signer.cookies["sessionid"].value

    def attempt(_i: int) -> Any:
        client = Client()
        client.cookies["sessionid"] = cookie
        response = client.post(f"{BASE}/proposals/{proposal.pk}/support")
        return response.status_code, response.json()

    results = at_once(50, attempt)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    assert all(status == 200 for status, _body in results), results[:3]
    assert [body["changed"] for _status, body in results].count(True) == 1
    proposal.refresh_from_db()
    assert proposal.supports_count == 1
    assert list(Support.objects.values_list("participant_id", flat=True)) == [bruno.pk]


# --- Comments ------------------------------------------------------------------------------


def test_it_serves_the_thread_with_hidden_comments_replaced_by_the_notice(
    cast: Cast, client: Client
) -> None:
    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    bruno = participant(cast.resident2, cast.org)
    proposal = make_proposal(process, alice)
    common = {"organisation": cast.org, "process": process, "proposal": proposal}
    root = Comment.objects.create(**common, author=bruno, body="Bonne idée", stance="for")
    secret = "Un texte injurieux que personne ne doit relire"
    hidden = Comment.objects.create(
        **common, author=alice, body=secret, parent=root, depth=1,
        hidden_at=timezone.now(), hidden_reason="Propos injurieux",
    )  # fmt: skip
    Comment.objects.create(**common, author=bruno, body="Réponse", parent=hidden, depth=2)
    for reader in (client, Client()):
        if reader is not client:
            reader.force_login(cast.moderator)
        response = reader.get(f"{BASE}/proposals/{proposal.pk}/comments")
        assert response.status_code == 200
        assert secret not in response.content.decode()
        body = response.json()
        assert body["count"] == 1
        assert body["summary"] == {"total": 2, "for": 1, "against": 0, "neutral": 1}
        top = body["comments"][0]
        assert (top["body"], top["stance"], top["hidden"]) == ("Bonne idée", "for", False)
        masked = top["replies"][0]
        assert masked["hidden"] is True and masked["body"] == ""
        assert masked["notice"] == "Comment hidden by moderation: Propos injurieux"
        assert masked["replies"][0]["body"] == "Réponse"
    assert body["can_comment"]["allowed"] is False  # the moderator has no verified e-mail


def test_it_posts_comments_and_replies(cast: Cast, client: Client) -> None:
    process = make_process(cast.org)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    signed_in(client, cast.resident2)
    url = f"/proposals/{proposal.pk}/comments"
    first = post(client, url, {"body": "Très utile pour le quartier.", "stance": "for"})
    assert first.status_code == 201
    created = first.json()
    assert (created["body"], created["stance"], created["parent"]) == (
        "Très utile pour le quartier.",
        "for",
        None,
    )
    reply = post(client, url, {"body": "Je précise.", "parent": created["id"]})
    assert reply.status_code == 201 and reply.json()["depth"] == 1
    proposal.refresh_from_db()
    assert proposal.comments_count == 2
    thread = client.get(f"{BASE}{url}").json()["comments"]
    assert thread[0]["replies"][0]["body"] == "Je précise."
    other = make_proposal(process, None)
    foreign = Comment.objects.create(
        organisation=cast.org, process=process, proposal=other, body="Ailleurs"
    )
    wrong = post(client, url, {"body": "Réponse", "parent": foreign.pk})
    assert wrong.status_code == 422
    assert wrong.json()["errors"] == {"parent": ["The comment you answer no longer exists."]}
    empty = post(client, url, {"body": "   "})
    assert empty.status_code == 422 and empty.json()["errors"] == {"body": ["Write your comment."]}
    assert post(client, url, {"body": "x", "stance": "maybe"}).status_code == 422
    assert Comment.objects.filter(proposal=proposal).count() == 2


def test_it_refuses_comments_in_a_phase_without_comments(cast: Cast, client: Client) -> None:
    process = make_process(cast.org, phases=(PhaseType.PROPOSALS, PhaseType.ANALYSIS), open_phase=1)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    signed_in(client, cast.resident2)
    response = post(client, f"/proposals/{proposal.pk}/comments", {"body": "Trop tard ?"})
    assert response.status_code == 403 and response.json()["code"] == "phase_closed"
    assert post(Client(), f"/proposals/{proposal.pk}/comments", {"body": "x"}).status_code == 401
    assert Comment.objects.count() == 0


# --- The Atom feed -------------------------------------------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"


def test_it_publishes_an_atom_feed_of_the_visible_proposals(cast: Cast, client: Client) -> None:
    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    payload = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    older = make_proposal(process, alice, title="Un banc")
    Proposal.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=2))
    newer = make_proposal(process, alice, title=payload, body=f"Texte {payload}")
    hidden = make_proposal(process, alice, title="Caché")
    Proposal.objects.filter(pk=hidden.pk).update(hidden_at=timezone.now())
    url = reverse("participation_proposals:feed", args=["idees"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    text = response.content.decode()
    assert "<script" not in text and "<img" not in text
    feed = ElementTree.fromstring(response.content)
    assert feed.findtext(f"{ATOM}title") == "Proposals — Des idées pour Valmont"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [payload, "Un banc"]
    summary = entries[0].findtext(f"{ATOM}summary") or ""
    assert "<script" not in summary and "onerror" not in summary
    link = entries[0].find(f"{ATOM}link")
    assert link is not None and link.get("href", "").endswith(f"/propositions/{newer.pk}/")
    assert "Caché" not in text
    page = client.get(reverse("participation_proposals:list", args=["idees"])).content.decode()
    assert (
        f'type="application/atom+xml" title="Proposals — Des idées pour Valmont" href="{url}"'
        in page
    )


def test_the_feed_of_a_draft_or_another_communes_process_is_missing(
    cast: Cast, client: Client
) -> None:
    make_process(cast.org, slug="brouillon", status=Process.Status.DRAFT)
    make_process(cast.other_org, slug="ailleurs")
    for slug in ("brouillon", "ailleurs", "inconnue"):
        assert client.get(reverse("participation_proposals:feed", args=[slug])).status_code == 404


def test_it_lists_proposals_in_a_constant_number_of_queries(
    cast: Cast, client: Client, django_assert_max_num_queries: Any
) -> None:
    process = make_process(cast.org)
    category = Category.objects.create(process=process, name="Environnement")
    hamlet = make_zone(cast.org, "Hameau du Pré", 4.0, 45.0, 0.01)
    signed_in(client, cast.resident2)
    url = f"{BASE}/processes/idees/proposals?per_page=50"

    def add(count: int) -> None:
        for index in range(count):
            author = participant(cast.resident, cast.org)
            proposal = make_proposal(process, author, title=f"Idée {index}", category=category)
            proposal.zones.add(hamlet)

    add(3)
    client.get(url)  # the participant row of the reader is created once
    with django_assert_max_num_queries(12) as few:
        assert len(client.get(url).json()["results"]) == 3
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(url).json()["results"]) == 33
