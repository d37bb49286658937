"""Public pages: lists, the meeting page, registering and cancelling through the forms;
another organisation's meeting answers 404; what managers typed renders inert."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.participation.meetings import services
from beffroi.participation.models import Meeting, Process, Registration
from beffroi.participation.tests.factories import (
    make_meeting,
    make_process,
    make_proposal,
    participant,
    verified,
)
from beffroi.testing import Cast

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def detail_url(meeting: Meeting) -> str:
    return reverse("participation_meetings:detail", args=[meeting.process.slug, meeting.pk])


def test_it_lists_upcoming_and_past_meetings(client: Client, cast: Cast, process: Process) -> None:
    soon = make_meeting(process, title="Atelier à venir", capacity=10)
    past = make_meeting(process, title="Atelier passé", in_days=-10)
    Meeting.objects.filter(pk=past.pk).update(
        minutes="<p>Compte rendu</p>", minutes_published_at=timezone.now()
    )
    response = client.get(reverse("participation_meetings:process", args=[process.slug]))
    assert response.status_code == 200
    body = response.content.decode()
    upcoming, _, past_part = body.partition('id="past-heading"')
    assert "Atelier à venir" in upcoming and "10 seats left." in upcoming
    assert "Atelier passé" in past_part and "Minutes of “Atelier passé”" in past_part
    index = client.get(reverse("participation_meetings:index")).content.decode()
    assert "Atelier à venir" in index and "Atelier passé" not in index
    assert soon.title in index


def test_it_shows_the_meeting_page(client: Client, cast: Cast, process: Process) -> None:
    meeting = make_meeting(
        process,
        capacity=3,
        agenda="Accueil\nAtelier en groupes\n\nRestitution",
        accessibility="Salle de plain-pied, boucle magnétique.",
        lat=45.0,
        lon=4.0,
    )
    response = client.get(detail_url(meeting))
    assert response.status_code == 200
    body = response.content.decode()
    assert "3 seats left." in body
    assert "<li>Atelier en groupes</li>" in body and "<li>Restitution</li>" in body
    assert "boucle magnétique" in body
    assert 'id="meeting-map"' in body and 'data-point-lat="45.0"' in body
    assert reverse("participation_meetings:ical", args=[process.slug, meeting.pk]) in body
    # Nobody is signed in: the reason and the way in, no register button.
    assert "Log in to register" in body
    assert reverse("participation_meetings:register", args=[process.slug, meeting.pk]) not in body


def test_it_registers_and_cancels_through_the_page(
    client: Client, cast: Cast, process: Process
) -> None:
    meeting = make_meeting(process, capacity=1)
    client.force_login(verified(cast.resident))
    register = reverse("participation_meetings:register", args=[process.slug, meeting.pk])
    assert register in client.get(detail_url(meeting)).content.decode()
    response = client.post(register, follow=True)
    assert response.redirect_chain[-1][0] == detail_url(meeting)
    body = response.content.decode()
    assert "You are registered." in body and "Cancel my registration" in body
    registration = Registration.objects.get(meeting=meeting)
    assert registration.status == Registration.Status.CONFIRMED

    # Someone else now finds it full and joins the waiting list.
    other = Client()
    other.force_login(verified(cast.resident2))
    page = other.get(detail_url(meeting)).content.decode()
    assert "Full: registering puts you on the waiting list." in page
    assert "Join the waiting list" in page
    body = other.post(register, follow=True).content.decode()
    assert "You are on the waiting list (position 1)" in body

    unregister = reverse("participation_meetings:unregister", args=[process.slug, meeting.pk])
    client.post(unregister)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    bruno = participant(cast.resident2, cast.org)
    assert Registration.objects.get(participant=bruno).status == Registration.Status.CONFIRMED


def test_it_explains_a_refusal(client: Client, cast: Cast, process: Process) -> None:
    meeting = make_meeting(process, registration_open=False)
    client.force_login(verified(cast.resident))
    body = client.get(detail_url(meeting)).content.decode()
    assert "Registration for this meeting is closed." in body
    response = client.post(
        reverse("participation_meetings:register", args=[process.slug, meeting.pk]), follow=True
    )
    assert "Registration for this meeting is closed." in response.content.decode()
    assert not Registration.objects.exists()


def test_it_answers_404_for_another_organisation(
    client: Client, cast: Cast, process: Process
) -> None:
    elsewhere = make_process(cast.other_org, slug="square")
    meeting = make_meeting(elsewhere)
    client.force_login(verified(cast.resident))
    for name in ("detail", "ical", "register", "unregister"):
        url = reverse(f"participation_meetings:{name}", args=["square", meeting.pk])
        response = client.post(url) if "register" in name else client.get(url)
        assert response.status_code == 404, name
    assert not Registration.objects.exists()


def test_it_hides_meetings_of_a_draft_process(client: Client, cast: Cast) -> None:
    draft = make_process(cast.org, slug="brouillon", status=Process.Status.DRAFT)
    meeting = make_meeting(draft)
    assert client.get(detail_url(meeting)).status_code == 404
    assert meeting.title not in client.get(reverse("participation_meetings:index")).content.decode()


def test_it_renders_typed_text_inert(client: Client, cast: Cast, process: Process) -> None:
    meeting = make_meeting(
        process,
        title=f"Atelier {XSS}",
        place_name=XSS,
        agenda=XSS,
        accessibility=XSS,
        description=XSS,
        in_days=-3,
    )
    services.meeting_minutes_save(
        meeting=meeting,
        actor=cast.participation_manager,
        minutes=f'<p>Bon débat</p>{XSS}<a href="javascript:alert(1)">lien</a>',
        publish=True,
        attendance=12,
    )
    make_proposal(process, None, title=f"Idée {XSS}", meeting=meeting)
    for url in (
        detail_url(meeting),
        reverse("participation_meetings:process", args=[process.slug]),
    ):
        body = client.get(url).content.decode()
        assert "<script>alert" not in body, url
        assert "<img src=x" not in body, url
        assert "javascript:alert" not in body, url
    body = client.get(detail_url(meeting)).content.decode()
    assert "Bon débat" in body and "12 people took part." in body
    assert "Idée &lt;script&gt;" in body


def test_the_link_to_join_online_is_for_the_people_registered(
    client: Client, cast: Cast, process: Process
) -> None:
    meeting = make_meeting(process, kind="hybrid", online_url="https://visio.example/secret")
    anonymous = client.get(detail_url(meeting)).content.decode()
    assert "https://visio.example/secret" not in anonymous
    assert "Shown here to the people registered." in anonymous
    api = f"/api/v1/participation/processes/{process.slug}/meetings/{meeting.pk}"
    assert client.get(api).json()["online_url"] == ""
    client.force_login(cast.resident)
    services.registration_create(meeting=meeting, participant=participant(cast.resident, cast.org))
    assert "https://visio.example/secret" in client.get(detail_url(meeting)).content.decode()
    assert client.get(api).json()["online_url"] == "https://visio.example/secret"
    listing = client.get(f"/api/v1/participation/processes/{process.slug}/meetings").json()
    assert [item["online_url"] for item in listing] == [""]
