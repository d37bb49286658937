from __future__ import annotations

import pytest
from django.test import Client

from beffroi.accounts import services
from beffroi.accounts.models import ApiToken, Role, RoleAssignment, User
from beffroi.core.models import AuditEvent
from beffroi.testing import Cast, login_verified


def test_an_agent_of_another_organisation_can_do_nothing_here(cast: Cast, client: Client) -> None:
    token, _key = services.api_token_create(user=cast.moderator, organisation=cast.org, name="t")
    assignment = RoleAssignment.objects.get(user=cast.moderator)
    login_verified(client, cast.other_admin)
    before = (RoleAssignment.objects.count(), User.objects.count(), AuditEvent.objects.count())
    requests = [
        ("get", "/backoffice/comptes/", {}),
        ("post", "/backoffice/comptes/", {"email": "spy@example.org", "role": Role.ADMINISTRATOR}),
        ("post", f"/backoffice/comptes/roles/{assignment.pk}/retirer/", {}),
        (
            "post",
            f"/backoffice/comptes/agents/{cast.moderator.pk}/double-authentification/reinitialiser/",
            {},
        ),
        ("post", "/compte/jetons/", {"name": "spy"}),
        ("post", f"/compte/jetons/{token.pk}/revoquer/", {}),
    ]
    for method, path, data in requests:
        response = getattr(client, method)(path, data)
        assert response.status_code == 403, (path, response.status_code)
    assert client.get("/admin/", follow=True).status_code == 403
    assert client.get("/admin/accounts/user/", follow=True).status_code == 403
    after = (RoleAssignment.objects.count(), User.objects.count(), AuditEvent.objects.count())
    assert after == before
    token.refresh_from_db()
    assert token.revoked_at is None
    assert not ApiToken.objects.filter(user=cast.other_admin).exists()


@pytest.mark.parametrize("role", [Role.ALERT_AUTHOR, Role.FRONT_DESK, Role.MODERATOR])
def test_agents_of_this_organisation_get_nothing_from_the_other(
    cast: Cast, client: Client, role: str
) -> None:
    client.force_login(cast.agents()[role])
    host = {"HTTP_HOST": "autreville.localhost"}
    assert client.get("/backoffice/comptes/", **host).status_code == 403  # type: ignore[arg-type]
    assert client.post("/compte/jetons/", {"name": "x"}, **host).status_code == 403  # type: ignore[arg-type]
    assert not ApiToken.objects.exists()


def test_the_other_administrator_manages_only_their_own_agents(cast: Cast, client: Client) -> None:
    login_verified(client, cast.other_admin)
    response = client.get("/backoffice/comptes/", HTTP_HOST="autreville.localhost")
    assert response.status_code == 200
    assert [row.user for row in response.context["rows"]] == [cast.other_admin]
