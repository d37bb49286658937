from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from beffroi.core.models import AuditEvent
from beffroi.territory.models import Zone
from beffroi.territory.services import zone_create
from beffroi.territory.tests.factories import DATA, collection, feature, square
from beffroi.testing import Cast, login_verified

LIST = reverse("territory_backoffice:zone_list")
CREATE = reverse("territory_backoffice:zone_create")
IMPORT = reverse("territory_backoffice:zone_import")
ADDRESSES = reverse("territory_backoffice:address_list")
MY_ADDRESS = reverse("territory:my_address")


def detail(zone: Zone) -> str:
    return reverse("territory_backoffice:zone_detail", args=[zone.pk])


def edit(zone: Zone) -> str:
    return reverse("territory_backoffice:zone_edit", args=[zone.pk])


def delete(zone: Zone) -> str:
    return reverse("territory_backoffice:zone_delete", args=[zone.pk])


@pytest.mark.parametrize(
    ("role", "view_status", "edit_status"),
    [
        ("administrator", 200, 200),
        ("alert_author", 200, 200),
        ("alert_approver", 200, 403),
        ("moderator", 200, 403),
        ("front_desk", 200, 403),
        ("social_agent", 403, 403),
        ("resident", 403, 403),
    ],
)
def test_it_lets_each_role_view_or_edit(
    client: Client, bourg: Zone, addresses: Cast, role: str, view_status: int, edit_status: int
) -> None:
    login_verified(client, getattr(addresses, role))
    for url in (LIST, detail(bourg), ADDRESSES):
        assert client.get(url).status_code == view_status, url
    for url in (CREATE, IMPORT, edit(bourg), delete(bourg)):
        assert client.get(url).status_code == edit_status, url
    response = client.post(delete(bourg))
    assert response.status_code == (302 if edit_status == 200 else 403)
    assert Zone.objects.filter(pk=bourg.pk).exists() == (edit_status != 200)


def test_anonymous_visitors_are_sent_to_the_login_page(client: Client, bourg: Zone) -> None:
    response = client.get(LIST)
    assert response.status_code == 302 and "connexion" in response["Location"]


def test_the_list_shows_zones_counts_and_a_map(
    client: Client, bourg: Zone, addresses: Cast
) -> None:
    zone_create(
        organisation=addresses.org, name="Rivière", kind="flood", geometry=square(4.1, 45.1, 0.01)
    )
    login_verified(client, addresses.moderator)
    page = client.get(LIST).content.decode()
    assert "Le Bourg" in page and "Rivière" in page
    assert "<td>16</td>" in page
    assert 'id="zones-data"' in page and 'class="map"' in page and "aria-label=" in page
    assert "vendor/leaflet/leaflet.js" in page and "beffroi/js/map.js" in page
    assert "Draw a zone" not in page  # a moderator may not edit
    filtered = client.get(LIST, {"kind": "flood"}).content.decode()
    assert "Rivière" in filtered and "Le Bourg" not in filtered


def test_the_detail_lists_the_zone_addresses(client: Client, bourg: Zone, addresses: Cast) -> None:
    login_verified(client, addresses.alert_author)
    page = client.get(detail(bourg)).content.decode()
    assert "16 addresses in this zone" in page
    assert "10 Rue de la Mairie" in page and "11 Rue de la Mairie" not in page


def test_an_agent_creates_a_zone_from_drawn_geojson(client: Client, addresses: Cast) -> None:
    login_verified(client, addresses.alert_author)
    assert 'data-draw-target="id_geometry"' in client.get(CREATE).content.decode()
    drawn = json.dumps({"type": "Feature", "properties": {}, "geometry": square(4.0, 45.0, 0.005)})
    response = client.post(
        CREATE, {"name": "Le Bourg", "kind": "hamlet", "description": "", "geometry": drawn}
    )
    zone = Zone.objects.get(name="Le Bourg")
    assert response.status_code == 302 and response["Location"] == detail(zone)
    assert zone.memberships.count() == 16
    assert AuditEvent.objects.get(action="zone.create").actor == addresses.alert_author


