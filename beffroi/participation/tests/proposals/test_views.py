"""Proposals pages: list, map data, detail, writing with files, supports, the back office;
refusals (closed phase, another organisation, hidden), inert XSS, constant query counts."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from beffroi.alerts.tests.factories import territory  # noqa: F401 — a fixture
from beffroi.participation.models import (
    Phase,
    PhaseType,
    Proposal,
    ProposalFile,
    Support,
)
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.participation.tests.proposals.helpers import (
    XSS_PAYLOADS,
    fake_pdf,
    jpeg_with_gps,
    pdf,
    png,
)
from beffroi.testing import Cast, login_verified


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Un composteur partagé square Jean-Moulin",
        "body": "Pour réduire les déchets du quartier et faire du terreau.",
        "action": "publish",
    }
    data.update(overrides)
    return data


def test_it_lists_proposals_with_filters_and_keeps_the_random_seed(cast: Cast) -> None:
    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    for i in range(25):
        make_proposal(process, alice, title=f"Proposition numéro {i:02d}", supports_count=i)
    url = reverse("participation_proposals:list", args=[process.slug])
    response = Client().get(url)
    assert response.status_code == 200
    assert "25 proposals" in response.content.decode()
    assert "Proposition numéro 24" in response.content.decode()
    reseeded = Client().get(url, {"sort": "random"})
    assert reseeded.status_code == 302 and "seed=" in reseeded["Location"]
    first = Client().get(reseeded["Location"])
    again = Client().get(reseeded["Location"])
    titles = [p.title for p in first.context["proposals"]]
    assert titles == [p.title for p in again.context["proposals"]]
    # Paging keeps the seed: page 2 holds exactly the rest.
    assert "seed=" in first.content.decode().split('aria-label="Pagination"')[1]
    second = Client().get(reseeded["Location"] + "&page=2")
    rest = [p.title for p in second.context["proposals"]]
    assert len(rest) == 5 and not set(rest) & set(titles)
    searched = Client().get(url, {"q": "numéro 07"})
    assert [p.title for p in searched.context["proposals"]] == ["Proposition numéro 07"]


def test_it_answers_404_for_another_organisations_process_and_proposal(cast: Cast) -> None:
    process = make_process(cast.other_org, slug="ailleurs")
    proposal = make_proposal(process, None)
    client = _client(cast.resident)
    assert client.get(reverse("participation_proposals:list", args=["ailleurs"])).status_code == 404
    assert (
        client.get(reverse("participation_proposals:detail", args=[proposal.pk])).status_code == 404
    )
    response = client.post(reverse("participation_proposals:support", args=[proposal.pk]))
    assert response.status_code == 404
    assert not Support.objects.exists()


def test_it_hides_hidden_proposals_from_pages_map_and_suggestions(cast: Cast) -> None:
    process = make_process(cast.org)
    hidden = make_proposal(
        process,
        None,
        title="Composteur caché",
        body="<p>Texte secret</p>",
        lat=45.0,
        lon=4.0,
        hidden_at=timezone.now(),
        hidden_reason="Publicité",
    )
    shown = make_proposal(process, None, title="Composteur visible", lat=45.0, lon=4.0)
    client = Client()
    listing = client.get(reverse("participation_proposals:list", args=[process.slug])).content
    assert b"Composteur visible" in listing and b"Composteur cach" not in listing
    geojson = client.get(reverse("participation_proposals:geojson", args=[process.slug])).json()
    assert [f["id"] for f in geojson["features"]] == [shown.pk]
    # Its page gives the moderators' public reason in place of the content.
    gone = client.get(reverse("participation_proposals:detail", args=[hidden.pk]))
    assert gone.status_code == 410
    page = gone.content.decode()
    assert "The moderators hid this proposal: Publicité" in page
    assert "Composteur cach" not in page and "Texte secret" not in page
    similar = client.post(
        reverse("participation_proposals:similar", args=[process.slug]),
        {"title": "Composteur", "body": ""},
    )
    assert b"Composteur visible" in similar.content and b"cach" not in similar.content


def test_it_serves_map_data_for_proposals_with_a_point_only(cast: Cast) -> None:
    process = make_process(cast.org)
    placed = make_proposal(process, None, title='<b>"Bancs"</b>', lat=45.001, lon=4.002)
    make_proposal(process, None, title="Sans lieu")
    data = Client().get(reverse("participation_proposals:geojson", args=[process.slug])).json()
    assert data["type"] == "FeatureCollection"
    [feature] = data["features"]
    assert feature["id"] == placed.pk
    assert feature["geometry"] == {"type": "Point", "coordinates": [4.002, 45.001]}
    assert feature["properties"]["url"] == reverse(
        "participation_proposals:detail", args=[placed.pk]
    )
    page = Client().get(reverse("participation_proposals:map", args=[process.slug]))
    assert page.status_code == 200 and b"1 proposal has no place" in page.content


def _queries(client: Client, url: str, **params: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def _grow(process: Any, authors: list[Any], supporter: Any, count: int) -> Any:
    proposal = None
    for i in range(count):
        proposal = make_proposal(process, authors[i % 2], title=f"Idée {i}", lat=45.0, lon=4.0)
        Support.objects.create(proposal=proposal, participant=supporter)
    return proposal


def test_it_reads_pages_in_a_constant_number_of_queries(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    """The same number of queries at 5 and at 45 proposals (list, detail, map data),
    whatever the base template and context processors cost: measured at the small size,
    then enforced at the larger one."""
    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    bruno = participant(cast.resident2, cast.org)
    latest = _grow(process, [alice, bruno], bruno, 5)
    client = _client(cast.resident2)
    list_url = reverse("participation_proposals:list", args=[process.slug])
    geojson_url = reverse("participation_proposals:geojson", args=[process.slug])
    client.get(list_url)  # warm the organisation cache
    small = {
        "list": _queries(client, list_url, sort="supported"),
        "random": _queries(client, list_url, sort="random", seed="7", page="1"),
        "detail": _queries(client, reverse("participation_proposals:detail", args=[latest.pk])),
        "geojson": _queries(client, geojson_url),
    }
    latest = _grow(process, [alice, bruno], bruno, 40)
    with django_assert_max_num_queries(small["list"]):
        client.get(list_url, {"sort": "supported"})
    with django_assert_max_num_queries(small["random"]):
        client.get(list_url, {"sort": "random", "seed": "7", "page": "2"})
    with django_assert_max_num_queries(small["detail"]):
        client.get(reverse("participation_proposals:detail", args=[latest.pk]))
    with django_assert_max_num_queries(small["geojson"]):
        client.get(geojson_url)
    # And a sane absolute bound for the list: our own part is a handful of queries.
    assert small["list"] <= 20, small


def test_it_publishes_a_proposal_and_strips_the_photos_metadata(
    cast: Cast, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    process = make_process(cast.org)
    client = _client(cast.resident)
    participant(cast.resident, cast.org)
    photo = jpeg_with_gps()
    assert b"PhoneMaker" in photo.read() and photo.seek(0) == 0
    response = client.post(
        reverse("participation_proposals:create", args=[process.slug]),
        _form(
            image_1=photo, image_alt_1="Le square vu de la rue", attachment_1=pdf("devis <b>.pdf")
        ),
    )
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("participation_proposals:detail", args=[proposal.pk])
    image = proposal.files.get(kind=ProposalFile.Kind.IMAGE)
    stored = image.file.read()
    assert b"PhoneMaker" not in stored and b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as reopened:
        assert not reopened.getexif() and 0x8825 not in reopened.getexif()
    attachment = proposal.files.get(kind=ProposalFile.Kind.ATTACHMENT)
    assert attachment.original_name == "devis <b>.pdf" and "<" not in attachment.file.name
    detail = client.get(response["Location"]).content.decode()
    assert "devis &lt;b&gt;.pdf" in detail and 'alt="Le square vu de la rue"' in detail
    served = client.get(reverse("participation_proposals:file", args=[image.pk]))
    assert served["Content-Type"] == "image/jpeg"
    download = client.get(reverse("participation_proposals:file", args=[attachment.pk]))
    assert download["Content-Disposition"].startswith("attachment")


def test_it_refuses_a_fake_pdf_and_an_oversized_file_and_writes_nothing(
    cast: Cast, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.PARTICIPATION_UPLOAD_MAX_BYTES = 2048
    process = make_process(cast.org)
    client = _client(cast.resident)
    participant(cast.resident, cast.org)
    url = reverse("participation_proposals:create", args=[process.slug])
    response = client.post(url, _form(attachment_1=fake_pdf()))
    assert response.status_code == 200
    assert "Only PDF, OpenDocument and Office" in response.content.decode()
    response = client.post(url, _form(attachment_1=pdf(size=4096)))
    assert "The file is too large" in response.content.decode()
    response = client.post(url, _form(image_1=png()))
    assert "Describe the image" in response.content.decode()
    assert not Proposal.objects.exists() and not ProposalFile.objects.exists()
    assert not list(tmp_path.rglob("*.*"))


def test_it_drops_a_jpeg_comment_from_uploaded_photos(cast: Cast) -> None:
    from beffroi.participation.files import image_checked

    checked = image_checked(jpeg_with_gps(comment=b"secret-comment"))
    assert b"secret-comment" not in checked.content.read()


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_it_renders_xss_payloads_inert(
    cast: Cast, payload: str, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    process = make_process(cast.org)
    client = _client(cast.resident)
    participant(cast.resident, cast.org)
    client.post(
        reverse("participation_proposals:create", args=[process.slug]),
        _form(
            title=f"Idée {payload}",
            body=f"Une description assez longue {payload}",
            attachment_1=pdf(f"{payload}.pdf"),
        ),
    )
    proposal = Proposal.objects.get()
    pages = [
        client.get(reverse("participation_proposals:detail", args=[proposal.pk])),
        client.get(reverse("participation_proposals:list", args=[process.slug])),
        client.post(
            reverse("participation_proposals:similar", args=[process.slug]),
            {"title": "Idée description"},
        ),
    ]
    for page in pages:
        html = page.content.decode()
        for marker in (
            "<script>alert",
            "<img src=x",
            "<svg onload",
            "<iframe",
            'href="javascript',
            "<style>body",
        ):
            assert marker not in html, (marker, page.request["PATH_INFO"])


def test_it_refuses_to_propose_in_a_closed_phase_and_to_anonymous_visitors(cast: Cast) -> None:
    process = make_process(cast.org)
    url = reverse("participation_proposals:create", args=[process.slug])
    # Someone not signed in is taken to the sign-in, then back to the form.
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"{reverse('accounts:login')}?next={url}"
    # And a button leads there from the list.
    listing = Client().get(reverse("participation_proposals:list", args=[process.slug]))
    assert url.encode() in listing.content
    Phase.objects.filter(process=process).update(mode=Phase.Mode.CLOSED)
    client = _client(cast.resident)
    participant(cast.resident, cast.org)
    response = client.post(url, _form())
    assert response.status_code == 403
    assert b"not possible in the current phase" in response.content
    assert not Proposal.objects.exists()


def test_it_supports_and_withdraws_from_the_page(cast: Cast) -> None:
    process = make_process(cast.org)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    participant(cast.resident2, cast.org)
    client = _client(cast.resident2)
    support = reverse("participation_proposals:support", args=[proposal.pk])
    assert client.post(support).status_code == 302
    assert client.post(support, HTTP_HX_REQUEST="true").status_code == 200
    proposal.refresh_from_db()
    assert proposal.supports_count == 1
    detail = client.get(reverse("participation_proposals:detail", args=[proposal.pk])).content
    assert b"Withdraw my support" in detail and b"1 support" in detail
    Phase.objects.filter(process=process).update(mode=Phase.Mode.CLOSED)
    client.post(reverse("participation_proposals:unsupport", args=[proposal.pk]))
    proposal.refresh_from_db()
    assert proposal.supports_count == 1
    assert client.get(support).status_code == 405


def test_it_follows_and_unfollows(cast: Cast) -> None:
    process = make_process(cast.org)
    proposal = make_proposal(process, None)
    bruno = participant(cast.resident2, cast.org)
    client = _client(cast.resident2)
    client.post(reverse("participation_proposals:follow", args=[proposal.pk]))
    assert proposal.follows.filter(participant=bruno).exists()
    client.post(reverse("participation_proposals:unfollow", args=[proposal.pk]))
    assert not proposal.follows.exists()


def test_it_edits_within_the_window_then_refuses(cast: Cast) -> None:
    process = make_process(cast.org, edit_window_minutes=10)
    alice = participant(cast.resident, cast.org)
    proposal = make_proposal(process, alice, body="Premier paragraphe.\n\nSecond paragraphe.")
    client = _client(cast.resident)
    url = reverse("participation_proposals:update", args=[proposal.pk])
    page = client.get(url)
    assert "Premier paragraphe.\n\nSecond paragraphe." in page.content.decode()
    response = client.post(url, _form(title="Un composteur et des bancs"))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.title == "Un composteur et des bancs" and proposal.versions.count() == 1
    history = client.get(reverse("participation_proposals:versions", args=[proposal.pk]))
    assert b"Un composteur partag" in history.content
    Proposal.objects.filter(pk=proposal.pk).update(
        created_at=timezone.now() - timezone.timedelta(minutes=11)
    )
    refused = client.post(url, _form(title="Encore une modification"))
    assert refused.status_code == 403
    proposal.refresh_from_db()
    assert proposal.title == "Un composteur et des bancs"
    other = _client(cast.resident2)
    assert (
        other.post(reverse("participation_proposals:withdraw", args=[proposal.pk])).status_code
        == 403
    )
    client.post(reverse("participation_proposals:withdraw", args=[proposal.pk]))
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.WITHDRAWN


def test_it_lets_managers_answer_and_review_in_the_back_office(cast: Cast) -> None:
    process = make_process(cast.org)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    manager = Client()
    login_verified(manager, cast.participation_manager)
    assert manager.get(reverse("participation_proposals_backoffice:index")).status_code == 200
    listing = manager.get(reverse("participation_proposals_backoffice:list", args=[process.pk]))
    assert proposal.title.encode() in listing.content
    url = reverse("participation_proposals_backoffice:review", args=[proposal.pk])
    bad = manager.post(url, {"form": "answer", "answer-answer": "maybe", "answer-text": ""})
    assert bad.status_code == 200 and b"error-summary" in bad.content
    manager.post(
        url, {"form": "answer", "answer-answer": "rejected", "answer-text": "Hors budget."}
    )
    manager.post(
        url,
        {
            "form": "feasibility",
            "feasibility-feasibility": "not_feasible",
            "feasibility-services_cost": "12000",
            "feasibility-note": "Terrain privé.",
        },
    )
    proposal.refresh_from_db()
    assert proposal.answer == "rejected" and proposal.feasibility == "not_feasible"
    detail = Client().get(reverse("participation_proposals:detail", args=[proposal.pk])).content
    assert b"Hors budget." in detail and b"Terrain priv" in detail
    resident = _client(cast.resident)
    assert resident.get(url).status_code == 403
    other = Client()
    login_verified(other, cast.other_admin)
    assert other.get(url).status_code in (403, 404)


def test_it_types_in_on_behalf_and_marks_it_on_the_page(cast: Cast) -> None:
    process = make_process(cast.org, phases=(PhaseType.PROPOSALS, PhaseType.ANALYSIS), open_phase=1)
    agent = Client()
    login_verified(agent, cast.front_desk)
    url = reverse("participation_proposals_backoffice:on_behalf", args=[process.pk])
    assert agent.get(url).status_code == 200
    response = agent.post(url, _form(origin="workshop", resident_name="Jeanne D.", consent="on"))
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    page = (
        Client().get(reverse("participation_proposals:detail", args=[proposal.pk])).content.decode()
    )
    assert "Typed in by the town hall on behalf of a resident." in page and "Jeanne D." in page
    assert _client(cast.resident).get(url).status_code == 403


def test_it_serves_the_map_from_its_cache_until_a_proposal_changes(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    from beffroi.participation.moderation.services import Content, _hide
    from beffroi.participation.proposals.mapcache import map_version

    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    first = make_proposal(process, alice, title="Premier banc", lat=45.0, lon=4.0)
    url = reverse("participation_proposals:geojson", args=[process.slug])
    client = Client()
    assert [f["id"] for f in client.get(url).json()["features"]] == [first.pk]
    version = map_version(process.pk)
    # Written behind the services' back: the cached document is served as it was.
    make_proposal(process, alice, title="Hors services", lat=45.1, lon=4.1)
    assert [f["id"] for f in client.get(url).json()["features"]] == [first.pk]
    # Through a service (moderation hides it), the version moves and the map follows.
    with django_capture_on_commit_callbacks(execute=True):
        _hide(Content(proposal=first), reason="Hors sujet")
    assert map_version(process.pk) == version + 1
    ids = [f["id"] for f in client.get(url).json()["features"]]
    assert first.pk not in ids and len(ids) == 1


@pytest.mark.usefixtures("territory")
def test_it_suggests_addresses_on_the_edit_page_as_on_the_new_one(cast: Cast) -> None:
    process = make_process(cast.org)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    client = _client(cast.resident)
    url = reverse("participation_proposals:update", args=[proposal.pk])
    fragment = client.get(url, {"suggest": "1", "q": "rue"}, HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert fragment.status_code == 200
    # The suggestions alone, not a second copy of the page inside the form.
    assert "<html" not in text and "<h1" not in text and 'name="address"' in text


def test_it_refuses_an_address_typed_but_not_chosen_and_tells_others_it_is_not_theirs(
    cast: Cast,
) -> None:
    process = make_process(cast.org)
    author = participant(cast.resident, cast.org)
    client = _client(cast.resident)
    response = client.post(
        reverse("participation_proposals:create", args=[process.slug]),
        _form(q="12 rue de la Mai"),
    )
    assert response.status_code in (200, 400)
    assert "Choose the address in the list" in response.content.decode()
    assert not Proposal.objects.exists()
    proposal = make_proposal(process, author)
    other = _client(cast.resident2).get(
        reverse("participation_proposals:update", args=[proposal.pk])
    )
    assert other.status_code == 403
    assert "Only the author of a proposal can edit it." in other.content.decode()


def test_it_tells_a_blocked_resident_why_they_cannot_take_part(cast: Cast) -> None:
    process = make_process(cast.org)
    person = participant(cast.resident, cast.org)
    person.blocked_at = timezone.now()
    person.save(update_fields=["blocked_at"])
    client = _client(cast.resident)
    create = reverse("participation_proposals:create", args=[process.slug])
    listing = client.get(reverse("participation_proposals:list", args=[process.slug]))
    assert create.encode() not in listing.content
    assert b"suspended by the moderators" in listing.content
    home = client.get(reverse("participation_processes:detail", args=[process.slug]))
    assert b"suspended by the moderators" in home.content
    # Someone who may take part is not told anything of the kind.
    other = _client(cast.association_manager)
    participant(cast.association_manager, cast.org)
    assert (
        b"suspended"
        not in other.get(reverse("participation_processes:detail", args=[process.slug])).content
    )


def test_search_ignores_accents_and_case_and_follows_edits(cast: Cast) -> None:
    process = make_process(cast.org)
    author = participant(cast.resident, cast.org)
    bike = make_proposal(process, author, title="Un garage à vélos", body="<p>Près de l'école</p>")
    make_proposal(process, author, title="Des bancs", body="<p>Au square</p>")
    url = reverse("participation_proposals:list", args=[process.slug])
    for query in ("velo", "VÉLO", "Vélos", "ecole", "garage velo"):
        page = Client().get(url, {"q": query}).content.decode()
        assert "Un garage à vélos" in page and "Des bancs" not in page, query
    assert "Un garage à vélos" not in Client().get(url, {"q": "velo square"}).content.decode()
    bike.title = "Un abri pour les trottinettes"
    bike.save(update_fields=["title"])
    assert "Un abri" in Client().get(url, {"q": "trottinette"}).content.decode()
