""" "My neighbourhood" shows, through the panels other domains register, the alerts in force
at the address and a link to register for alerts there with the address filled in."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse

from beffroi.alerts.models import Alert
from beffroi.alerts.tests.factories import Territory, make_alert, territory
from beffroi.territory.services import address_memberships_refresh

__all__ = ["territory"]

URL = reverse("territory:my_address")


def _page(client: Client, address_id: int) -> str:
    response = client.get(URL, {"q": "x", "address": address_id})
    assert response.status_code == 200
    body = response.content.decode()
    # The panel only: the site-wide banner lists every alert in force.
    return body.split('id="address-alerts-title"')[1].split("</section>")[0]


def test_it_shows_the_alerts_in_force_at_the_address(client: Client, territory: Territory) -> None:
    author = territory.cast.alert_author
    org = territory.cast.org
    address_memberships_refresh(
        organisation=org, address_ids=[territory.lilas_3.pk, territory.mairie_12.pk]
    )
    assert territory.river in territory.lilas_3.zones.all()
    sent = Alert.Status.SENT
    make_alert(org, author, territory.river, status=sent, is_public=True, headline="Crue ici")
    make_alert(org, author, status=sent, is_public=True, headline="Canicule partout")
    make_alert(
        org,
        author,
        territory.river,
        status=sent,
        is_public=True,
        headline="Crue finie",
        sent_ago=timedelta(days=2),
        lasts=timedelta(hours=6),
    )
    make_alert(org, author, territory.river, status=sent, is_public=False, headline="Interne")
    make_alert(org, author, territory.river, headline="Brouillon", is_public=True)

    at_river = _page(client, territory.lilas_3.pk)
    assert "Crue ici" in at_river and "Canicule partout" in at_river
    for hidden in ("Crue finie", "Interne", "Brouillon"):
        assert hidden not in at_river

    away = _page(client, territory.mairie_12.pk)
    assert "Canicule partout" in away
    assert "Crue ici" not in away


def test_it_says_when_no_alert_is_in_force(client: Client, territory: Territory) -> None:
    assert "No alert is in force at this address." in _page(client, territory.mairie_12.pk)


def test_it_links_to_the_alert_sign_up_with_the_address(
    client: Client, territory: Territory
) -> None:
    page = _page(client, territory.lilas_3.pk)
    assert (
        "Alerts at this address"
        in client.get(URL, {"address": territory.lilas_3.pk}).content.decode()
    )
    link = f"{reverse('subscriptions:register')}?address={territory.lilas_3.pk}"
    assert f'href="{link}"' in page
    assert "Get alerts for this address" in page
    form = client.get(link).content.decode()
    # The address is already chosen on the form.
    assert f'name="address" value="{territory.lilas_3.pk}"' in form
    assert "3 Allée des Lilas" in form
    # An address of another commune's site is not offered.
    other = client.get(link, HTTP_HOST="autreville.localhost").content.decode()
    assert f'value="{territory.lilas_3.pk}"' not in other
