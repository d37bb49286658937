"""Absences and birth dates: overlapping periods and absurd dates are refused with a clear
message and nothing is recorded."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.testing import Cast
from beffroi.volunteering.models import Absence, VolunteerProfile
from beffroi.volunteering.tests.factories import make_profile

pytestmark = pytest.mark.django_db

ADD = reverse("volunteering_volunteers:absence_add")


def _client(user: object = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)  # type: ignore[arg-type]
    return client


def test_it_refuses_the_same_absence_twice_and_overlaps(cast: Cast) -> None:
    profile = make_profile(cast.org, user=cast.resident)
    client = _client(cast.resident)
    today = timezone.localdate()
    period = {"starts_on": today + timedelta(days=3), "ends_on": today + timedelta(days=10)}
    assert client.post(ADD, period).status_code == 302
    for starts, ends in ((3, 10), (5, 6), (1, 3), (10, 20)):
        response = client.post(
            ADD,
            {"starts_on": today + timedelta(days=starts), "ends_on": today + timedelta(days=ends)},
        )
        assert response.status_code == 400
        assert "overlaps an absence already recorded" in response.content.decode()
    assert Absence.objects.filter(profile=profile).count() == 1
    # The day after is another period.
    after = {"starts_on": today + timedelta(days=11), "ends_on": today + timedelta(days=12)}
    assert client.post(ADD, after).status_code == 302
    assert Absence.objects.filter(profile=profile).count() == 2


@pytest.mark.parametrize(
    ("starts", "ends", "error"),
    [
        (date(1024, 1, 1), date(2099, 1, 1), "check the year"),
        (date(2101, 1, 1), date(2101, 1, 2), "check the year"),
        (None, 800, "up to two years ahead"),
    ],
)
def test_it_refuses_absurd_absence_dates(
    cast: Cast, starts: date | None, ends: date | int, error: str
) -> None:
    make_profile(cast.org, user=cast.resident)
    today = timezone.localdate()
    data = {
        "starts_on": starts or today + timedelta(days=700),
        "ends_on": ends if isinstance(ends, date) else today + timedelta(days=ends),
    }
    response = _client(cast.resident).post(ADD, data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Absence.objects.exists()


def test_it_refuses_a_birth_date_before_1900(cast: Cast) -> None:
    response = _client(cast.resident).post(
        reverse("volunteering_volunteers:profile"),
        {
            "full_name": "Alice Martin",
            "phone": "06 12 34 56 78",
            "birth_date": "1850-04-12",
            "home_lat": "49.1",
            "home_lon": "5.4",
            "radius_km": "8",
            "visibility": "matchable",
        },
    )
    assert response.status_code == 400
    assert "cannot be before 1900" in response.content.decode()
    assert not VolunteerProfile.objects.exists()
