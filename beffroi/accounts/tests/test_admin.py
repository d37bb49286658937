from __future__ import annotations

import pytest
from django.test import Client

from beffroi.accounts.models import ApiToken, Role, RoleAssignment, User
from beffroi.core.audit import audit_record
from beffroi.core.models import AuditEvent
from beffroi.territory.models import Commune, Organisation, OrganisationHost
from beffroi.testing import Cast, login_verified

OTHER_HOST = "autreville.localhost"


@pytest.fixture
def tokens(cast: Cast) -> tuple[ApiToken, ApiToken]:
    from beffroi.accounts import services

    ours, _k1 = services.api_token_create(user=cast.moderator, organisation=cast.org, name="ours")
    theirs, _k2 = services.api_token_create(
        user=cast.other_admin, organisation=cast.other_org, name="theirs"
    )
    return ours, theirs


def changelist_ids(client: Client, model: str, **extra: str) -> set[int]:
    response = client.get(f"/admin/{model}/", **extra)  # type: ignore[arg-type]
    assert response.status_code == 200, response
    return {obj.pk for obj in response.context["cl"].result_list}


def test_an_administrator_sees_only_their_organisation(
    cast: Cast, client: Client, tokens: tuple[ApiToken, ApiToken]
) -> None:
    audit_record(action="ours", organisation=cast.org)
    audit_record(action="theirs", organisation=cast.other_org)
    login_verified(client, cast.administrator)
    assert client.get("/admin/").status_code == 200
    assert changelist_ids(client, "territory/organisation") == {cast.org.pk}
    assert changelist_ids(client, "territory/organisationhost") == set(
        OrganisationHost.objects.filter(organisation=cast.org).values_list("pk", flat=True)
    )
    assert changelist_ids(client, "territory/commune") == set(
        Commune.objects.filter(organisation=cast.org).values_list("pk", flat=True)
    )
    assert changelist_ids(client, "accounts/apitoken") == {tokens[0].pk}
    assert changelist_ids(client, "accounts/roleassignment") == set(
        RoleAssignment.objects.filter(organisation=cast.org).values_list("pk", flat=True)
    )
    users = changelist_ids(client, "accounts/user")
    assert cast.resident.pk in users and cast.other_admin.pk not in users
    events = changelist_ids(client, "core/auditevent")
    assert set(AuditEvent.objects.filter(pk__in=events).values_list("organisation", flat=True)) == {
        cast.org.pk
    }
    # Objects of the other organisation cannot be opened by id either.
    other_commune = Commune.objects.get(organisation=cast.other_org)
    response = client.get(f"/admin/territory/commune/{other_commune.pk}/change/")
    assert response.status_code == 302
    response = client.get(f"/admin/territory/organisation/{cast.other_org.pk}/change/")
    assert response.status_code == 302
    response = client.get(f"/admin/accounts/user/{cast.other_admin.pk}/change/")
    assert response.status_code == 302


def test_the_other_administrator_sees_only_theirs(
    cast: Cast, client: Client, tokens: tuple[ApiToken, ApiToken]
) -> None:
    login_verified(client, cast.other_admin)
    assert changelist_ids(client, "territory/organisation", HTTP_HOST=OTHER_HOST) == {
        cast.other_org.pk
    }
    assert changelist_ids(client, "accounts/apitoken", HTTP_HOST=OTHER_HOST) == {tokens[1].pk}
    users = changelist_ids(client, "accounts/user", HTTP_HOST=OTHER_HOST)
    assert users == {cast.other_admin.pk}


def test_an_administrator_of_another_organisation_is_refused(cast: Cast, client: Client) -> None:
    login_verified(client, cast.other_admin)
    assert client.get("/admin/", follow=True).status_code == 403
    assert client.get("/admin/territory/organisation/", follow=True).status_code == 403


def test_an_administrator_edits_their_organisation_but_not_its_slug(
    cast: Cast, client: Client
) -> None:
    login_verified(client, cast.administrator)
    url = f"/admin/territory/organisation/{cast.org.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "name": "Ville de Valmont",
        "slug": "hijack",
        "contact_email": "mairie@valmont.example",
        "contact_phone": "04 00 00 00 01",
        "postal_address": "2 place de la Mairie",
        "opening_hours": "",
        "website": "",
        "center_lat": "45.0",
        "center_lon": "4.0",
        "default_zoom": "13",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    org = Organisation.objects.get(pk=cast.org.pk)
    assert org.name == "Ville de Valmont"
    assert org.slug == "valmont"


def test_an_administrator_cannot_add_a_host_to_another_organisation(
    cast: Cast, client: Client
) -> None:
    login_verified(client, cast.administrator)
    response = client.post(
        "/admin/territory/organisationhost/add/",
        {"organisation": str(cast.other_org.pk), "host": "valmont.example.org", "is_primary": ""},
    )
    assert response.status_code == 302
    host = OrganisationHost.objects.get(host="valmont.example.org")
    assert host.organisation == cast.org


def test_tokens_and_the_audit_trail_are_read_only(
    cast: Cast, client: Client, tokens: tuple[ApiToken, ApiToken]
) -> None:
    login_verified(client, cast.administrator)
    page = client.get(f"/admin/accounts/apitoken/{tokens[0].pk}/change/")
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    event = AuditEvent.objects.filter(organisation=cast.org).first()
    assert event is not None
    assert (
        client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert client.post(f"/admin/accounts/user/{cast.resident.pk}/change/", {}).status_code == 403


def test_residents_and_unverified_administrators_are_kept_out(cast: Cast, client: Client) -> None:
    client.force_login(cast.resident)
    assert client.get("/admin/", follow=True).status_code == 403
    client.force_login(cast.administrator)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/double-authentification/")
    client.logout()
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client.get(response["Location"])["Location"].startswith("/compte/connexion/")


def test_superusers_see_every_organisation(cast: Cast, client: Client) -> None:
    root = User.objects.create_superuser(email="root@example.org", password="x-long-password-1")
    login_verified(client, root)
    assert changelist_ids(client, "territory/organisation") == {cast.org.pk, cast.other_org.pk}
    assert Role.ADMINISTRATOR  # the operator needs no role


def test_superusers_prove_a_second_factor_first(cast: Cast, client: Client) -> None:
    root = User.objects.create_superuser(email="root@example.org", password="x-long-password-1")
    client.force_login(root)
    response = client.get("/admin/territory/organisation/")
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/double-authentification/")


def test_an_administrator_revokes_tokens_of_their_organisation_only(
    cast: Cast, client: Client, tokens: tuple[ApiToken, ApiToken]
) -> None:
    login_verified(client, cast.administrator)
    response = client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [str(tokens[0].pk), str(tokens[1].pk)]},
    )
    assert response.status_code == 302
    ours, theirs = (ApiToken.objects.get(pk=t.pk) for t in tokens)
    assert ours.revoked_at is not None
    assert theirs.revoked_at is None
    event = AuditEvent.objects.get(action="api_token.revoke")
    assert event.actor == cast.administrator and event.organisation == cast.org
