"""A resident's own volunteer profile: create, edit, the grid, certifications, absences,
consent to crisis calls, pause and deletion."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.core.models import AuditEvent
from beffroi.testing import Cast
from beffroi.volunteering.models import (
    Absence,
    Application,
    Slot,
    VolunteerCertification,
    VolunteerProfile,
    grid_bit,
)
from beffroi.volunteering.tests.factories import make_mission, make_profile

pytestmark = pytest.mark.django_db

URL = reverse("volunteering_volunteers:profile")


def _client(user: object = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)  # type: ignore[arg-type]
    return client


def _data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "full_name": "Alice Martin",
        "email": "alice@example.org",
        "phone": "06 12 34 56 78",
        "birth_date": "1990-04-12",
        "home_label": "",
        "home_lat": "49.1",
        "home_lon": "5.4",
        "radius_km": "8",
        "grid_5_0": "on",
        "grid_5_1": "on",
        "grid_2_2": "on",
        "interests": ["solidarity", "environment"],
        "skills": ["first_aid"],
        "languages": ["fr", "en"],
        "cert_psc1": "on",
        "cert_psc1_obtained": "2024-05-01",
        "cert_psc1_expires": "2027-05-01",
        "max_hours_month": "10",
        "visibility": "matchable",
        "crisis_consent": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_it_asks_to_sign_in() -> None:
    response = _client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not VolunteerProfile.objects.exists()


def test_it_shows_an_accessible_grid(cast: Cast) -> None:
    response = _client(cast.resident).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<th scope="row" data-grid-row="5">Saturday</th>' in html
    assert 'class="visually-hidden">Saturday morning</label>' in html
    assert 'name="grid_5_0"' in html


def test_it_creates_the_profile_with_its_grid_and_certifications(cast: Cast) -> None:
    response = _client(cast.resident).post(URL, _data())
    assert response.status_code == 302
    assert response["Location"] == reverse("volunteering_matching:for_me")
    profile = VolunteerProfile.objects.get(user=cast.resident)
    assert profile.organisation == cast.org
    assert profile.phone == "+33612345678"
    assert profile.availability == grid_bit(5, 0) | grid_bit(5, 1) | grid_bit(2, 2)
    assert (profile.home_lat, profile.home_lon, profile.radius_km) == (49.1, 5.4, 8)
    assert profile.interests == ["solidarity", "environment"]
    assert profile.languages == ["fr", "en"]
    assert profile.max_hours_month == 10
    assert profile.crisis_consent and profile.crisis_consent_at is not None
    assert profile.registration_channel == VolunteerProfile.Channel.WEB
    [cert] = VolunteerCertification.objects.filter(profile=profile)
    assert (cert.kind, cert.expires_on) == ("psc1", date(2027, 5, 1))
    assert AuditEvent.objects.filter(action="volunteer.crisis_consent").count() == 1


def test_it_edits_and_withdraws_the_crisis_consent(cast: Cast) -> None:
    client = _client(cast.resident)
    client.post(URL, _data())
    response = client.post(
        URL, _data(crisis_consent=None, cert_psc1=None, cert_psc1_obtained="", cert_psc1_expires="")
    )
    assert response.status_code == 302
    profile = VolunteerProfile.objects.get(user=cast.resident)
    assert (profile.crisis_consent, profile.crisis_consent_at) == (False, None)
    assert not VolunteerCertification.objects.filter(profile=profile).exists()
    assert VolunteerProfile.objects.filter(user=cast.resident).count() == 1
    assert AuditEvent.objects.filter(action="volunteer.crisis_withdraw").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("phone", "01 40 00 00 00", "not a mobile number"),
        ("radius_km", "500", "less than or equal to 100"),
        ("full_name", "", "This field is required"),
        ("cert_psc1_expires", "2020-01-01", "cannot expire before"),
        ("birth_date", "2999-01-01", "cannot be in the future"),
    ],
)
def test_it_refuses_bad_input_and_changes_nothing(
    cast: Cast, field: str, value: str, error: str
) -> None:
    response = _client(cast.resident).post(URL, _data(**{field: value}))
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not VolunteerProfile.objects.exists()


def test_it_adds_and_removes_absences(cast: Cast) -> None:
    profile = make_profile(cast.org, user=cast.resident)
    client = _client(cast.resident)
    today = timezone.localdate()
    response = client.post(
        reverse("volunteering_volunteers:absence_add"),
        {"starts_on": today + timedelta(days=3), "ends_on": today + timedelta(days=10)},
    )
    assert response.status_code == 302
    absence = Absence.objects.get(profile=profile)
    bad = client.post(
        reverse("volunteering_volunteers:absence_add"),
        {"starts_on": today + timedelta(days=3), "ends_on": today},
    )
    assert bad.status_code == 400
    assert "The end cannot be before the start." in bad.content.decode()
    assert Absence.objects.count() == 1
    # Someone else's absence is not theirs to remove.
    other = make_profile(cast.org, "Bruno", user=cast.resident2)
    theirs = Absence.objects.create(profile=other, starts_on=today, ends_on=today)
    client.post(reverse("volunteering_volunteers:absence_remove", args=[theirs.pk]))
    assert Absence.objects.filter(pk=theirs.pk).exists()
    client.post(reverse("volunteering_volunteers:absence_remove", args=[absence.pk]))
    assert not Absence.objects.filter(pk=absence.pk).exists()


def test_it_pauses_and_resumes(cast: Cast) -> None:
    profile = make_profile(cast.org, user=cast.resident)
    client = _client(cast.resident)
    client.post(reverse("volunteering_volunteers:pause"), {"active": "0"})
    profile.refresh_from_db()
    assert not profile.active
    paused = client.get(reverse("volunteering_matching:for_me")).content.decode()
    assert "Your profile is paused" in paused
    client.post(reverse("volunteering_volunteers:pause"), {"active": "1"})
    profile.refresh_from_db()
    assert profile.active


def test_it_deletes_the_profile_and_frees_its_places(cast: Cast) -> None:
    profile = make_profile(cast.org, user=cast.resident)
    mission = make_mission(cast.org)
    slot = mission.slots.get()
    Application.objects.create(slot=slot, profile=profile, state=Application.State.ACCEPTED)
    Slot.objects.filter(pk=slot.pk).update(accepted_count=1)
    client = _client(cast.resident)
    unconfirmed = client.post(reverse("volunteering_volunteers:delete"), {})
    assert unconfirmed.status_code == 400
    assert VolunteerProfile.objects.filter(pk=profile.pk).exists()
    response = client.post(reverse("volunteering_volunteers:delete"), {"confirm": "1"})
    assert response.status_code == 302
    assert not VolunteerProfile.objects.filter(pk=profile.pk).exists()
    assert not Application.objects.exists()
    slot.refresh_from_db()
    assert slot.accepted_count == 0


def test_it_exports_and_erases_for_the_gdpr(cast: Cast) -> None:
    from beffroi.accounts import gdpr
    from beffroi.volunteering.models import grid_bit

    profile = make_profile(cast.org, user=cast.resident, certifications=(("psc1", None),))
    profile.availability = grid_bit(0, 2) | grid_bit(5, 0)  # Monday evening, Saturday morning
    profile.save(update_fields=["availability"])
    exported = gdpr.exporters()["volunteer_profiles"](cast.resident)
    assert exported[0]["full_name"] == "Camille Martin"
    assert exported[0]["availability"] == [
        {"day": "monday", "period": "evening"},
        {"day": "saturday", "period": "morning"},
    ]
    assert exported[0]["certifications"][0]["kind"] == "psc1"
    gdpr.erasers()["volunteer_profiles"](cast.resident)
    assert not VolunteerProfile.objects.filter(user=cast.resident).exists()
