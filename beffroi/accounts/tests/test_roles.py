from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from beffroi.accounts.models import Role, RoleAssignment, User
from beffroi.accounts.tests.factories import link_in_last_mail
from beffroi.core.models import AuditEvent
from beffroi.testing import Cast, login_verified, make_user

Sent = Callable[[], AbstractContextManager[Any]]
AGENTS = "/backoffice/comptes/"


def test_it_lists_the_organisations_agents(cast: Cast, client: Client) -> None:
    login_verified(client, cast.administrator)
    response = client.get(AGENTS)
    assert response.status_code == 200
    emails = {row.user.email for row in response.context["rows"]}
    assert emails == {u.email for u in cast.agents().values()}
    assert cast.other_admin.email not in response.content.decode()
    assert cast.resident.email not in response.content.decode()


def test_it_invites_a_new_agent_with_a_set_password_link(
    cast: Cast, client: Client, sent: Sent
) -> None:
    login_verified(client, cast.administrator)
    with sent():
        response = client.post(
            AGENTS, {"email": "New.Agent@Valmont.example", "role": Role.FRONT_DESK}
        )
    assert response.status_code == 302
    user = User.objects.get(email="new.agent@valmont.example")
    assert not user.has_usable_password()
    assignment = RoleAssignment.objects.get(user=user)
    assert (assignment.organisation, assignment.role, assignment.granted_by) == (
        cast.org,
        Role.FRONT_DESK,
        cast.administrator,
    )
    event = AuditEvent.objects.get(action="role.grant")
    assert event.actor == cast.administrator
    assert event.organisation == cast.org
    assert event.data["role"] == Role.FRONT_DESK and event.data["account_created"] is True
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    link = link_in_last_mail("/compte/mot-de-passe/nouveau/")
    client.logout()
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    password = "mon-premier-secret-42"
    client.post(
        form_page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )
    user.refresh_from_db()
    assert user.check_password(password)


def test_it_grants_a_role_to_an_existing_account_without_email(
    cast: Cast, client: Client, sent: Sent
) -> None:
    login_verified(client, cast.administrator)
    with sent():
        client.post(AGENTS, {"email": cast.resident.email, "role": Role.MODERATOR})
    assert RoleAssignment.objects.filter(
        user=cast.resident, organisation=cast.org, role=Role.MODERATOR
    ).exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    "data",
    [
        {"email": "redaction@valmont.example", "role": Role.ALERT_AUTHOR},
        {"email": "x@valmont.example", "role": Role.RESIDENT},
        {"email": "x@valmont.example", "role": "superhero"},
        {"email": "not-an-address", "role": Role.MODERATOR},
    ],
)
def test_it_refuses_bad_grants(cast: Cast, client: Client, data: dict[str, str]) -> None:
    login_verified(client, cast.administrator)
    before = RoleAssignment.objects.count()
    response = client.post(AGENTS, data)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert RoleAssignment.objects.count() == before
    assert not AuditEvent.objects.filter(action="role.grant").exists()
    assert not User.objects.filter(email="x@valmont.example").exists()


def test_it_revokes_a_role_and_audits_it(cast: Cast, client: Client) -> None:
    login_verified(client, cast.administrator)
    assignment = RoleAssignment.objects.get(user=cast.moderator, role=Role.MODERATOR)
    response = client.post(f"{AGENTS}roles/{assignment.pk}/retirer/")
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    event = AuditEvent.objects.get(action="role.revoke")
    assert event.actor == cast.administrator
    assert event.target_id == str(cast.moderator.pk)
    assert event.data == {"role": Role.MODERATOR, "user_id": cast.moderator.pk}


def test_an_administrator_cannot_remove_their_own_administrator_role(
    cast: Cast, client: Client
) -> None:
    make_user("second@valmont.example", organisation=cast.org, roles=(Role.ADMINISTRATOR,))
    login_verified(client, cast.administrator)
    own = RoleAssignment.objects.get(user=cast.administrator, role=Role.ADMINISTRATOR)
    response = client.post(f"{AGENTS}roles/{own.pk}/retirer/", follow=True)
    assert RoleAssignment.objects.filter(pk=own.pk).exists()
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not AuditEvent.objects.filter(action="role.revoke").exists()


def test_the_organisation_keeps_at_least_one_administrator(cast: Cast) -> None:
    from django.core.exceptions import ValidationError

    from beffroi.accounts import services

    only = RoleAssignment.objects.get(user=cast.administrator, role=Role.ADMINISTRATOR)
    with pytest.raises(ValidationError) as excinfo:
        services.role_revoke(assignment=only, revoked_by=cast.alert_author)
    assert excinfo.value.code == "last_admin"
    assert RoleAssignment.objects.filter(pk=only.pk).exists()


def test_it_hides_other_organisations_roles(cast: Cast, client: Client) -> None:
    login_verified(client, cast.administrator)
    theirs = RoleAssignment.objects.get(user=cast.other_admin)
    assert client.post(f"{AGENTS}roles/{theirs.pk}/retirer/").status_code == 404
    assert RoleAssignment.objects.filter(pk=theirs.pk).exists()
    response = client.post(
        f"{AGENTS}agents/{cast.other_admin.pk}/double-authentification/reinitialiser/"
    )
    assert response.status_code == 404


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.ALERT_AUTHOR, Role.FRONT_DESK])
def test_agents_who_are_not_administrators_get_403(cast: Cast, client: Client, role: str) -> None:
    client.force_login(cast.agents()[role])
    assignment = RoleAssignment.objects.get(user=cast.moderator)
    assert client.get(AGENTS).status_code == 403
    assert (
        client.post(AGENTS, {"email": "z@example.org", "role": Role.MODERATOR}).status_code == 403
    )
    assert client.post(f"{AGENTS}roles/{assignment.pk}/retirer/").status_code == 403
    assert not User.objects.filter(email="z@example.org").exists()
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_the_back_office_lists_the_tool_for_administrators_only(cast: Cast, client: Client) -> None:
    login_verified(client, cast.administrator)
    assert b'href="/backoffice/comptes/"' in client.get("/backoffice/").content
    client.force_login(cast.front_desk)
    assert b'href="/backoffice/comptes/"' not in client.get("/backoffice/").content


@pytest.mark.french
def test_the_invitation_comes_from_the_organisation_in_natural_french(
    cast: Cast, client: Client, sent: Sent
) -> None:
    login_verified(client, cast.administrator)
    with sent():
        client.post(AGENTS, {"email": "new.agent@valmont.example", "role": Role.FRONT_DESK})
    [message] = mail.outbox
    assert message.from_email.startswith("Commune de Valmont <")
    assert message.subject == "Votre accès à la plateforme — Commune de Valmont"
    assert "sur la plateforme (Commune de Valmont)" in message.body
    assert "de Commune de" not in message.subject + message.body
