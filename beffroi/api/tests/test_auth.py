from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from beffroi.accounts.models import ApiToken, Role, RoleAssignment
from beffroi.api.tests.factories import bearer, make_token
from beffroi.testing import Cast


def test_it_returns_the_agent_of_a_valid_token(cast: Cast, client: Client) -> None:
    key = make_token(cast.alert_author, cast.org)
    response = client.get("/api/v1/me", **bearer(key))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == cast.alert_author.email
    assert body["full_name"] == "Rémi Auteur"
    assert body["organisation"] == {"slug": "valmont", "name": "Commune de Valmont"}
    assert body["roles"] == [Role.ALERT_AUTHOR]
    token = ApiToken.objects.get(user=cast.alert_author)
    assert token.last_used_at is not None


def test_it_updates_last_used_at_at_most_once_a_minute(cast: Cast, client: Client) -> None:
    key = make_token(cast.moderator, cast.org)
    client.get("/api/v1/me", **bearer(key))
    first = ApiToken.objects.get(user=cast.moderator).last_used_at
    client.get("/api/v1/me", **bearer(key))
    assert ApiToken.objects.get(user=cast.moderator).last_used_at == first
    ApiToken.objects.filter(user=cast.moderator).update(
        last_used_at=timezone.now() - timedelta(minutes=2)
    )
    client.get("/api/v1/me", **bearer(key))
    assert ApiToken.objects.get(user=cast.moderator).last_used_at > first  # type: ignore[operator]


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer bf_nope_nope",
        "Bearer not-a-token",
        "Basic YWxpY2U6cGFzcw==",
        "Bearer bf_" + "x" * 5000,
        "Bearer bf_é_ü",
    ],
)
def test_it_refuses_missing_or_unknown_tokens(
    cast: Cast, client: Client, header: str | None
) -> None:
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get("/api/v1/me", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "detail" in response.json()


def test_it_refuses_a_revoked_or_expired_token(cast: Cast, client: Client) -> None:
    revoked = make_token(cast.front_desk, cast.org)
    ApiToken.objects.filter(user=cast.front_desk).update(revoked_at=timezone.now())
    assert client.get("/api/v1/me", **bearer(revoked)).status_code == 401
    expired = make_token(cast.moderator, cast.org)
    ApiToken.objects.filter(user=cast.moderator).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert client.get("/api/v1/me", **bearer(expired)).status_code == 401
    assert ApiToken.objects.get(user=cast.moderator).last_used_at is None


def test_it_refuses_a_token_on_another_organisation_host(cast: Cast, client: Client) -> None:
    key = make_token(cast.administrator, cast.org)
    response = client.get("/api/v1/me", HTTP_HOST="autreville.localhost", **bearer(key))
    assert response.status_code == 401
    other_key = make_token(cast.other_admin, cast.other_org)
    assert client.get("/api/v1/me", **bearer(other_key)).status_code == 401
    ok = client.get("/api/v1/me", HTTP_HOST="autreville.localhost", **bearer(other_key))
    assert ok.status_code == 200
    assert ok.json()["organisation"]["slug"] == "autreville"


def test_it_refuses_a_token_whose_owner_lost_the_agent_role_or_was_disabled(
    cast: Cast, client: Client
) -> None:
    key = make_token(cast.social_agent, cast.org)
    RoleAssignment.objects.filter(user=cast.social_agent).delete()
    RoleAssignment.objects.create(user=cast.social_agent, organisation=cast.org, role=Role.RESIDENT)
    assert client.get("/api/v1/me", **bearer(key)).status_code == 401

    key2 = make_token(cast.alert_approver, cast.org)
    cast.alert_approver.is_active = False
    cast.alert_approver.save(update_fields=["is_active"])
    assert client.get("/api/v1/me", **bearer(key2)).status_code == 401


def test_it_ignores_session_login_on_token_endpoints(cast: Cast, client: Client) -> None:
    client.force_login(cast.administrator)
    assert client.get("/api/v1/me").status_code == 401
