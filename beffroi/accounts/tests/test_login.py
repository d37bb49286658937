from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client

from beffroi.accounts.tests.factories import current_code
from beffroi.testing import PASSWORD, Cast

LOGIN = "/compte/connexion/"


def test_it_logs_in_with_email_and_password(cast: Cast, client: Client) -> None:
    response = client.post(LOGIN, {"username": "Alice@Example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(cast.resident.pk)
    cast.resident.refresh_from_db()
    assert cast.resident.last_login is not None


def test_it_refuses_a_wrong_password_with_a_message(cast: Cast, client: Client) -> None:
    response = client.post(LOGIN, {"username": cast.resident.email, "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert b"error-summary" in response.content
    assert "_auth_user_id" not in client.session


def test_it_follows_a_safe_next_and_ignores_an_external_one(cast: Cast, client: Client) -> None:
    response = client.post(
        f"{LOGIN}?next=/contact/", {"username": cast.resident.email, "password": PASSWORD}
    )
    assert response["Location"] == "/contact/"
    client.logout()
    response = client.post(
        f"{LOGIN}?next=https://evil.example/",
        {"username": cast.resident.email, "password": PASSWORD},
    )
    assert response["Location"] == "/"


def test_it_logs_out_on_post_only(cast: Cast, client: Client) -> None:
    client.force_login(cast.resident)
    assert client.get("/compte/deconnexion/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/compte/deconnexion/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_it_locks_out_after_five_failures_even_with_the_right_password(
    cast: Cast, client: Client
) -> None:
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": cast.resident.email, "password": "wrong-password"})
    response = client.post(LOGIN, {"username": cast.resident.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    templates = [t.name for t in response.templates]
    assert "accounts/locked_out.html" in templates
    assert b"<h1>" in response.content
    assert b"/compte/mot-de-passe/oublie/" in response.content


def test_it_renders_the_lockout_page_in_french_by_default(cast: Cast, client: Client) -> None:
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(LOGIN, {"username": cast.resident.email, "password": "x"})
    assert response.status_code == 429
    assert response.context["cooloff_timedelta"] is not None
    assert b'lang="fr"' in response.content


def test_it_sets_the_language_of_the_account_at_login(cast: Cast, client: Client) -> None:
    cast.resident.language = "en"
    cast.resident.save()
    response = client.post(LOGIN, {"username": cast.resident.email, "password": PASSWORD})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_it_asks_a_two_factor_role_for_a_code_then_opens_the_back_office(
    cast: Cast, client: Client
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=cast.alert_approver, name="phone", confirmed=True)
    response = client.post(LOGIN, {"username": cast.alert_approver.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/compte/double-authentification/?next=%2Fbackoffice%2F"
    assert client.get("/backoffice/").status_code == 302
    page = client.get(response["Location"])
    assert "accounts/two_factor_verify.html" in [t.name for t in page.templates]
    response = client.post(
        "/compte/double-authentification/", {"code": current_code(device), "next": "/backoffice/"}
    )
    assert response["Location"] == "/backoffice/"
    assert client.get("/backoffice/").status_code == 200


def test_it_sends_an_agent_with_no_two_factor_role_to_the_back_office(
    cast: Cast, client: Client
) -> None:
    response = client.post(LOGIN, {"username": cast.front_desk.email, "password": PASSWORD})
    assert response["Location"] == "/backoffice/"
    assert client.get("/backoffice/").status_code == 200


def test_it_sends_a_resident_to_the_home_page_and_keeps_a_safe_next(
    cast: Cast, client: Client
) -> None:
    response = client.post(LOGIN, {"username": cast.resident.email, "password": PASSWORD})
    assert response["Location"] == "/"
    client.logout()
    response = client.post(
        LOGIN + "?next=/compte/", {"username": cast.front_desk.email, "password": PASSWORD}
    )
    assert response["Location"] == "/compte/"


def test_it_counts_failures_whatever_the_case_of_the_address(cast: Cast, client: Client) -> None:
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        email = cast.resident.email.upper() if attempt % 2 else cast.resident.email.title()
        client.post(LOGIN, {"username": email, "password": "wrong-password"})
    response = client.post(LOGIN, {"username": cast.resident.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_it_hashes_passwords_with_argon2_in_production(
    cast: Cast, client: Client, settings: Any
) -> None:
    """The suite hashes with MD5 for speed (the root conftest's _fast_password_hashing); with
    the production setting, a password is stored as Argon2 and logs in."""
    from beffroi import settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    cast.resident.set_password(PASSWORD)
    cast.resident.save(update_fields=["password"])
    cast.resident.refresh_from_db()
    assert cast.resident.password.startswith("argon2$")
    response = client.post(LOGIN, {"username": cast.resident.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.resident.pk)
