"""The pages: applying, "Mes candidatures", cancelling, the calendar file, the threads, the
organiser's page with its decisions and attendance, testimonials, the certificate; and who
is refused (404 for another organisation's objects and for roles that may not see them)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.accounts.models import User
from beffroi.testing import Cast, login_verified
from beffroi.volunteering import models
from beffroi.volunteering.applications import services
from beffroi.volunteering.models import (
    Application,
    ApplicationMessage,
    Certification,
    Mission,
    Slot,
)
from beffroi.volunteering.tests.applications.conftest import Scene, other_manager
from beffroi.volunteering.tests.factories import make_association, make_mission, make_profile

pytestmark = pytest.mark.django_db
NS = "volunteering_applications"
State = Application.State


def _client(user: User | None = None, *, verified: bool = False) -> Client:
    client = Client()
    if user is not None:
        if verified:
            login_verified(client, user)
        else:
            client.force_login(user)
    return client


def _url(name: str, *args: int) -> str:
    return reverse(f"{NS}:{name}", args=args)


# --- Applying ------------------------------------------------------------------------------


def test_it_shows_the_slots_and_asks_an_anonymous_visitor_to_log_in(scene: Scene) -> None:
    response = _client().get(_url("apply", scene.mission.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert scene.mission.title in content
    assert "1 place left out of 1" in content
    assert reverse("accounts:login") in content


def test_it_sends_a_visitor_without_profile_to_create_one(cast: Cast, scene: Scene) -> None:
    client = _client(cast.alert_author)
    response = client.get(_url("apply", scene.mission.pk))
    assert reverse("volunteering_volunteers:profile") in response.content.decode()
    response = client.post(_url("apply", scene.mission.pk), {"slot": scene.mission.slots.get().pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("volunteering_volunteers:profile")
    assert not Application.objects.exists()


def test_it_applies_from_the_page(cast: Cast, scene: Scene) -> None:
    slot = scene.mission.slots.get()
    response = _client(cast.resident).post(
        _url("apply", scene.mission.pk), {"slot": slot.pk, "message": "J'ai un camion."}
    )
    assert response.status_code == 302
    assert response["Location"] == _url("mine")
    application = Application.objects.get()
    assert (application.profile, application.state, application.message) == (
        scene.alice,
        State.PENDING,
        "J'ai un camion.",
    )


def test_it_offers_the_waiting_list_on_a_full_slot(cast: Cast, scene: Scene) -> None:
    slot = scene.mission.slots.get()
    services.application_apply(slot=slot, profile=scene.alice)
    client = _client(cast.resident2)
    assert (
        "Full: you may join the waiting list"
        in client.get(_url("apply", scene.mission.pk)).content.decode()
    )
    response = client.post(_url("apply", scene.mission.pk), {"slot": slot.pk}, follow=True)
    assert "waiting list" in response.content.decode()
    assert Application.objects.get(profile=scene.bruno).state == State.WAITLISTED


def test_it_refuses_a_form_sent_empty(cast: Cast, scene: Scene) -> None:
    response = _client(cast.resident).post(_url("apply", scene.mission.pk), {})
    assert response.status_code == 400
    assert "Choose a slot." in response.content.decode()
    assert not Application.objects.exists()


def test_it_explains_the_missing_prerequisites(cast: Cast) -> None:
    mission = make_mission(cast.org, "Secours", certifications=[Certification.PSC1])
    make_profile(cast.org, "Alice Martin", user=cast.resident)
    response = _client(cast.resident).get(_url("apply", mission.pk))
    assert "PSC1" in response.content.decode()
    response = _client(cast.resident).post(
        _url("apply", mission.pk), {"slot": mission.slots.get().pk}
    )
    assert response.status_code == 400
    assert not Application.objects.exists()


def test_it_hides_draft_and_foreign_missions(cast: Cast, scene: Scene) -> None:
    draft = make_mission(cast.org, "Brouillon", status=Mission.Status.DRAFT)
    foreign = make_mission(cast.other_org, "Ailleurs")
    client = _client(cast.resident)
    assert client.get(_url("apply", draft.pk)).status_code == 404
    assert client.get(_url("apply", foreign.pk)).status_code == 404
    assert (
        client.post(_url("apply", foreign.pk), {"slot": foreign.slots.get().pk}).status_code == 404
    )
    assert not Application.objects.exists()


# --- The volunteer's pages -----------------------------------------------------------------


def test_it_lists_my_applications_by_state(cast: Cast, scene: Scene) -> None:
    slot = scene.mission.slots.get()
    services.application_apply(slot=slot, profile=scene.alice)
    response = _client(cast.resident).get(_url("mine"))
    assert response.status_code == 200
    content = response.content.decode()
    assert scene.mission.title in content
    assert "Awaiting an answer" in content
    assert _url("calendar", Application.objects.get().pk) in content
    assert _client().get(_url("mine")).status_code == 302


def test_it_cancels_my_application_with_a_reason(cast: Cast, scene: Scene) -> None:
    application = services.application_apply(slot=scene.mission.slots.get(), profile=scene.alice)
    client = _client(cast.resident)
    assert client.get(_url("cancel", application.pk)).status_code == 200
    response = client.post(_url("cancel", application.pk), {"reason": "Un empêchement."})
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.state, application.cancel_reason) == (State.CANCELLED, "Un empêchement.")


def test_it_hides_another_volunteers_application(cast: Cast, scene: Scene) -> None:
    application = services.application_apply(slot=scene.mission.slots.get(), profile=scene.alice)
    client = _client(cast.resident2)
    for name in ("cancel", "calendar", "thread"):
        assert client.get(_url(name, application.pk)).status_code == 404
    assert client.post(_url("cancel", application.pk), {"reason": "x"}).status_code == 404
    application.refresh_from_db()
    assert application.state == State.PENDING


def test_it_downloads_the_calendar_file(cast: Cast, scene: Scene) -> None:
    application = services.application_apply(slot=scene.mission.slots.get(), profile=scene.alice)
    response = _client(cast.resident).get(_url("calendar", application.pk))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in response.content
    assert b"SUMMARY:Distribution alimentaire du samedi" in response.content


def test_it_keeps_a_thread_and_marks_it_read(cast: Cast, scene: Scene) -> None:
    application = services.application_apply(slot=scene.mission.slots.get(), profile=scene.alice)
    organiser = _client(cast.association_manager)
    response = organiser.post(_url("organiser_thread", application.pk), {"body": "Bienvenue !"})
    assert response.status_code == 302
    volunteer = _client(cast.resident)
    response = volunteer.get(_url("thread", application.pk))
    assert "Bienvenue !" in response.content.decode()
    assert ApplicationMessage.objects.get().read_at is not None
    response = volunteer.post(_url("thread", application.pk), {"body": ""})
    assert response.status_code == 400
    assert "Write your message." in response.content.decode()
    assert ApplicationMessage.objects.count() == 1


# --- Organisers ----------------------------------------------------------------------------


def test_it_shows_the_organiser_page_to_the_manager_and_agents(cast: Cast, scene: Scene) -> None:
    services.application_apply(slot=scene.mission.slots.get(), profile=scene.alice)
    url = _url("organiser_mission", scene.mission.pk)
    response = _client(cast.association_manager).get(url)
    assert response.status_code == 200
    assert "Alice Martin" in response.content.decode()
    assert _client(cast.participation_manager, verified=True).get(url).status_code == 200
    assert _client(cast.administrator, verified=True).get(url).status_code == 200


@pytest.mark.parametrize(
    "who", ["resident", "resident2", "front_desk", "alert_author", "moderator", "other_admin"]
)
def test_it_refuses_the_organiser_page_to_others(cast: Cast, scene: Scene, who: str) -> None:
    application = services.application_apply(slot=scene.mission.slots.get(), profile=scene.alice)
    client = _client(getattr(cast, who), verified=True)
    assert client.get(_url("organiser_mission", scene.mission.pk)).status_code == 404
    assert client.post(_url("accept", application.pk)).status_code == 404
    assert client.post(_url("decline", application.pk), {"reason": "Non"}).status_code == 404
    application.refresh_from_db()
    assert application.state == State.PENDING


def test_it_refuses_another_associations_manager(cast: Cast, scene: Scene) -> None:
    application = services.application_apply(slot=scene.mission.slots.get(), profile=scene.alice)
    client = _client(other_manager(cast))
    assert client.get(_url("organiser_mission", scene.mission.pk)).status_code == 404
    assert client.post(_url("accept", application.pk)).status_code == 404
    application.refresh_from_db()
    assert application.state == State.PENDING


def test_it_leaves_the_communes_missions_to_agents(cast: Cast) -> None:
    mission = make_mission(cast.org, "Plan canicule : appels aux aînés")
    make_association(
        cast.org,
        "Autre",
        managers=((cast.association_manager, "owner", "active"),),
    )
    url = _url("organiser_mission", mission.pk)
    assert _client(cast.association_manager).get(url).status_code == 404
    assert _client(cast.participation_manager, verified=True).get(url).status_code == 200
    # An administrator without a proven second factor decides nothing from the public pages.
    assert _client(cast.administrator).get(url).status_code == 404


def test_it_accepts_and_declines_from_the_organiser_page(cast: Cast, scene: Scene) -> None:
    slot = scene.mission.slots.get()
    Slot.objects.filter(pk=slot.pk).update(volunteers_needed=2)
    slot.refresh_from_db()
    alice = services.application_apply(slot=slot, profile=scene.alice)
    bruno = services.application_apply(slot=slot, profile=scene.bruno)
    client = _client(cast.association_manager)
    response = client.post(_url("accept", alice.pk))
    assert response.status_code == 302
    assert response["Location"].startswith(_url("organiser_mission", scene.mission.pk))
    alice.refresh_from_db()
    assert alice.state == State.ACCEPTED
    assert client.get(_url("decline", bruno.pk)).status_code == 200
    response = client.post(_url("decline", bruno.pk), {"reason": ""})
    assert response.status_code == 400
    assert "Give a reason." in response.content.decode()
    bruno.refresh_from_db()
    assert bruno.state == State.PENDING
    response = client.post(_url("decline", bruno.pk), {"reason": "Équipe complète."})
    assert response.status_code == 302
    bruno.refresh_from_db()
    assert (bruno.state, bruno.decline_reason) == (State.DECLINED, "Équipe complète.")


def test_it_cancels_a_participation_from_the_organiser_page(cast: Cast, scene: Scene) -> None:
    alice = services.application_apply(slot=scene.mission.slots.get(), profile=scene.alice)
    client = _client(cast.association_manager)
    response = client.post(_url("organiser_cancel", alice.pk), {"reason": ""})
    assert response.status_code == 400
    response = client.post(_url("organiser_cancel", alice.pk), {"reason": "Pluie annoncée."})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.state, alice.cancelled_by) == (State.CANCELLED, "organiser")


def _past(scene: Scene, cast: Cast) -> Application:
    slot = scene.mission.slots.get()
    application = services.application_apply(slot=slot, profile=scene.alice)
    services.application_accept(application=application, actor=cast.association_manager)
    start = timezone.now().replace(month=3, day=14, hour=9, minute=0, second=0, microsecond=0)
    if start > timezone.now():
        start = start.replace(year=start.year - 1)
    Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + timedelta(hours=3))
    return Application.objects.get(pk=application.pk)


def test_it_records_attendance_from_the_organiser_page(cast: Cast, scene: Scene) -> None:
    application = _past(scene, cast)
    client = _client(cast.association_manager)
    page = client.get(_url("organiser_mission", scene.mission.pk)).content.decode()
    assert f'id="hours-{application.pk}"' in page
    response = client.post(_url("attendance", application.pk), {"present": "1", "hours": "2,5"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.attendance, application.hours) == ("present", Decimal("2.50"))
    response = client.post(
        _url("attendance", application.pk), {"present": "1", "hours": "99"}, follow=True
    )
    application.refresh_from_db()
    assert application.hours == Decimal("2.50")
    assert "Alice Martin" in response.content.decode()


def test_it_takes_and_publishes_a_testimonial(cast: Cast, scene: Scene) -> None:
    application = _past(scene, cast)
    volunteer = _client(cast.resident)
    assert volunteer.get(_url("testimonial", application.pk)).status_code == 404
    services.application_attendance_record(
        application=application, actor=cast.association_manager, present=True, hours=None
    )
    assert volunteer.get(_url("testimonial", application.pk)).status_code == 200
    response = volunteer.post(_url("testimonial", application.pk), {"body": "Très chouette."})
    assert response.status_code == 302
    testimonial = models.Testimonial.objects.get()
    assert not testimonial.published
    assert (
        _client(cast.resident2)
        .post(_url("testimonial_publish", testimonial.pk), {"published": "1"})
        .status_code
        == 404
    )
    response = _client(cast.association_manager).post(
        _url("testimonial_publish", testimonial.pk), {"published": "1"}
    )
    assert response.status_code == 302
    testimonial.refresh_from_db()
    assert testimonial.published
    # Shown on the mission's page (the apply page includes them).
    assert "Très chouette." in _client().get(_url("apply", scene.mission.pk)).content.decode()


def test_it_prints_the_yearly_certificate_of_hours(cast: Cast, scene: Scene) -> None:
    application = _past(scene, cast)
    services.application_attendance_record(
        application=application, actor=cast.association_manager, present=True, hours=None
    )
    year = application.slot.starts_at.year
    client = _client(cast.resident)
    assert _url("certificate", year) in client.get(_url("mine")).content.decode()
    response = client.get(_url("certificate", year))
    assert response.status_code == 200
    content = response.content.decode()
    assert scene.mission.title in content
    assert "Commune de Valmont" in content
    assert "Alice Martin" in content
    assert ">3<" in content
    assert "data-print-page" in content
    assert "No attendance" in client.get(_url("certificate", year - 1)).content.decode()
    # Bruno's own certificate is empty; without a profile there is none.
    assert (
        "Alice Martin"
        not in _client(cast.resident2).get(_url("certificate", year)).content.decode()
    )
    assert _client(cast.alert_author).get(_url("certificate", year)).status_code == 404


def test_it_lists_the_missions_to_follow_for_agents(cast: Cast, scene: Scene) -> None:
    services.application_apply(slot=scene.mission.slots.get(), profile=scene.alice)
    make_mission(cast.other_org, "Mission d'ailleurs")
    url = reverse("volunteering_applications_backoffice:list")
    response = _client(cast.participation_manager, verified=True).get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert scene.mission.title in content
    assert "Mission d&#x27;ailleurs" not in content and "Mission d'ailleurs" not in content
    assert _client(cast.resident).get(url).status_code in (302, 403, 404)
    assert _client(cast.association_manager).get(url).status_code in (302, 403, 404)


def test_it_shows_a_manager_the_missions_of_their_associations(cast: Cast, scene: Scene) -> None:
    services.application_apply(slot=scene.mission.slots.get(), profile=scene.alice)
    content = _client(cast.association_manager).get(_url("mine")).content.decode()
    assert f'href="{_url("organiser_mission", scene.mission.pk)}"' in content
    content = _client(cast.resident).get(_url("mine")).content.decode()
    assert f'href="{_url("organiser_mission", scene.mission.pk)}"' not in content
