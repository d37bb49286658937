"""The map of registered persons shows addresses and needs, never who lives there."""

from __future__ import annotations

import json
import re

from django.test import Client
from django.urls import reverse

from beffroi.alerts.tests.factories import address, load_valmont, make_person
from beffroi.testing import Cast, login_verified


def test_it_maps_addresses_without_names(client: Client, cast: Cast) -> None:
    load_valmont(cast)
    mairie = address(cast.org, "Rue de la Mairie", "5")
    make_person(cast.org, mairie, last_name="Garnier", first_name="Rose", reduced_mobility=True)
    make_person(cast.org, mairie, last_name="Garnier", first_name="Henri", lives_alone=True)
    lyon = address(cast.org, "Route de Lyon", "10")
    make_person(cast.org, lyon, last_name="Perrin", first_name="Lucie")
    login_verified(client, cast.social_agent)
    response = client.get(reverse("registry:map"))
    html = response.content.decode()
    assert response.status_code == 200
    match = re.search(
        r'<script id="registry-map-data" type="application/json">(.*?)</script>', html
    )
    assert match is not None
    data = json.loads(match.group(1))
    features = {feature["id"]: feature for feature in data["features"]}
    assert set(features) == {mairie.pk, lyon.pk}
    assert features[mairie.pk]["geometry"] == {
        "type": "Point",
        "coordinates": [mairie.lon, mairie.lat],
    }
    assert features[mairie.pk]["properties"]["name"] == "2 registered persons"
    assert features[mairie.pk]["properties"]["kind_label"] == "Lives alone, Reduced mobility"
    assert features[lyon.pk]["properties"]["name"] == "1 registered person"
    for secret in ("Garnier", "GARNIER", "Rose", "Henri", "Perrin", "Lucie", "R.G.", "L.P."):
        assert secret not in html, secret
    # The text alternative lists the same addresses, linked to their (audited) lists.
    assert reverse("registry:at_address", args=[mairie.pk]) in html
    assert 'data-link-pattern="/backoffice/registre/adresse/0/"' in html
    assert "5 Rue de la Mairie, 99100 Valmont" in html
