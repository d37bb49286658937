"""The shared cast of the test suite and small factories (used by every app's tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.accounts.models import Role, RoleAssignment, User
from beffroi.territory.models import Commune, Organisation, OrganisationHost

PASSWORD = "correct-horse-battery-42"  # noqa: S105 — test fixture


def make_organisation(
    *, name: str, slug: str, host: str, is_default: bool = False, insee: str = "99001"
) -> Organisation:
    organisation = Organisation.objects.create(
        name=name,
        slug=slug,
        is_default=is_default,
        center_lat=45.0,
        center_lon=4.0,
        contact_email=f"mairie@{slug}.example",
        contact_phone="04 00 00 00 00",
        postal_address="1 place de la Mairie",
    )
    OrganisationHost.objects.create(organisation=organisation, host=host, is_primary=True)
    Commune.objects.create(
        organisation=organisation, insee_code=insee, name=name.removeprefix("Commune de ")
    )
    return organisation


def make_user(
    email: str,
    *,
    organisation: Organisation | None = None,
    roles: tuple[str, ...] = (),
    full_name: str = "",
    **extra: Any,
) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, full_name=full_name, **extra)
    for role in roles:
        assert organisation is not None
        RoleAssignment.objects.create(user=user, organisation=organisation, role=role)
    return user


def login_verified(client: Client, user: User) -> TOTPDevice:
    """Log ``user`` in with a confirmed TOTP device whose second factor is proven."""
    from django_otp import DEVICE_ID_SESSION_KEY

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


@dataclass
class Cast:
    org: Organisation
    other_org: Organisation
    resident: User
    resident2: User
    association_manager: User
    moderator: User
    participation_manager: User
    alert_author: User
    alert_approver: User
    social_agent: User
    front_desk: User
    administrator: User
    other_admin: User

    def agents(self) -> dict[str, User]:
        return {
            Role.MODERATOR: self.moderator,
            Role.PARTICIPATION_MANAGER: self.participation_manager,
            Role.ALERT_AUTHOR: self.alert_author,
            Role.ALERT_APPROVER: self.alert_approver,
            Role.SOCIAL_AGENT: self.social_agent,
            Role.FRONT_DESK: self.front_desk,
            Role.ADMINISTRATOR: self.administrator,
        }


def make_cast() -> Cast:
    org = make_organisation(
        name="Commune de Valmont", slug="valmont", host="testserver", is_default=True
    )
    other = make_organisation(
        name="Commune d'Autreville", slug="autreville", host="autreville.localhost", insee="99002"
    )

    def person(email: str, *roles: str, name: str = "") -> User:
        return make_user(email, organisation=org, roles=roles, full_name=name)

    return Cast(
        org=org,
        other_org=other,
        resident=person("alice@example.org", Role.RESIDENT, name="Alice Martin"),
        resident2=person("bruno@example.org", Role.RESIDENT, name="Bruno Petit"),
        association_manager=person(
            "asso@example.org", Role.RESIDENT, Role.ASSOCIATION_MANAGER, name="Claire Asso"
        ),
        moderator=person("moderation@valmont.example", Role.MODERATOR, name="Mo Derateur"),
        participation_manager=person(
            "participation@valmont.example", Role.PARTICIPATION_MANAGER, name="Paul Participation"
        ),
        alert_author=person("redaction@valmont.example", Role.ALERT_AUTHOR, name="Rémi Auteur"),
        alert_approver=person(
            "validation@valmont.example", Role.ALERT_APPROVER, name="Valérie Valide"
        ),
        social_agent=person("ccas@valmont.example", Role.SOCIAL_AGENT, name="Sophie Social"),
        front_desk=person("accueil@valmont.example", Role.FRONT_DESK, name="Fabien Accueil"),
        administrator=person("admin@valmont.example", Role.ADMINISTRATOR, name="Anne Admin"),
        other_admin=make_user(
            "admin@autreville.example",
            organisation=other,
            roles=(Role.ADMINISTRATOR,),
            full_name="Autre Admin",
        ),
    )


def at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together (a barrier): their results,
    or the exceptions they raised. Each thread closes its own database connection. Races
    are real on PostgreSQL; SQLite's in-memory test database runs one writer."""
    results: list[Any] = [None] * count
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
