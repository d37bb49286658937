from __future__ import annotations

from django.conf import settings
from django.test import Client

from beffroi.testing import Cast


def test_it_shows_the_roles_held_in_this_organisation(cast: Cast, client: Client) -> None:
    client.force_login(cast.association_manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/compte/profil/")
    assert response.status_code == 200
    assert response.context["role_labels"] == ["Association manager", "Resident"]
    assert b"Association manager" in response.content


def test_it_saves_the_profile_and_switches_the_language(cast: Cast, client: Client) -> None:
    client.force_login(cast.resident)
    response = client.post(
        "/compte/profil/",
        {"full_name": " Alice Martin-Roux ", "language": "en", "phone": "06 12 34 56 78"},
    )
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    cast.resident.refresh_from_db()
    assert cast.resident.full_name == "Alice Martin-Roux"
    assert cast.resident.language == "en"
    assert cast.resident.phone == "+33612345678"
    page = client.get("/compte/profil/")
    assert b'lang="en"' in page.content


def test_it_refuses_a_bad_phone_and_changes_nothing(cast: Cast, client: Client) -> None:
    client.force_login(cast.resident)
    response = client.post(
        "/compte/profil/", {"full_name": "Autre", "language": "fr", "phone": "12"}
    )
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    cast.resident.refresh_from_db()
    assert cast.resident.full_name == "Alice Martin" and cast.resident.phone == ""


def test_it_asks_anonymous_visitors_to_log_in(cast: Cast, client: Client) -> None:
    for path in ("/compte/profil/", "/compte/profil/mes-donnees/", "/compte/profil/supprimer/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/compte/connexion/?next=")
