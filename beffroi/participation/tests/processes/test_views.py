"""Public pages of processes and their back office: visibility, roles, organisations, inert
text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.alerts.tests.factories import make_zone
from beffroi.core.models import AuditEvent
from beffroi.participation.models import Blueprint, Follow, Phase, PhaseType, Process
from beffroi.participation.processes import services
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.testing import Cast, login_verified

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
BACKOFFICE = "/backoffice/participation/"


def _manager(client: Client, cast: Cast) -> Client:
    client.force_login(cast.participation_manager)
    return client


def test_it_lists_open_upcoming_and_past_processes(client: Client, cast: Cast) -> None:
    make_process(cast.org, slug="ouverte", title="Budget ouvert")
    make_process(cast.org, slug="bientot", title="Plan à venir", open_phase=None)
    make_process(
        cast.org,
        slug="finie",
        title="Consultation finie",
        open_phase=2,
        phases=(PhaseType.PROPOSALS,),
    )
    make_process(cast.org, slug="brouillon", title="Brouillon secret", status=Process.Status.DRAFT)
    make_process(cast.other_org, slug="ailleurs", title="Démarche d'ailleurs")
    response = client.get("/participer/")
    assert response.status_code == 200
    html = response.content.decode()
    open_part, rest = html.split('id="upcoming-heading"')
    upcoming_part, past_part = rest.split('id="past-heading"')
    assert "Budget ouvert" in open_part
    assert "Plan à venir" in upcoming_part
    assert "Consultation finie" in past_part
    assert "Brouillon secret" not in html
    assert "Démarche d'ailleurs" not in html


def test_it_shows_a_process_home_with_its_current_phase_in_words(
    client: Client, cast: Cast
) -> None:
    process = make_process(
        cast.org, phases=(PhaseType.INFORMATION, PhaseType.PROPOSALS), open_phase=1
    )
    response = client.get(f"/participer/{process.slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-current="step"' in html
    assert "Current phase" in html and "Finished" in html
    # What residents may do now, from the open phase.
    assert "Propose" in html and "Support proposals" in html
    assert "Log in to follow this process" in html


def test_it_hides_drafts_from_residents_and_shows_them_to_managers(
    client: Client, cast: Cast
) -> None:
    draft = make_process(cast.org, slug="brouillon", status=Process.Status.DRAFT)
    assert client.get(f"/participer/{draft.slug}/").status_code == 404
    client.force_login(cast.resident)
    assert client.get(f"/participer/{draft.slug}/").status_code == 404
    assert client.get(f"/participer/{draft.slug}/carte/").status_code == 404
    _manager(client, cast)
    response = client.get(f"/participer/{draft.slug}/")
    assert response.status_code == 200
    assert "residents do not see this process" in response.content.decode()


def test_it_renders_text_fields_inert(client: Client, cast: Cast) -> None:
    process = services.process_create(
        organisation=cast.org,
        data=services.ProcessData(
            title=XSS, blueprint=Blueprint.IDEAS, summary=XSS, description=XSS
        ),
        actor=None,
    )
    now = timezone.now()
    services.phase_create(
        process=process,
        type=PhaseType.PROPOSALS,
        title=XSS,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=1),
        description=XSS,
        actor=None,
    )
    services.category_create(process=process, name=XSS, actor=None)
    services.process_publish(process=process, actor=None)
    make_proposal(process, participant(cast.resident, cast.org), title=XSS, lat=45.0, lon=4.0)
    _manager(client, cast)
    pages = [
        "/participer/",
        f"/participer/{process.slug}/",
        f"/participer/{process.slug}/carte/",
        BACKOFFICE,
        f"{BACKOFFICE}{process.pk}/",
        f"{BACKOFFICE}{process.pk}/phases/",
        f"{BACKOFFICE}{process.pk}/categories/",
        f"{BACKOFFICE}{process.pk}/modifier/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url


def test_it_shows_the_process_map_without_hidden_proposals(client: Client, cast: Cast) -> None:
    zone = make_zone(cast.org, "Quartier des Tilleuls")
    process = make_process(cast.org, whole_territory=False)
    process.zones.set([zone])
    author = participant(cast.resident, cast.org)
    make_proposal(process, author, title="Bancs au parc", lat=45.001, lon=4.002)
    make_proposal(
        process, author, title="Proposition masquée", lat=45.0, lon=4.0, hidden_at=timezone.now()
    )
    make_proposal(process, author, title="Sans lieu")
    response = client.get(f"/participer/{process.slug}/carte/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bancs au parc" in html and "Quartier des Tilleuls" in html
    assert "Proposition masquée" not in html
    features = response.context["proposals_geojson"]["features"]
    assert [f["properties"]["name"] for f in features] == ["Bancs au parc"]
    assert features[0]["geometry"]["coordinates"] == [4.002, 45.001]


def test_it_lets_a_logged_in_resident_follow_and_unfollow(client: Client, cast: Cast) -> None:
    process = make_process(cast.org)
    url = f"/participer/{process.slug}/suivre/"
    response = client.post(url)
    assert response.status_code == 302 and "/compte/" in response["Location"]
    assert not Follow.objects.exists()
    participant(cast.resident, cast.org)
    client.force_login(cast.resident)
    assert client.post(url, {"action": "follow"}).status_code == 302
    assert Follow.objects.filter(process=process, participant__user=cast.resident).count() == 1
    page = client.get(f"/participer/{process.slug}/").content.decode()
    assert "You follow this process." in page
    client.post(url, {"action": "unfollow"})
    assert not Follow.objects.exists()


def test_it_serves_documents_of_visible_processes_only(client: Client, cast: Cast) -> None:
    process = make_process(cast.org)
    document = services.document_add(
        process=process,
        title="Règlement",
        upload=SimpleUploadedFile("r.pdf", b"%PDF-1.4 test"),
        actor=None,
    )
    response = client.get(f"/participer/{process.slug}/documents/{document.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"  # type: ignore[attr-defined]
    Process.objects.filter(pk=process.pk).update(status=Process.Status.DRAFT)
    assert client.get(f"/participer/{process.slug}/documents/{document.pk}/").status_code == 404


def test_it_keeps_the_back_office_to_participation_managers(client: Client, cast: Cast) -> None:
    process = make_process(cast.org)
    assert client.get(BACKOFFICE).status_code == 302
    client.force_login(cast.resident)
    assert client.get(BACKOFFICE).status_code == 403
    assert client.get(f"{BACKOFFICE}{process.pk}/").status_code == 403
    client.force_login(cast.moderator)
    assert client.get(BACKOFFICE).status_code == 403
    _manager(client, cast)
    response = client.get(BACKOFFICE)
    assert response.status_code == 200
    assert process.title in response.content.decode()
    login_verified(client, cast.administrator)
    assert client.get(f"{BACKOFFICE}{process.pk}/phases/").status_code == 200


def test_it_answers_404_for_another_organisations_process(client: Client, cast: Cast) -> None:
    foreign = make_process(cast.other_org, slug="ailleurs")
    phase = foreign.phases.get()
    _manager(client, cast)
    for url in (
        f"{BACKOFFICE}{foreign.pk}/",
        f"{BACKOFFICE}{foreign.pk}/modifier/",
        f"{BACKOFFICE}{foreign.pk}/phases/",
        f"{BACKOFFICE}{foreign.pk}/phases/{phase.pk}/modifier/",
        "/participer/ailleurs/",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        f"{BACKOFFICE}{foreign.pk}/phases/{phase.pk}/ouverture/", {"mode": "closed"}
    )
    assert response.status_code == 404
    response = client.post(f"{BACKOFFICE}{foreign.pk}/statut/", {"action": "archive"})
    assert response.status_code == 404
    phase.refresh_from_db()
    foreign.refresh_from_db()
    assert phase.mode == Phase.Mode.DATES
    assert foreign.status == Process.Status.PUBLISHED


def test_it_creates_a_process_from_a_blueprint_and_publishes_it(client: Client, cast: Cast) -> None:
    _manager(client, cast)
    assert client.get(f"{BACKOFFICE}nouvelle/").status_code == 200
    response = client.post(
        f"{BACKOFFICE}nouvelle/",
        {
            "blueprint": Blueprint.BUDGET,
            "title": "Budget participatif 2026",
            "starts_on": timezone.localdate().isoformat(),
        },
    )
    process = Process.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{BACKOFFICE}{process.pk}/"
    assert process.phases.count() == 4 and process.status == Process.Status.DRAFT
    assert client.get(f"/participer/{process.slug}/").status_code == 200
    client.post(f"{BACKOFFICE}{process.pk}/statut/", {"action": "publish"})
    process.refresh_from_db()
    assert process.status == Process.Status.PUBLISHED
    assert AuditEvent.objects.filter(
        action="participation.process.publish", actor=cast.participation_manager
    ).exists()


def test_it_shows_form_errors_and_changes_nothing(client: Client, cast: Cast) -> None:
    process = make_process(cast.org)
    phase = process.phases.get()
    _manager(client, cast)
    response = client.post(
        f"{BACKOFFICE}{process.pk}/phases/",
        {
            "type": PhaseType.VOTE,
            "title": "Vote",
            "starts_at": "2026-05-10T10:00",
            "ends_at": "2026-05-01T10:00",
        },
    )
    assert response.status_code == 200
    assert "The phase must close after it opens." in response.content.decode()
    assert process.phases.count() == 1
    make_process(cast.org, slug="deja-prise")
    response = client.post(
        f"{BACKOFFICE}{process.pk}/modifier/",
        {
            "title": "Nouveau titre",
            "slug": "deja-prise",
            "blueprint": Blueprint.IDEAS,
            "whole_territory": "on",
            "edit_window_minutes": "60",
        },
    )
    assert response.status_code == 200
    assert "Another process already uses the address" in response.content.decode()
    process.refresh_from_db()
    assert process.title != "Nouveau titre"
    phase.refresh_from_db()
    assert phase.type == PhaseType.PROPOSALS


def test_it_opens_and_closes_a_phase_by_hand_from_the_table(client: Client, cast: Cast) -> None:
    process = make_process(cast.org)
    phase = process.phases.get()
    _manager(client, cast)
    url = f"{BACKOFFICE}{process.pk}/phases/{phase.pk}/ouverture/"
    response = client.post(url, {"mode": "closed"})
    assert response.status_code == 302
    phase.refresh_from_db()
    assert phase.mode == Phase.Mode.CLOSED
    page = client.get(f"/participer/{process.slug}/").content.decode()
    assert "Closed by the commune" in page
    client.post(url, {"mode": "dates"})
    phase.refresh_from_db()
    assert phase.mode == Phase.Mode.DATES
    assert AuditEvent.objects.filter(
        action="participation.phase.close", actor=cast.participation_manager
    ).exists()


def test_it_edits_a_phase_categories_and_documents(client: Client, cast: Cast) -> None:
    process = make_process(cast.org)
    phase = process.phases.get()
    _manager(client, cast)
    edit = f"{BACKOFFICE}{process.pk}/phases/{phase.pk}/modifier/"
    assert client.get(edit).status_code == 200
    response = client.post(
        edit,
        {
            "type": PhaseType.PROPOSALS,
            "title": "Vos idées",
            "starts_at": "2026-05-01T09:00",
            "ends_at": "2026-06-01T18:00",
        },
    )
    assert response.status_code == 302
    phase.refresh_from_db()
    assert phase.title == "Vos idées"
    client.post(f"{BACKOFFICE}{process.pk}/categories/", {"name": "Mobilité"})
    category = process.categories.get()
    client.post(
        f"{BACKOFFICE}{process.pk}/categories/{category.pk}/modifier/", {"name": "Déplacements"}
    )
    category.refresh_from_db()
    assert category.name == "Déplacements"
    client.post(
        f"{BACKOFFICE}{process.pk}/documents/",
        {"title": "Règlement", "file": SimpleUploadedFile("r.pdf", b"%PDF-1.4 x")},
    )
    document = process.documents.get()
    assert "Règlement" in client.get(f"/participer/{process.slug}/").content.decode()
    client.post(f"{BACKOFFICE}{process.pk}/documents/{document.pk}/supprimer/")
    assert not process.documents.exists()
    client.post(f"{BACKOFFICE}{process.pk}/categories/{category.pk}/supprimer/")
    assert not process.categories.exists()


@pytest.mark.parametrize("slug", ["propositions", "rencontres", "consultations"])
def test_it_never_takes_another_areas_address(slug: str) -> None:
    from django.urls import Resolver404, resolve

    for path in (f"/participer/{slug}/", f"/participer/{slug}/carte/"):
        try:
            match = resolve(path)
        except Resolver404:
            continue
        assert match.namespace != "participation_processes", path


def test_it_reserves_every_areas_prefix() -> None:
    from beffroi.participation.urls import AREAS

    prefixes = {prefix.strip("/") for prefix, _area in AREAS if prefix}
    assert prefixes <= services.RESERVED_SLUGS


def test_it_says_no_phase_is_open_rather_than_not_started_when_one_was_closed_by_hand(
    cast: Cast,
) -> None:
    process = make_process(cast.org, slug="plan", phases=(PhaseType.PROPOSALS, PhaseType.VOTE))
    Phase.objects.filter(process=process, type=PhaseType.PROPOSALS).update(mode=Phase.Mode.CLOSED)
    page = Client().get(reverse("participation_processes:detail", args=["plan"])).content.decode()
    assert "No phase is open at the moment" in page
    assert "has not started yet" not in page
