"""The home page leads with the alert registration, for everyone."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.testing import Cast


def _hero_links(html: str) -> list[tuple[str, str]]:
    hero = html.split('class="hero"')[1].split("</div>")[0]
    return re.findall(r'<a class="[^"]*" href="([^"]+)">([^<]+)</a>', hero)


@pytest.mark.french
def test_it_leads_with_the_alert_registration(cast: Cast, client: Client) -> None:
    links = _hero_links(client.get("/").content.decode())
    assert links[0] == (reverse("subscriptions:register"), "Recevoir les alertes")
    # Creating an account comes after it, as a secondary action.
    assert [href for href, _text in links[1:]] == [
        reverse("accounts:signup"),
        reverse("accounts:login"),
    ]


@pytest.mark.french
def test_it_offers_the_alert_registration_to_logged_in_residents(
    cast: Cast, client: Client
) -> None:
    client.force_login(cast.resident)
    links = _hero_links(client.get("/").content.decode())
    assert links == [(reverse("subscriptions:register"), "Recevoir les alertes")]