def test_the_zone_form_reports_errors_and_saves_nothing(
    client: Client, bourg: Zone, addresses: Cast
) -> None:
    login_verified(client, addresses.administrator)
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[4.0, 45.0], [4.01, 45.01], [4.01, 45.0], [4.0, 45.01], [4.0, 45.0]]],
    }
    response = client.post(CREATE, {"name": "X", "kind": "hamlet", "geometry": json.dumps(bowtie)})
    page = response.content.decode()
    assert response.status_code == 422
    assert (
        'class="error-summary"' in page
        and 'href="#id_geometry"' in page
        and "Self-intersection" in page
    )
    response = client.post(
        CREATE,
        {"name": "le bourg", "kind": "hamlet", "geometry": json.dumps(square(4.1, 45.1, 0.01))},
    )
    assert response.status_code == 422 and "already exists" in response.content.decode()
    response = client.post(CREATE, {"name": "", "kind": "hamlet", "geometry": "not json"})
    assert response.status_code == 422 and 'href="#id_name"' in response.content.decode()
    assert Zone.objects.count() == 1


def test_an_agent_redraws_and_renames_a_zone(client: Client, bourg: Zone, addresses: Cast) -> None:
    login_verified(client, addresses.administrator)
    assert "Le Bourg" in client.get(edit(bourg)).content.decode()
    narrow = {
        "type": "Polygon",
        "coordinates": [
            [[4.0, 45.0], [4.0016, 45.0], [4.0016, 45.0025], [4.0, 45.0025], [4.0, 45.0]]
        ],
    }
    response = client.post(
        edit(bourg),
        {
            "name": "Centre",
            "kind": "district",
            "description": "Le centre",
            "geometry": json.dumps(narrow),
        },
    )
    assert response.status_code == 302
    bourg.refresh_from_db()
    assert (bourg.name, bourg.kind, bourg.description) == ("Centre", "district", "Le centre")
    assert bourg.memberships.count() == 3


def test_deleting_asks_for_confirmation(client: Client, bourg: Zone, addresses: Cast) -> None:
    login_verified(client, addresses.administrator)
    page = client.get(delete(bourg)).content.decode()
    assert "16 addresses lie in this zone" in page
    assert Zone.objects.filter(pk=bourg.pk).exists()
    assert client.post(delete(bourg))["Location"] == LIST
    assert not Zone.objects.exists()


def test_the_upload_form_imports_a_file(client: Client, addresses: Cast) -> None:
    login_verified(client, addresses.administrator)
    upload = SimpleUploadedFile("hameaux.geojson", (DATA / "zones-hamlets.geojson").read_bytes())
    response = client.post(IMPORT, {"file": upload, "kind": "hamlet", "name_property": "NOM"})
    assert response.status_code == 302
    assert set(Zone.objects.values_list("name", flat=True)) == {"Le Bourg", "Les Écarts"}


