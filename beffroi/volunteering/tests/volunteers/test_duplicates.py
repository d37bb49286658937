"""One person, one active profile per organisation: a mobile number or an e-mail address
already another active profile's is refused, on every path (the front desk's registration
and edit, the resident's own profile, resuming a paused profile), naming the existing
profile only to the agents; and two registrations at once cannot both pass."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from beffroi.testing import Cast, at_once
from beffroi.volunteering.models import VolunteerProfile
from beffroi.volunteering.tests.factories import make_profile
from beffroi.volunteering.volunteers.services import (
    DuplicateProfile,
    ProfileInput,
    profile_register,
)

pytestmark = pytest.mark.django_db

BO = "volunteering_volunteers_backoffice"
concurrent = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite runs one writer at a time"
)


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
        "visibility": "matchable",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_it_refuses_registering_the_same_phone_twice_and_links_the_profile(cast: Cast) -> None:
    client = _client(cast.front_desk)
    assert client.post(reverse(f"{BO}:create"), _data()).status_code == 302
    first = VolunteerProfile.objects.get()
    again = client.post(reverse(f"{BO}:create"), _data())
    html = again.content.decode()
    assert again.status_code == 400
    assert "Germaine Lefèvre&#x27;s volunteer profile already has this mobile number" in html
    assert reverse(f"{BO}:detail", args=[first.pk]) in html
    assert VolunteerProfile.objects.count() == 1


def test_it_refuses_another_volunteers_phone_or_email(cast: Cast) -> None:
    make_profile(cast.org, "Henri Dupuis", phone="+33698765432", email="henri@example.org")
    client = _client(cast.front_desk)
    by_phone = client.post(reverse(f"{BO}:create"), _data(phone="06 98 76 54 32"))
    by_email = client.post(reverse(f"{BO}:create"), _data(phone="", email="HENRI@example.org"))
    for response in (by_phone, by_email):
        assert response.status_code == 400
        assert "Henri Dupuis&#x27;s volunteer profile already has" in response.content.decode()
    assert VolunteerProfile.objects.count() == 1


def test_it_refuses_an_edit_taking_another_volunteers_phone(cast: Cast) -> None:
    make_profile(cast.org, "Henri Dupuis", phone="+33698765432")
    germaine = make_profile(cast.org, "Germaine Lefèvre", phone="+33612345678")
    response = _client(cast.front_desk).post(
        reverse(f"{BO}:edit", args=[germaine.pk]), _data(phone="06 98 76 54 32")
    )
    assert response.status_code == 400
    assert "Henri Dupuis&#x27;s volunteer profile already has" in response.content.decode()
    germaine.refresh_from_db()
    assert germaine.phone == "+33612345678"


def test_it_accepts_the_phone_of_a_paused_profile_or_of_another_organisation(
    cast: Cast,
) -> None:
    make_profile(cast.org, "Ancienne fiche", phone="+33612345678", active=False)
    make_profile(cast.other_org, "Ailleurs", phone="+33612345678")
    response = _client(cast.front_desk).post(reverse(f"{BO}:create"), _data())
    assert response.status_code == 302
    assert VolunteerProfile.objects.filter(organisation=cast.org, active=True).count() == 1


def test_it_refuses_resuming_a_duplicate(cast: Cast) -> None:
    make_profile(cast.org, "Henri Dupuis", phone="+33698765432")
    paused = make_profile(cast.org, "Henri D.", phone="+33698765432", active=False)
    response = _client(cast.front_desk).post(
        reverse(f"{BO}:active", args=[paused.pk]), {"active": "1"}, follow=True
    )
    assert "Henri Dupuis&#x27;s volunteer profile already has" in response.content.decode()
    paused.refresh_from_db()
    assert not paused.active


def test_it_refuses_a_residents_profile_with_anothers_phone_without_naming_them(
    cast: Cast,
) -> None:
    make_profile(cast.org, "Henri Dupuis", phone="+33612345678")
    response = _client(cast.resident).post(
        reverse("volunteering_volunteers:profile"),
        {
            "full_name": "Alice Martin",
            "phone": "06 12 34 56 78",
            "home_lat": "49.1",
            "home_lon": "5.4",
            "radius_km": "8",
            "visibility": "matchable",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Another volunteer profile already has this mobile number" in html
    assert "Henri" not in html
    assert not VolunteerProfile.objects.filter(user=cast.resident).exists()


@concurrent
@pytest.mark.django_db(transaction=True)
def test_it_registers_one_of_two_identical_registrations_at_once(cast: Cast) -> None:
    def register(_i: int) -> VolunteerProfile:
        return profile_register(
            organisation=cast.org,
            agent=cast.front_desk,
            data=ProfileInput(full_name="Germaine Lefèvre", phone="0612345678"),
        )

    results = at_once(3, register)
    assert sum(isinstance(r, VolunteerProfile) for r in results) == 1, results
    assert sum(isinstance(r, DuplicateProfile) for r in results) == 2, results
    assert VolunteerProfile.objects.filter(phone="+33612345678").count() == 1
