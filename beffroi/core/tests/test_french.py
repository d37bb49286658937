"""French is the language residents get by default; English is one click away."""

import pytest
from django.test import Client

from beffroi.testing import Cast


@pytest.mark.french
def test_it_serves_french_by_default(cast: Cast, client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Aller au contenu principal" in html
    assert "Contacter la mairie" in html


@pytest.mark.french
def test_it_switches_to_english_and_back(cast: Cast, client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert '<html lang="en">' in response.content.decode()
    assert "Contact the town hall" in response.content.decode()
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/"}, follow=True)
    assert '<html lang="fr">' in response.content.decode()


@pytest.mark.french
def test_it_translates_form_errors(cast: Cast, client: Client) -> None:
    response = client.post("/compte/connexion/", {"username": "", "password": ""})
    assert "Ce champ est obligatoire" in response.content.decode()