def test_the_upload_form_lists_every_error(client: Client, addresses: Cast) -> None:
    login_verified(client, addresses.administrator)
    data = collection(
        feature("Bon", square(4.0, 45.0, 0.01)),
        feature(
            "Lambert",
            {
                "type": "Polygon",
                "coordinates": [
                    [[843000, 6520000], [844000, 6520000], [844000, 6521000], [843000, 6520000]]
                ],
            },
        ),
        feature(None, square(4.2, 45.0, 0.01)),
    )
    response = client.post(IMPORT, {"file": SimpleUploadedFile("z.geojson", data), "kind": "flood"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "2 problems" in page and "Feature 2 (“Lambert”)" in page and "Feature 3:" in page
    assert not Zone.objects.exists()
    response = client.post(IMPORT, {"kind": "flood"})
    assert response.status_code == 422 and 'href="#id_file"' in response.content.decode()


def test_agents_search_addresses(client: Client, bourg: Zone, addresses: Cast) -> None:
    login_verified(client, addresses.front_desk)
    page = client.get(ADDRESSES).content.decode()
    assert "31 addresses" in page
    page = client.get(ADDRESSES, {"q": "12 r mairie"}).content.decode()
    assert page.index("12 Rue de la Mairie") < page.index("12 bis Rue de la Mairie")


def test_agents_of_another_organisation_see_nothing(
    client: Client, bourg: Zone, addresses: Cast
) -> None:
    other = zone_create(
        organisation=addresses.other_org,
        name="Ailleurs",
        kind="hamlet",
        geometry=square(4.0, 45.0, 0.01),
    )
    login_verified(client, addresses.other_admin)
    # On this organisation's host the other administrator holds no role.
    for url in (LIST, detail(bourg), edit(bourg), delete(bourg), ADDRESSES):
        assert client.get(url).status_code == 403
    assert client.post(delete(bourg)).status_code == 403
    # On their own host, this organisation's zones do not exist.
    own = Client(HTTP_HOST="autreville.localhost")
    login_verified(own, addresses.other_admin)
    for url in (detail(bourg), edit(bourg), delete(bourg)):
        assert own.get(url).status_code == 404
    assert own.post(delete(bourg)).status_code == 404
    assert (
        own.post(
            edit(bourg),
            {"name": "Pris", "kind": "hamlet", "geometry": json.dumps(square(4, 45, 0.01))},
        ).status_code
        == 404
    )
    page = own.get(LIST).content.decode()
    assert "Ailleurs" in page and "Le Bourg" not in page
    assert own.get(detail(other)).status_code == 200
    assert Zone.objects.get(pk=bourg.pk).name == "Le Bourg"


def test_a_resident_finds_the_zones_of_an_address_without_javascript(
    client: Client, bourg: Zone, addresses: Cast
) -> None:
    zone_create(
        organisation=addresses.org,
        name="Bords de rivière",
        kind="flood",
        geometry=square(4.004, 45.0, 0.01),
    )
    page = client.get(MY_ADDRESS).content.decode()
    assert 'name="q"' in page and "hx-get" in page
    response = client.get(MY_ADDRESS, {"q": "4 r de l eglise"})
    page = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="selected-heading">4 Rue de l&#x27;Église, 99100 Valmont</h2>' in page
    assert "Le Bourg" in page and "Bords de rivière" in page
    assert 'id="address-zones-data"' in page and 'data-point-lat="45.004"' in page


def test_a_resident_picks_another_suggestion(client: Client, bourg: Zone, addresses: Cast) -> None:
    page = client.get(MY_ADDRESS, {"q": "rue de la mairie"}).content.decode()
    assert "address=" in page
    from beffroi.territory.models import Address

    far = Address.objects.get(ban_id="99001_0010_00020")
    page = client.get(MY_ADDRESS, {"q": "rue de la mairie", "address": far.pk}).content.decode()
    assert "20 Rue de la Mairie" in page and "This address lies in no zone" in page
    assert client.get(MY_ADDRESS, {"address": 999999}).status_code == 404


def test_htmx_gets_only_the_suggestions(client: Client, addresses: Cast) -> None:
    response = client.get(MY_ADDRESS, {"q": "12 r mairie", "suggest": "1"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "<html" not in page and "12 Rue de la Mairie" in page
    page = client.get(
        MY_ADDRESS, {"q": "zzzz qqq", "suggest": "1"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "No address matches" in page


def test_the_section_and_tools_are_registered(client: Client, addresses: Cast) -> None:
    assert MY_ADDRESS in client.get("/").content.decode()
    login_verified(client, addresses.alert_approver)
    page = client.get(reverse("backoffice:home")).content.decode()
    assert LIST in page and ADDRESSES in page
