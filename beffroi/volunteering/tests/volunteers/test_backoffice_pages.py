"""The front desk's pages speak to the agent about the volunteer, and show the volunteer's
own data (not the site's)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.core.models import AuditEvent
from beffroi.testing import Cast
from beffroi.volunteering.tests.factories import make_profile

pytestmark = pytest.mark.django_db

BO = "volunteering_volunteers_backoffice"


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_it_shows_the_volunteers_languages_by_name(cast: Cast) -> None:
    profile = make_profile(cast.org, "Germaine Lefèvre", languages=["fr", "lsf"])
    response = _client(cast.front_desk).get(reverse(f"{BO}:detail", args=[profile.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Français, Langue des signes française (LSF)" in html
    assert "bidi" not in html
    assert AuditEvent.objects.filter(action="volunteer.view").count() == 1


@pytest.mark.parametrize("page", ["create", "edit"])
def test_it_words_the_forms_for_the_agent(cast: Cast, page: str) -> None:
    profile = make_profile(cast.org, "Germaine Lefèvre")
    url = reverse(f"{BO}:create") if page == "create" else reverse(f"{BO}:edit", args=[profile.pk])
    html = _client(cast.front_desk).get(url).content.decode()
    assert "<legend>The volunteer</legend>" in html
    assert "When they are free, every week" in html
    assert "Who you are" not in html and "When you are free" not in html


def test_it_still_speaks_to_the_resident_on_their_own_profile(cast: Cast) -> None:
    html = _client(cast.resident).get(reverse("volunteering_volunteers:profile")).content.decode()
    assert "Who you are" in html and "When you are free, every week" in html
