from __future__ import annotations

import json

from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import translation
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.accounts import gdpr, services
from beffroi.accounts.models import ApiToken, Role, RoleAssignment, User
from beffroi.core.audit import audit_record
from beffroi.core.models import AuditEvent
from beffroi.testing import PASSWORD, Cast, login_verified, make_user


def test_it_exports_everything_held_on_the_user(cast: Cast, client: Client) -> None:
    agent = cast.alert_author
    RoleAssignment.objects.create(user=agent, organisation=cast.other_org, role=Role.RESIDENT)
    TOTPDevice.objects.create(user=agent, name="Phone", confirmed=True)
    token, key = services.api_token_create(user=agent, organisation=cast.org, name="Station")
    audit_record(action="alert.submit", organisation=cast.org, actor=agent, reason="storm")
    client.force_login(agent)

    response = client.get("/compte/profil/mes-donnees/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["email"] == agent.email
    assert data["account"]["full_name"] == "Rémi Auteur"
    assert {(r["organisation"], r["role"]) for r in data["roles"]} == {
        ("Commune de Valmont", Role.ALERT_AUTHOR),
        ("Commune d'Autreville", Role.RESIDENT),
    }
    assert data["two_factor_devices"][0]["name"] == "Phone"
    assert data["api_tokens"][0]["name"] == "Station"
    actions = [e["action"] for e in data["audit_events"]]
    assert "alert.submit" in actions and "api_token.create" in actions
    text = response.content.decode()
    # Names, never secrets.
    device = TOTPDevice.objects.get(user=agent)
    assert device.key not in text
    assert token.key_hash not in text and key not in text
    assert "password" not in data["account"]


def test_it_calls_the_exporters_and_erasers_other_apps_register(cast: Cast) -> None:
    seen: list[int] = []
    gdpr.register_exporter("test_app", lambda user: {"answers": [user.pk]})
    gdpr.register_eraser("test_app", lambda user: seen.append(user.pk))
    try:
        data = services.user_export_data(user=cast.resident)
        assert data["test_app"] == {"answers": [cast.resident.pk]}
        services.user_erase(user=cast.resident, organisation=cast.org)
        assert seen == [cast.resident.pk]
    finally:
        gdpr._exporters.pop("test_app")
        gdpr._erasers.pop("test_app")


def test_it_erases_an_account_after_the_password(cast: Cast, client: Client) -> None:
    agent = cast.front_desk
    TOTPDevice.objects.create(user=agent, name="Phone", confirmed=True)
    StaticDevice.objects.create(user=agent, name="Backup", confirmed=True)
    services.api_token_create(user=agent, organisation=cast.org, name="Script")
    other_browser = Client()
    other_browser.force_login(agent)
    client.force_login(agent)

    response = client.post("/compte/profil/supprimer/", {"password": "not-it"})
    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    agent.refresh_from_db()
    assert agent.erased_at is None

    response = client.post("/compte/profil/supprimer/", {"password": PASSWORD})
    assert response["Location"] == "/"
    agent.refresh_from_db()
    assert agent.email == f"erased-{agent.pk}@invalid.invalid"
    assert agent.full_name == "" and agent.phone == ""
    assert not agent.has_usable_password()
    assert not agent.is_active
    assert agent.erased_at is not None
    with translation.override("en"):
        assert agent.display_name == "Former resident"
    assert not RoleAssignment.objects.filter(user=agent).exists()
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert not StaticDevice.objects.filter(user=agent).exists()
    assert not ApiToken.objects.filter(user=agent).exists()
    assert not [
        s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(agent.pk)
    ]
    assert "_auth_user_id" not in client.session
    assert other_browser.get("/compte/profil/").status_code == 302
    event = AuditEvent.objects.get(action="account.erase")
    assert event.target_id == str(agent.pk)
    assert event.actor is None and event.actor_label == ""
    assert "accueil" not in json.dumps(event.data) and event.reason == ""
    # The row stays for the contributions that point to it.
    assert User.objects.filter(pk=agent.pk).exists()


def test_it_refuses_to_erase_the_last_administrator(cast: Cast, client: Client) -> None:
    login_verified(client, cast.administrator)
    response = client.post("/compte/profil/supprimer/", {"password": PASSWORD})
    assert response.status_code == 200
    assert "Commune de Valmont" in str(response.context["form"].non_field_errors())
    cast.administrator.refresh_from_db()
    assert cast.administrator.erased_at is None
    assert cast.administrator.is_active
    assert RoleAssignment.objects.filter(user=cast.administrator).exists()

    make_user("second@valmont.example", organisation=cast.org, roles=(Role.ADMINISTRATOR,))
    response = client.post("/compte/profil/supprimer/", {"password": PASSWORD})
    assert response.status_code == 302
    cast.administrator.refresh_from_db()
    assert cast.administrator.erased_at is not None


def test_it_leaves_no_address_of_an_erased_account_in_the_audit_trail(
    cast: Cast, client: Client
) -> None:
    agent = cast.front_desk
    address = agent.email
    audit_record(action="alerts.alert_create", organisation=cast.org, actor=agent)
    audit_record(
        action="accounts.role_grant",
        organisation=cast.org,
        actor=cast.administrator,
        target=agent,
        reason=f"asked by {address.upper()}",
        data={"email": address, "invited": [address, "other@example.org"], "role": "front_desk"},
    )
    services.user_erase(user=agent, organisation=cast.org)

    trail = json.dumps(
        list(AuditEvent.objects.values("actor_label", "reason", "data")), default=str
    ).lower()
    assert address.lower() not in trail
    done = AuditEvent.objects.get(action="alerts.alert_create")
    assert done.actor_id == agent.pk and done.actor_label == "[erased]"
    granted = AuditEvent.objects.get(action="accounts.role_grant")
    assert granted.actor_label == cast.administrator.email
    assert granted.data == {
        "email": "[erased]",
        "invited": ["[erased]", "other@example.org"],
        "role": "front_desk",
    }
    assert granted.reason == "[erased]"
    # Shown translated, in the commune's trail.
    with translation.override("en"):
        assert done.actor_display == "an erased account"
    with translation.override("fr"):
        assert done.actor_display == "un compte supprimé"
    login_verified(client, cast.administrator)
    page = client.get("/backoffice/journal/")
    assert page.status_code == 200
    html = page.content.decode()
    # In the administrator's language.
    assert "an erased account" in html or "un compte supprimé" in html
    assert address not in html
