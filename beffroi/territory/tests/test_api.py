from __future__ import annotations

import secrets

import pytest
from django.test import Client

from beffroi.accounts.models import ApiToken, User
from beffroi.territory.models import Organisation, Zone
from beffroi.territory.services import zone_create
from beffroi.territory.tests.factories import square
from beffroi.testing import Cast

BASE = "/api/v1/territory"


def token_for(user: User, organisation: Organisation) -> str:
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(24).replace("_", "x")
    key = f"bf_{prefix}_{secret}"
    ApiToken.objects.create(
        user=user,
        organisation=organisation,
        name="test",
        prefix=prefix,
        key_hash=ApiToken.hash_key(key),
    )
    return key


def test_it_lists_zones_as_geojson(client: Client, bourg: Zone, addresses: Cast) -> None:
    zone_create(
        organisation=addresses.org, name="Rivière", kind="flood", geometry=square(4.1, 45.1, 0.01)
    )
    zone_create(
        organisation=addresses.other_org,
        name="Ailleurs",
        kind="flood",
        geometry=square(4.1, 45.1, 0.01),
    )
    body = client.get(f"{BASE}/zones").json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["name"] for f in body["features"]] == ["Rivière", "Le Bourg"]
    bourg_feature = body["features"][1]
    assert bourg_feature["id"] == bourg.pk and bourg_feature["geometry"]["type"] == "Polygon"
    assert bourg_feature["properties"]["address_count"] == 16
    assert bourg_feature["properties"]["bbox"] == [4.0, 45.0, 4.005, 45.005]
    flood = client.get(f"{BASE}/zones", {"kind": "flood"}).json()
    assert [f["properties"]["name"] for f in flood["features"]] == ["Rivière"]
    assert client.get(f"{BASE}/zones", {"kind": "volcano"}).status_code == 422


def test_it_shows_one_zone_and_hides_other_organisations(
    client: Client, bourg: Zone, addresses: Cast
) -> None:
    assert client.get(f"{BASE}/zones/{bourg.pk}").json()["properties"]["name"] == "Le Bourg"
    other = Client(HTTP_HOST="autreville.localhost")
    assert other.get(f"{BASE}/zones/{bourg.pk}").status_code == 404
    assert other.get(f"{BASE}/zones").json()["features"] == []
    assert client.get(f"{BASE}/zones/999999").status_code == 404


def test_it_searches_addresses(client: Client, addresses: Cast) -> None:
    response = client.get(f"{BASE}/addresses/search", {"q": "12 r mairie", "limit": 3})
    matches = response.json()
    assert response.status_code == 200 and len(matches) == 3
    assert matches[0]["label"] == "12 Rue de la Mairie, 99100 Valmont"
    assert set(matches[0]) == {"address_id", "label", "lon", "lat", "score"}
    for params in ({"q": ""}, {"q": "x", "limit": 0}, {"q": "x", "limit": 51}, {}):
        assert client.get(f"{BASE}/addresses/search", params).status_code == 422, params


def test_it_answers_point_zones_and_rejects_out_of_range(
    client: Client, bourg: Zone, addresses: Cast
) -> None:
    body = client.get(f"{BASE}/point-zones", {"lat": 45.001, "lon": 4.001}).json()
    assert body == [{"id": bourg.pk, "name": "Le Bourg", "kind": "hamlet", "kind_label": "Hamlet"}]
    assert client.get(f"{BASE}/point-zones", {"lat": 10, "lon": 10}).json() == []
    for params in (
        {"lat": 91, "lon": 4},
        {"lat": 45, "lon": -181},
        {"lat": "nan", "lon": 4},
        {"lat": "inf", "lon": 4},
        {"lat": 45},
    ):
        assert client.get(f"{BASE}/point-zones", params).status_code == 422, params


def feature_payload(name: str, size: float = 0.005) -> dict[str, object]:
    return {
        "type": "Feature",
        "geometry": square(4.0, 45.0, size),
        "properties": {"name": name, "kind": "district"},
    }


def test_agents_create_and_delete_zones_with_a_token(client: Client, addresses: Cast) -> None:
    key = token_for(addresses.alert_author, addresses.org)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    response = client.post(
        f"{BASE}/zones", feature_payload("Centre"), content_type="application/json", **auth
    )
    assert response.status_code == 201, response.content
    body = response.json()
    zone = Zone.objects.get(pk=body["id"])
    assert body["properties"]["address_count"] == 16 == zone.memberships.count()

    response = client.post(
        f"{BASE}/zones", feature_payload("centre"), content_type="application/json", **auth
    )
    assert response.status_code == 422 and "name" in response.json()["errors"]
    bowtie = feature_payload("Noeud")
    bowtie["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[4.0, 45.0], [4.01, 45.01], [4.01, 45.0], [4.0, 45.01], [4.0, 45.0]]],
    }
    response = client.post(f"{BASE}/zones", bowtie, content_type="application/json", **auth)
    assert response.status_code == 422 and "Self-intersection" in str(response.json())
    point = feature_payload("Point")
    point["geometry"] = {"type": "Point", "coordinates": [4.0, 45.0]}
    assert (
        client.post(f"{BASE}/zones", point, content_type="application/json", **auth).status_code
        == 422
    )
    assert Zone.objects.count() == 1

    assert client.delete(f"{BASE}/zones/{zone.pk}", **auth).status_code == 204
    assert not Zone.objects.exists()


@pytest.mark.parametrize("role", ["moderator", "alert_approver", "front_desk"])
def test_other_agents_may_not_change_zones(
    client: Client, bourg: Zone, addresses: Cast, role: str
) -> None:
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(getattr(addresses, role), addresses.org)}"}
    assert (
        client.post(
            f"{BASE}/zones", feature_payload("X"), content_type="application/json", **auth
        ).status_code
        == 403
    )
    assert client.delete(f"{BASE}/zones/{bourg.pk}", **auth).status_code == 403
    assert Zone.objects.count() == 1


def test_writes_need_a_token_of_this_organisation(
    client: Client, bourg: Zone, addresses: Cast
) -> None:
    assert (
        client.post(
            f"{BASE}/zones", feature_payload("X"), content_type="application/json"
        ).status_code
        == 401
    )
    assert client.delete(f"{BASE}/zones/{bourg.pk}").status_code == 401
    other_key = token_for(addresses.other_admin, addresses.other_org)
    # Their token is refused on this host…
    auth = {"HTTP_AUTHORIZATION": f"Bearer {other_key}"}
    assert client.delete(f"{BASE}/zones/{bourg.pk}", **auth).status_code == 401
    # …and on their own host this zone does not exist.
    other = Client(HTTP_HOST="autreville.localhost")
    assert other.delete(f"{BASE}/zones/{bourg.pk}", **auth).status_code == 404
    assert Zone.objects.filter(pk=bourg.pk).exists()


def test_the_openapi_schema_constrains_parameters(client: Client, cast: Cast) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    params = {
        p["name"]: p["schema"] for p in schema["paths"][f"{BASE}/point-zones"]["get"]["parameters"]
    }
    assert params["lat"]["minimum"] == -90 and params["lat"]["maximum"] == 90
    assert params["lon"]["minimum"] == -180 and params["lon"]["maximum"] == 180
    search = {
        p["name"]: p["schema"]
        for p in schema["paths"][f"{BASE}/addresses/search"]["get"]["parameters"]
    }
    assert search["limit"]["maximum"] == 50 and search["q"]["minLength"] == 1
