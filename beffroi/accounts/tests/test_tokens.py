from __future__ import annotations

import re
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from beffroi.accounts.models import ApiToken
from beffroi.core.models import AuditEvent
from beffroi.testing import Cast, login_verified

CREATE = "/compte/jetons/"


def test_it_shows_a_new_token_once_and_stores_only_its_hash(cast: Cast, client: Client) -> None:
    client.force_login(cast.alert_author)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(CREATE, {"name": "Station météo", "expires_on": tomorrow})
    assert response.status_code == 200
    key = response.context["key"]
    assert re.fullmatch(r"bf_[0-9a-f]{8}_[A-Za-z0-9]{40}", key)
    assert key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    assert token.key_hash == ApiToken.hash_key(key)
    assert token.prefix == key.split("_")[1]
    assert token.user == cast.alert_author and token.organisation == cast.org
    assert token.expires_at is not None and token.expires_at > timezone.now()
    secret = key.split("_", 2)[2]
    assert not ApiToken.objects.filter(key_hash__contains=secret).exists()
    assert not AuditEvent.objects.filter(data__icontains=secret).exists()
    profile = client.get("/compte/profil/").content.decode()
    assert "Station météo" in profile and key not in profile


def test_it_refuses_a_token_without_name_or_with_a_past_expiry(cast: Cast, client: Client) -> None:
    client.force_login(cast.front_desk)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(CREATE, {"name": "", "expires_on": yesterday})
    assert response.status_code == 400
    errors = response.context["token_form"].errors
    assert "name" in errors and "expires_on" in errors
    assert not ApiToken.objects.exists()


def test_residents_cannot_create_tokens(cast: Cast, client: Client) -> None:
    client.force_login(cast.resident)
    assert client.post(CREATE, {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()
    profile = client.get("/compte/profil/")
    assert profile.context["is_agent_here"] is False
    assert b'id="tokens"' not in profile.content


def test_a_two_factor_role_must_prove_it_before_creating_a_token(
    cast: Cast, client: Client
) -> None:
    client.force_login(cast.administrator)
    response = client.post(CREATE, {"name": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/double-authentification/")
    assert not ApiToken.objects.exists()
    login_verified(client, cast.administrator)
    assert client.post(CREATE, {"name": "x"}).status_code == 200
    assert ApiToken.objects.count() == 1


def test_it_revokes_only_the_agents_own_token(cast: Cast, client: Client) -> None:
    from beffroi.accounts import services

    mine, _key = services.api_token_create(user=cast.moderator, organisation=cast.org, name="a")
    theirs, _other = services.api_token_create(
        user=cast.front_desk, organisation=cast.org, name="b"
    )
    client.force_login(cast.moderator)
    assert client.post(f"/compte/jetons/{theirs.pk}/revoquer/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert client.post(f"/compte/jetons/{mine.pk}/revoquer/").status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoke", actor=cast.moderator).count() == 1
