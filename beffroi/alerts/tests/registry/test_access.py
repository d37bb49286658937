"""Only social agents (CCAS) of the organisation with a proven second factor read the registry."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.accounts.models import Role, User
from beffroi.alerts.models import VulnerablePerson
from beffroi.alerts.tests.factories import (
    address,
    load_valmont,
    make_address,
    make_alert,
    make_person,
)
from beffroi.core.models import AuditEvent
from beffroi.testing import Cast, login_verified, make_user


@pytest.fixture
def person(cast: Cast) -> VulnerablePerson:
    load_valmont(cast)
    return make_person(cast.org, address(cast.org, "Rue de la Mairie", "1"))


def registry_urls(person: VulnerablePerson, alert_id: int) -> list[str]:
    return [
        reverse("registry:list"),
        reverse("registry:map"),
        reverse("registry:export"),
        reverse("registry:create"),
        reverse("registry:address_suggest") + "?address_query=mairie",
        reverse("registry:at_address", args=[person.address_id]),
        reverse("registry:detail", args=[person.pk]),
        reverse("registry:update", args=[person.pk]),
        reverse("registry:remove", args=[person.pk]),
        reverse("registry:call_sheet", args=[alert_id]),
    ]


def test_it_opens_every_page_to_a_verified_social_agent(
    client: Client, cast: Cast, person: VulnerablePerson
) -> None:
    alert = make_alert(cast.org, cast.alert_author, whole_territory=True)
    login_verified(client, cast.social_agent)
    for url in registry_urls(person, alert.pk):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


@pytest.mark.parametrize(
    "who",
    [
        "resident",
        "association_manager",
        "moderator",
        "alert_author",
        "alert_approver",
        "front_desk",
        "administrator",
    ],
)
def test_it_refuses_every_other_role_even_verified(
    client: Client, cast: Cast, person: VulnerablePerson, who: str
) -> None:
    alert = make_alert(cast.org, cast.alert_author, whole_territory=True)
    user: User = getattr(cast, who)
    login_verified(client, user)
    before = AuditEvent.objects.filter(action__startswith="registry.").count()
    for url in registry_urls(person, alert.pk):
        assert client.get(url).status_code == 403, (who, url)
    for url in (
        reverse("registry:confirm", args=[person.pk]),
        reverse("registry:remove", args=[person.pk]),
        reverse("registry:create"),
    ):
        assert client.post(url, {"reason": "at_request"}).status_code == 403, (who, url)
    assert VulnerablePerson.objects.filter(pk=person.pk).exists()
    assert AuditEvent.objects.filter(action__startswith="registry.").count() == before


def test_it_refuses_an_administrator_of_the_organisation(
    client: Client, cast: Cast, person: VulnerablePerson
) -> None:
    # The registry is not for general administration, even with a proven second factor.
    login_verified(client, cast.administrator)
    response = client.get(reverse("registry:detail", args=[person.pk]))
    assert response.status_code == 403
    assert person.last_name not in response.content.decode()


def test_it_asks_a_social_agent_for_the_second_factor(
    client: Client, cast: Cast, person: VulnerablePerson
) -> None:
    client.force_login(cast.social_agent)
    response = client.get(reverse("registry:detail", args=[person.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor"))
    assert not AuditEvent.objects.filter(action="registry.view").exists()


def test_it_sends_anonymous_visitors_to_the_login_page(
    client: Client, person: VulnerablePerson
) -> None:
    response = client.get(reverse("registry:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_hides_the_registry_from_another_organisations_social_agent(
    client: Client, cast: Cast, person: VulnerablePerson
) -> None:
    outsider = make_user(
        "ccas@autreville.example", organisation=cast.other_org, roles=(Role.SOCIAL_AGENT,)
    )
    login_verified(client, outsider)
    # On Valmont's host the outsider holds no role: refused.
    assert client.get(reverse("registry:detail", args=[person.pk])).status_code == 403
    # On their own organisation's host, Valmont's records and alerts do not exist.
    other = {"HTTP_HOST": "autreville.localhost"}
    alert = make_alert(cast.org, cast.alert_author, whole_territory=True)
    assert client.get(reverse("registry:detail", args=[person.pk]), **other).status_code == 404
    assert client.get(reverse("registry:update", args=[person.pk]), **other).status_code == 404
    assert client.post(reverse("registry:confirm", args=[person.pk]), **other).status_code == 404
    response = client.post(
        reverse("registry:remove", args=[person.pk]), {"reason": "at_request"}, **other
    )
    assert response.status_code == 404
    assert client.get(reverse("registry:call_sheet", args=[alert.pk]), **other).status_code == 404
    listing = client.get(reverse("registry:list"), **other)
    assert listing.status_code == 200
    assert person.last_name not in listing.content.decode()
    export = client.get(reverse("registry:export"), **other)
    assert person.last_name not in export.content.decode("utf-8-sig")
    assert VulnerablePerson.objects.filter(pk=person.pk).exists()


def test_it_lists_the_tool_for_social_agents_only(client: Client, cast: Cast) -> None:
    login_verified(client, cast.social_agent)
    assert reverse("registry:list") in client.get(reverse("backoffice:home")).content.decode()
    login_verified(client, cast.administrator)
    assert reverse("registry:list") not in client.get(reverse("backoffice:home")).content.decode()


def test_it_never_offers_another_organisations_address(
    client: Client, cast: Cast, person: VulnerablePerson
) -> None:
    foreign = make_address(cast.other_org, 4.001, 45.001, "Ferme isolée")
    login_verified(client, cast.social_agent)
    response = client.post(
        reverse("registry:update", args=[person.pk]),
        {
            "last_name": "Dupont",
            "first_name": "Jeanne",
            "birth_date": person.birth_date.isoformat(),
            "situation": "elderly",
            "address": foreign.pk,
            "phone": "04 75 00 00 01",
            "preferred_channel": "landline",
            "requested_on": person.requested_on.isoformat(),
            "request_source": "self",
        },
    )
    assert response.status_code == 200
    assert "Choose an address of the commune in the list." in response.content.decode()
    person.refresh_from_db()
    assert person.address_id != foreign.pk
