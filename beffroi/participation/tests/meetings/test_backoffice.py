"""Back office: set up, edit, cancel; registrations on the phone; attendance and minutes;
proposals born there; printable sheets. Agents only, of their own organisation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.accounts.models import User
from beffroi.alerts.tests.factories import make_address, make_subscriber
from beffroi.core.models import AuditEvent
from beffroi.participation.meetings import services
from beffroi.participation.models import (
    Meeting,
    Notification,
    Participant,
    Process,
    Proposal,
    Registration,
)
from beffroi.participation.tests.factories import (
    make_meeting,
    make_process,
    make_proposal,
    participant,
)
from beffroi.testing import Cast, login_verified

Status = Registration.Status


def bo(name: str, *args: object) -> str:
    return reverse(f"participation_meetings_backoffice:{name}", args=args)


@pytest.fixture
def manager(client: Client, cast: Cast) -> User:
    login_verified(client, cast.participation_manager)
    return cast.participation_manager


def form_data(process: Process | None = None, **overrides: object) -> dict[str, object]:
    starts = timezone.localtime() + timedelta(days=10)
    data: dict[str, object] = {
        "title": "Atelier vélo",
        "kind": "in_person",
        "starts_at": starts.strftime("%Y-%m-%dT18:00"),
        "ends_at": starts.strftime("%Y-%m-%dT20:00"),
        "place_name": "Salle des fêtes",
        "address_text": "",
        "lat": "",
        "lon": "",
        "online_url": "",
        "agenda": "Accueil\nAteliers",
        "accessibility": "Plain-pied",
        "capacity": "20",
        "registration_open": "on",
        "description": "",
    }
    if process is not None:
        data["process"] = process.pk
    data.update(overrides)
    return data


def test_it_creates_a_meeting_at_an_address(
    client: Client, cast: Cast, process: Process, manager: User
) -> None:
    address = make_address(cast.org, 4.01, 45.01, "Place de la Mairie")
    assert client.get(bo("create") + f"?process={process.pk}").status_code == 200
    response = client.post(
        bo("create"),
        form_data(
            process, address=address.pk, kind="hybrid", online_url="https://visio.example/abc"
        ),
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == bo("detail", meeting.pk)
    assert meeting.process == process and meeting.organisation == cast.org
    assert meeting.capacity == 20 and meeting.kind == "hybrid"
    assert (meeting.lat, meeting.lon) == (45.01, 4.01)
    assert meeting.address_text == address.label
    assert meeting.online_url == "https://visio.example/abc"
    page = client.get(bo("detail", meeting.pk)).content.decode()
    assert 'id="meeting-map"' in page and "Printable sign-in sheet" in page


def test_it_refuses_bad_input_and_changes_nothing(
    client: Client, cast: Cast, process: Process, manager: User
) -> None:
    starts = timezone.localtime() + timedelta(days=3)
    cases = [
        form_data(
            process,
            ends_at=starts.strftime("%Y-%m-%dT17:00"),
            starts_at=starts.strftime("%Y-%m-%dT18:00"),
        ),
        form_data(process, kind="online"),
        form_data(process, place_name=""),
        form_data(process, capacity="0"),
        form_data(process, lat="45.0"),
        form_data(process, kind="online", online_url="javascript:alert(1)"),
        form_data(make_process(cast.other_org, slug="ailleurs")),
    ]
    for data in cases:
        response = client.post(bo("create"), data)
        assert response.status_code == 200, data
        assert "There is a problem with the form" in response.content.decode(), data
    assert not Meeting.objects.exists()


def test_it_suggests_addresses_without_javascript(
    client: Client, cast: Cast, process: Process, manager: User
) -> None:
    from beffroi.alerts.tests.factories import address, load_valmont

    load_valmont(cast)
    target = address(cast.org, "Rue de la Mairie", "1")
    response = client.post(
        bo("create"), form_data(process, address_query="1 rue de la mairie", find_address="1")
    )
    assert response.status_code == 200
    assert f'value="{target.pk}"' in response.content.decode()
    suggestions = client.get(bo("address_suggest") + "?address_query=1+rue+de+la+mairie")
    assert f'value="{target.pk}"' in suggestions.content.decode()
    assert not Meeting.objects.exists()


def test_it_edits_and_tells_registrants_of_a_new_date(
    client: Client, cast: Cast, process: Process, manager: User
) -> None:
    meeting = make_meeting(process)
    alice = participant(cast.resident, cast.org)
    services.registration_create(meeting=meeting, participant=alice)
    assert client.get(bo("update", meeting.pk)).status_code == 200
    response = client.post(bo("update", meeting.pk), form_data(title="Atelier déplacé"))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Atelier déplacé" and meeting.capacity == 20
    notice = Notification.objects.get(recipient=alice)
    assert "has changed" in notice.title


def test_it_cancels_a_meeting_and_tells_everyone(
    client: Client, cast: Cast, process: Process, manager: User
) -> None:
    meeting = make_meeting(process, capacity=1)
    alice = participant(cast.resident, cast.org)
    bruno = participant(cast.resident2, cast.org)
    services.registration_create(meeting=meeting, participant=alice)
    services.registration_create(meeting=meeting, participant=bruno)
    assert client.get(bo("cancel", meeting.pk)).status_code == 200
    client.post(bo("cancel", meeting.pk), {"reason": "Salle inondée"})
    meeting.refresh_from_db()
    assert meeting.cancelled_at is not None
    notices = Notification.objects.filter(kind="meeting")
    assert {n.recipient_id for n in notices} == {alice.pk, bruno.pk}
    assert all(n.body == "Salle inondée" for n in notices)
    assert AuditEvent.objects.filter(action="participation.meeting.cancel").count() == 1
    # Nothing more can be done on it.
    response = client.post(bo("update", meeting.pk), form_data())
    assert "This meeting is cancelled" in response.content.decode()


def test_it_registers_a_resident_on_the_phone(client: Client, cast: Cast, process: Process) -> None:
    login_verified(client, cast.front_desk)
    home = make_address(cast.org, 4.0, 45.0, "Hameau des Prés")
    subscriber = make_subscriber(
        cast.org, home, full_name="Germaine Dupuis", sms="+33612345678", verified=False
    )
    meeting = make_meeting(process, capacity=1)
    response = client.post(bo("register", meeting.pk), {"contact": "06 12 34 56 78"})
    assert response.status_code == 302
    person = Participant.objects.get(subscriber=subscriber)
    registration = Registration.objects.get(meeting=meeting, participant=person)
    assert registration.status == Status.CONFIRMED
    assert Notification.objects.filter(recipient=person, kind="meeting").count() == 1
    event = AuditEvent.objects.get(action="participation.meeting.register_on_behalf")
    assert event.actor_id == cast.front_desk.pk
    page = client.get(bo("detail", meeting.pk)).content.decode()
    assert "Germaine Dupuis" in page and "06 12 34 56 78" in page
    # The same number typed another way: already registered, nothing new, nobody told twice.
    again = client.post(bo("register", meeting.pk), {"contact": "+33 6 12 34 56 78"}, follow=True)
    assert "This resident was already registered." in again.content.decode()
    assert Registration.objects.filter(meeting=meeting).count() == 1
    assert Notification.objects.filter(recipient=person, kind="meeting").count() == 1
    assert AuditEvent.objects.filter(action="participation.meeting.register_on_behalf").count() == 1
    # By e-mail, for a resident with an account: the meeting is full, the waiting list.
    client.post(bo("register", meeting.pk), {"contact": cast.resident.email.upper()})
    alice = Participant.objects.get(user=cast.resident)
    assert Registration.objects.get(participant=alice).status == Status.WAITING


def test_it_refuses_an_unknown_contact(client: Client, cast: Cast, process: Process) -> None:
    login_verified(client, cast.front_desk)
    meeting = make_meeting(process)
    for contact in ("06 99 99 99 99", "inconnu@example.org", "pas un numéro"):
        response = client.post(bo("register", meeting.pk), {"contact": contact})
        assert response.status_code == 400
        assert "There is a problem with the form" in response.content.decode()
    assert not Registration.objects.exists()
    assert not Participant.objects.exists()


def test_it_cancels_a_registration_for_a_resident(
    client: Client, cast: Cast, process: Process, manager: User
) -> None:
    meeting = make_meeting(process, capacity=1)
    alice = participant(cast.resident, cast.org)
    bruno = participant(cast.resident2, cast.org)
    held = services.registration_create(meeting=meeting, participant=alice)
    services.registration_create(meeting=meeting, participant=bruno)
    client.post(bo("unregister", meeting.pk, held.pk))
    assert Registration.objects.get(pk=held.pk).status == Status.CANCELLED
    assert Registration.objects.get(participant=bruno).status == Status.CONFIRMED
    assert AuditEvent.objects.filter(action="participation.meeting.cancel_registration").exists()


def test_it_marks_attendance_and_publishes_minutes(
    client: Client, cast: Cast, process: Process, manager: User
) -> None:
    meeting = make_meeting(process)
    alice = participant(cast.resident, cast.org)
    bruno = participant(cast.resident2, cast.org)
    came = services.registration_create(meeting=meeting, participant=alice)
    absent = services.registration_create(meeting=meeting, participant=bruno)
    # Before the meeting: refused, nothing saved.
    response = client.post(
        bo("minutes", meeting.pk), {"minutes": "Trop tôt", "publish": "on", "attendance": "3"}
    )
    assert response.status_code == 400
    assert "The meeting has not taken place yet." in response.content.decode()
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1)
    )
    client.post(bo("attendance", meeting.pk), {"present": [came.pk]})
    came.refresh_from_db()
    absent.refresh_from_db()
    assert came.attended is True and absent.attended is False

    response = client.post(
        bo("minutes", meeting.pk),
        {"minutes": "<p>Décisions</p><script>x()</script>", "publish": "on", "attendance": "14"},
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.attendance == 14 and meeting.minutes_published_at is not None
    assert "<script>" not in meeting.minutes and "Décisions" in meeting.minutes
    assert Notification.objects.filter(title__contains="minutes").count() == 2


def test_it_links_proposals_of_the_process_only(
    client: Client, cast: Cast, process: Process, manager: User
) -> None:
    meeting = make_meeting(process)
    mine = make_proposal(process, None, title="Des bancs à l'ombre")
    other_process = make_process(cast.org, slug="autre")
    foreign = make_proposal(other_process, None, title="Ailleurs")
    page = client.get(bo("detail", meeting.pk)).content.decode()
    assert "Des bancs à l&#x27;ombre" in page and "Ailleurs" not in page
    response = client.post(bo("attach", meeting.pk), {"proposal": foreign.pk})
    assert response.status_code == 400
    assert Proposal.objects.get(pk=foreign.pk).meeting is None
    client.post(bo("attach", meeting.pk), {"proposal": mine.pk})
    assert Proposal.objects.get(pk=mine.pk).meeting == meeting
    public = Client().get(reverse("participation_meetings:detail", args=[process.slug, meeting.pk]))
    assert "Proposals made at this meeting" in public.content.decode()
    client.post(bo("detach", meeting.pk, mine.pk))
    assert Proposal.objects.get(pk=mine.pk).meeting is None


def test_it_prints_the_sign_in_sheet_and_the_proposal_form(
    client: Client, cast: Cast, process: Process, manager: User
) -> None:
    meeting = make_meeting(process)
    services.registration_create(meeting=meeting, participant=participant(cast.resident, cast.org))
    sheet = client.get(bo("sign_in_sheet", meeting.pk))
    assert sheet.status_code == 200
    body = sheet.content.decode()
    assert "Alice Martin" in body and "Signature" in body
    assert body.count('class="blank-line"') >= 10
    assert "meetings.css" in body and "printable-page" in body
    form = client.get(bo("proposal_form", meeting.pk)).content.decode()
    for words in ("Title of your proposal", "Estimated cost", "Your name", "I agree that"):
        assert words in form


def test_it_keeps_agents_to_their_organisation_and_roles(
    client: Client, cast: Cast, process: Process
) -> None:
    elsewhere = make_meeting(make_process(cast.other_org, slug="ailleurs"))
    login_verified(client, cast.participation_manager)
    for name in ("detail", "update", "cancel", "minutes", "sign_in_sheet", "proposal_form"):
        assert client.get(bo(name, elsewhere.pk)).status_code == 404, name
    assert (
        client.post(bo("register", elsewhere.pk), {"contact": "x@example.org"}).status_code == 404
    )
    mine = make_meeting(process)
    resident = Client()
    resident.force_login(cast.resident)
    assert resident.get(bo("detail", mine.pk)).status_code == 403
    assert resident.get(bo("list")).status_code == 403
    # Front desk agents register residents but do not run meetings.
    desk = Client()
    login_verified(desk, cast.front_desk)
    assert desk.get(bo("detail", mine.pk)).status_code == 200
    assert desk.get(bo("update", mine.pk)).status_code == 403
    assert desk.post(bo("cancel", mine.pk)).status_code == 403
    assert Meeting.objects.get(pk=mine.pk).cancelled_at is None


def test_a_past_meeting_reads_as_over_in_the_back_office_and_cannot_be_cancelled(
    client: Client, cast: Cast, process: Process
) -> None:
    login_verified(client, cast.participation_manager)
    meeting = make_meeting(process, capacity=10)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3, hours=-2),
    )
    page = client.get(bo("detail", meeting.pk)).content.decode()
    assert "This meeting is over." in page and "Closed: the meeting is over" in page
    assert bo("cancel", meeting.pk) not in page and "seats left" not in page
    response = client.post(bo("cancel", meeting.pk), {"reason": "Trop tard"}, follow=True)
    assert "This meeting is over: it cannot be cancelled." in response.content.decode()
    assert Meeting.objects.get(pk=meeting.pk).cancelled_at is None
