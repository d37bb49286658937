from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.accounts.models import Role
from beffroi.accounts.tests.factories import current_code, setup_two_factor
from beffroi.core.models import AuditEvent
from beffroi.testing import Cast, login_verified

TWO_FACTOR = "/compte/double-authentification/"


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.ALERT_APPROVER, Role.SOCIAL_AGENT])
@pytest.mark.parametrize("path", ["/backoffice/", "/admin/"])
def test_it_sends_two_factor_roles_to_the_code_page(
    cast: Cast, client: Client, role: str, path: str
) -> None:
    client.force_login(cast.agents()[role])
    response = client.get(path)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == TWO_FACTOR
    assert parse_qs(location.query)["next"] == [path]


@pytest.mark.parametrize("role", [Role.ALERT_AUTHOR, Role.FRONT_DESK, Role.MODERATOR])
def test_it_lets_other_agents_in_without_a_code(cast: Cast, client: Client, role: str) -> None:
    client.force_login(cast.agents()[role])
    assert client.get("/backoffice/").status_code == 200


def test_it_sets_up_totp_with_a_real_code_and_shows_ten_backup_codes(
    cast: Cast, client: Client
) -> None:
    user = cast.administrator
    client.force_login(user)
    page = client.get(f"{TWO_FACTOR}?next=/backoffice/")
    assert "accounts/two_factor_setup.html" in [t.name for t in page.templates]
    html = page.content.decode()
    svg = re.search(r"<svg[^>]*role=\"img\".*?</svg>", html, re.S)
    assert svg is not None
    assert "style=" not in svg.group(0)
    assert "<title" in svg.group(0)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = page.context["secret"].replace(" ", "")
    import base64

    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key

    response = client.post(TWO_FACTOR, {"code": "000000", "next": "/backoffice/"})
    assert response.context["form"].errors["code"]
    device.refresh_from_db()
    assert not device.confirmed
    device.throttle_reset()

    response = client.post(TWO_FACTOR, {"code": current_code(device), "next": "/backoffice/"})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        assert code in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert StaticToken.objects.filter(device__user=user).count() == 10
    assert AuditEvent.objects.filter(action="two_factor.setup", actor=user).count() == 1
    assert client.get("/backoffice/").status_code == 200
    # Codes are shown once: the page never shows them again.
    again = client.get(f"{TWO_FACTOR}?next=/backoffice/")
    assert again.status_code == 302
    assert codes[0] not in client.get("/compte/profil/").content.decode()


def test_it_accepts_a_backup_code_only_once(cast: Cast, client: Client) -> None:
    user = cast.social_agent
    client.force_login(user)
    _device, codes = setup_two_factor(client, user)
    client.logout()
    client.force_login(user)
    assert client.get("/backoffice/").status_code == 302
    response = client.post(TWO_FACTOR, {"code": codes[0].upper(), "next": "/backoffice/"})
    assert response["Location"] == "/backoffice/"
    assert client.get("/backoffice/").status_code == 200
    assert StaticToken.objects.filter(device__user=user).count() == 9

    client.logout()
    client.force_login(user)
    StaticDevice.objects.filter(user=user).update(throttling_failure_count=0)
    response = client.post(TWO_FACTOR, {"code": codes[0], "next": "/backoffice/"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert client.get("/backoffice/").status_code == 302


def test_it_throttles_wrong_codes(cast: Cast, client: Client) -> None:
    user = cast.alert_approver
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    client.post(TWO_FACTOR, {"code": "123456"})
    response = client.post(TWO_FACTOR, {"code": current_code(device)})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1
    assert client.get("/backoffice/").status_code == 302


def test_it_ignores_an_external_next_after_the_code(cast: Cast, client: Client) -> None:
    user = cast.alert_approver
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    response = client.post(TWO_FACTOR, {"code": current_code(device), "next": "//evil.example/"})
    assert response["Location"] == "/backoffice/"


def test_it_asks_anonymous_visitors_to_log_in_first(client: Client, cast: Cast) -> None:
    response = client.get(TWO_FACTOR)
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/connexion/")


def test_it_regenerates_backup_codes_for_a_verified_user(cast: Cast, client: Client) -> None:
    user = cast.administrator
    client.force_login(user)
    _device, old = setup_two_factor(client, user)
    response = client.post("/compte/double-authentification/codes-de-secours/")
    new = response.context["codes"]
    assert set(new).isdisjoint(old)
    assert set(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    ) == set(new)
    assert AuditEvent.objects.filter(action="two_factor.backup_codes").count() == 1


def test_an_administrator_resets_an_agents_two_factor(cast: Cast, client: Client) -> None:
    TOTPDevice.objects.create(user=cast.social_agent, name="phone", confirmed=True)
    login_verified(client, cast.administrator)
    response = client.post(
        f"/backoffice/comptes/agents/{cast.social_agent.pk}/double-authentification/reinitialiser/"
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=cast.social_agent).exists()
    event = AuditEvent.objects.get(action="two_factor.reset")
    assert event.actor == cast.administrator
    assert event.target_id == str(cast.social_agent.pk)
    assert event.organisation == cast.org


def test_it_focuses_the_code_field_and_lets_backup_codes_be_typed(
    cast: Cast, client: Client
) -> None:
    user = cast.social_agent
    client.force_login(user)
    _device, codes = setup_two_factor(client, user)
    client.logout()
    client.force_login(user)
    body = client.get(TWO_FACTOR).content.decode()
    [field] = re.findall(r"<input[^>]*name=\"code\"[^>]*>", body)
    assert "autofocus" in field
    assert 'autocomplete="one-time-code"' in field
    # Backup codes have letters: no digits-only keypad, no digits-only pattern.
    assert any(not code.isdigit() for code in codes)
    assert "inputmode" not in field and "pattern" not in field
