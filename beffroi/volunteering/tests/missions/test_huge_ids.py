"""Ids beyond 64 bits in filters or addresses: ignored or a 404, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from beffroi.accounts.models import User
from beffroi.testing import Cast, login_verified
from beffroi.volunteering.tests.factories import make_mission

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


def _client(user: User | None = None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        login_verified(client, user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/benevolat/missions/",
        "/benevolat/missions/carte.geojson",
        "/benevolat/besoins/",
        "/benevolat/besoins/carte.geojson",
    ],
)
def test_it_ignores_a_huge_association_filter_on_public_pages(cast: Cast, url: str) -> None:
    mission = make_mission(cast.org, title="Tenir la buvette")
    for value in (HUGE, "-" + HUGE, "1" * 5000):
        response = _client().get(url, {"association": value, "zoom": value})
        assert response.status_code == 200
    if url == "/benevolat/missions/":
        assert mission.title in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/backoffice/benevolat/missions/",
        "/backoffice/benevolat/besoins/",
        "/backoffice/benevolat/candidatures/",
    ],
)
def test_it_ignores_a_huge_association_filter_in_the_back_office(cast: Cast, url: str) -> None:
    make_mission(cast.org, title="Tenir la buvette")
    response = _client(cast.participation_manager).get(
        url, {"association": HUGE, "status": HUGE, "page": HUGE}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        f"/benevolat/missions/{HUGE}/",
        f"/benevolat/missions/{HUGE}/gerer/",
        f"/backoffice/benevolat/missions/{HUGE}/",
        f"/benevolat/besoins/{HUGE}/",
        f"/benevolat/candidatures/missions/{HUGE}/",
        f"/benevolat/candidatures/{HUGE}/annuler/",
        f"/benevolat/candidatures/{HUGE}/calendrier.ics",
    ],
)
def test_it_answers_404_for_a_huge_id_in_an_address(cast: Cast, url: str) -> None:
    response = _client(cast.participation_manager).get(url)
    assert response.status_code == 404
