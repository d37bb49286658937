"""The front desk: search, register a volunteer met on the phone without an account, read
(audited), edit, deactivate; and who may not."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.core.models import AuditEvent
from beffroi.testing import Cast, login_verified
from beffroi.volunteering.models import VolunteerProfile
from beffroi.volunteering.tests.factories import make_profile

pytestmark = pytest.mark.django_db

BO = "volunteering_volunteers_backoffice"


def _client(user: object = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)  # type: ignore[arg-type]
    return client


def _data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "full_name": "Germaine Lefèvre",
        "email": "",
        "phone": "06 12 34 56 78",
        "channel": "phone",
        "radius_km": "3",
        "home_lat": "49.1",
        "home_lon": "5.4",
        "grid_1_1": "on",
        "skills": ["care"],
        "visibility": "matchable",
        "crisis_consent": "on",
        "notes": "Pas de smartphone, appeler plutôt le matin.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_it_registers_a_volunteer_on_the_phone_and_names_the_agent(cast: Cast) -> None:
    response = _client(cast.front_desk).post(reverse(f"{BO}:create"), _data())
    profile = VolunteerProfile.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(f"{BO}:detail", args=[profile.pk])
    assert profile.user is None
    assert profile.registered_by == cast.front_desk
    assert profile.registration_channel == VolunteerProfile.Channel.PHONE
    assert profile.phone == "+33612345678"
    assert profile.crisis_consent and profile.crisis_consent_at is not None
    assert profile.notes.startswith("Pas de smartphone")
    consent = AuditEvent.objects.get(action="volunteer.crisis_consent")
    assert consent.actor_id == cast.front_desk.pk
    assert consent.data == {"told_by_phone": True, "agent": cast.front_desk.get_username()}


def test_it_refuses_a_volunteer_nobody_can_reach(cast: Cast) -> None:
    response = _client(cast.front_desk).post(reverse(f"{BO}:create"), _data(phone=""))
    assert response.status_code == 400
    assert "Give a phone number or an e-mail address" in response.content.decode()
    assert not VolunteerProfile.objects.exists()


def test_it_registers_a_volunteer_who_has_only_a_landline(cast: Cast) -> None:
    """Many elderly volunteers have no mobile: their landline is kept for organisers to
    call, never used for SMS; a landline typed as the mobile says where it belongs."""
    desk = _client(cast.front_desk)
    response = desk.post(reverse(f"{BO}:create"), _data(phone="03 29 12 34 56"))
    assert response.status_code == 400
    assert "cannot receive SMS" in response.content.decode()
    assert not VolunteerProfile.objects.exists()
    response = desk.post(reverse(f"{BO}:create"), _data(phone="", landline="03 29 12 34 56"))
    assert response.status_code == 302
    profile = VolunteerProfile.objects.get()
    assert (profile.phone, profile.landline) == ("", "+33329123456")
    page = desk.get(reverse(f"{BO}:detail", args=[profile.pk])).content.decode()
    assert "03 29 12 34 56" in page
    response = desk.post(
        reverse(f"{BO}:create"), _data(full_name="Autre", phone="", landline="08 99 12 34 56")
    )
    assert response.status_code == 400 and VolunteerProfile.objects.count() == 1


def test_it_searches_by_name_and_phone(cast: Cast) -> None:
    make_profile(cast.org, "Germaine Lefèvre", phone="+33612345678")
    make_profile(cast.org, "Henri Dupuis", phone="+33698765432")
    make_profile(cast.other_org, "Germaine Ailleurs")
    client = _client(cast.front_desk)
    by_name = client.get(reverse(f"{BO}:list"), {"q": "germaine"}).content.decode()
    assert "Germaine Lefèvre" in by_name and "Henri" not in by_name and "Ailleurs" not in by_name
    by_phone = client.get(reverse(f"{BO}:list"), {"q": "06 98 76"}).content.decode()
    assert "Henri Dupuis" in by_phone and "Germaine" not in by_phone


def test_it_audits_each_reading_of_a_profile(cast: Cast) -> None:
    profile = make_profile(cast.org, "Henri Dupuis")
    response = _client(cast.front_desk).get(reverse(f"{BO}:detail", args=[profile.pk]))
    assert response.status_code == 200
    assert "Henri Dupuis" in response.content.decode()
    event = AuditEvent.objects.get(action="volunteer.view")
    assert (event.actor_id, event.target_id) == (cast.front_desk.pk, str(profile.pk))


def test_it_edits_and_deactivates(cast: Cast) -> None:
    profile = make_profile(cast.org, "Henri Dupuis")
    client = _client(cast.front_desk)
    response = client.post(
        reverse(f"{BO}:edit", args=[profile.pk]), _data(full_name="Henri Dupuis-Marchal")
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.full_name == "Henri Dupuis-Marchal"
    assert profile.skills == ["care"]
    client.post(reverse(f"{BO}:active", args=[profile.pk]), {"active": "0"})
    profile.refresh_from_db()
    assert not profile.active
    assert AuditEvent.objects.filter(action="volunteer.pause", actor_id=cast.front_desk.pk).exists()


def test_it_answers_404_for_another_organisations_volunteer(cast: Cast) -> None:
    elsewhere = make_profile(cast.other_org, "Ailleurs")
    client = _client(cast.front_desk)
    assert client.get(reverse(f"{BO}:detail", args=[elsewhere.pk])).status_code == 404
    assert (
        client.post(reverse(f"{BO}:active", args=[elsewhere.pk]), {"active": "0"}).status_code
        == 404
    )
    elsewhere.refresh_from_db()
    assert elsewhere.active
    assert not AuditEvent.objects.filter(action="volunteer.view").exists()


@pytest.mark.parametrize("who", ["resident", "moderator", "social_agent"])
def test_it_refuses_those_outside_the_desk(cast: Cast, who: str) -> None:
    profile = make_profile(cast.org, "Henri Dupuis")
    client = Client()
    user = getattr(cast, who)
    if who == "social_agent":
        login_verified(client, user)
    else:
        client.force_login(user)
    assert client.get(reverse(f"{BO}:list")).status_code == 403
    assert client.get(reverse(f"{BO}:detail", args=[profile.pk])).status_code == 403
    assert client.post(reverse(f"{BO}:create"), _data()).status_code == 403
    assert VolunteerProfile.objects.count() == 1


def test_it_lets_a_verified_administrator_in(cast: Cast) -> None:
    client = Client()
    login_verified(client, cast.administrator)
    assert client.get(reverse(f"{BO}:list")).status_code == 200
    assert client.get(reverse(f"{BO}:create")).status_code == 200


def test_it_audits_opening_the_edit_form(cast: Cast) -> None:
    profile = make_profile(cast.org, "Henri Dupuis")
    response = _client(cast.front_desk).get(reverse(f"{BO}:edit", args=[profile.pk]))
    assert response.status_code == 200
    assert 'value="Henri Dupuis"' in response.content.decode()
    event = AuditEvent.objects.get(action="volunteer.view")
    assert event.data == {"purpose": "edit"}
