"""``core.rows.row`` gives the instance the ORM gives, and the account backend built on it
keeps Django's checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.test import Client
from django.utils import timezone

from beffroi.accounts.backends import AccountBackend
from beffroi.core.rows import row
from beffroi.participation.models import Participant
from beffroi.territory.models import Organisation
from beffroi.testing import Cast


def _same(a: object, b: object) -> None:
    for field in type(a)._meta.concrete_fields:  # type: ignore[attr-defined]
        assert getattr(a, field.attname) == getattr(b, field.attname), field.name


@pytest.mark.django_db
def test_a_row_is_the_instance_the_orm_gives(cast: Cast) -> None:
    blocked_at = timezone.now() - timedelta(days=2)
    person = Participant.objects.create(
        organisation=cast.org,
        user=cast.resident,
        display_name="Camille",
        birth_year=1961,
        blocked_at=blocked_at,
        blocked_reason="Propos injurieux",
    )
    read = row(
        Participant, "organisation_id = %s AND user_id = %s", [cast.org.pk, cast.resident.pk]
    )
    assert read is not None
    _same(read, Participant.objects.get(pk=person.pk))
    # Times come back aware, on every engine (SQLite stores them as text).
    assert read.blocked_at == blocked_at and timezone.is_aware(read.blocked_at)
    # A saved instance, as the ORM's: saving it updates the row.
    assert not read._state.adding
    read.display_name = "Camille M."
    read.save(update_fields=["display_name"])
    assert Participant.objects.get(pk=person.pk).display_name == "Camille M."


@pytest.mark.django_db
def test_a_json_column_comes_back_as_the_orm_reads_it(cast: Cast) -> None:
    cast.org.settings = {"sms_daily_budget": 120, "names": ["Valmont", "Le Bourg"]}
    cast.org.save()
    read = row(Organisation, "id = %s", [cast.org.pk])
    assert read is not None
    _same(read, Organisation.objects.get(pk=cast.org.pk))


@pytest.mark.django_db
def test_no_row_is_none(cast: Cast) -> None:
    assert row(Participant, "organisation_id = %s AND user_id = %s", [cast.org.pk, 0]) is None


@pytest.mark.django_db
def test_the_account_backend_keeps_djangos_checks(cast: Cast) -> None:
    backend = AccountBackend()
    user = backend.get_user(cast.resident.pk)
    assert user == cast.resident
    _same(user, cast.resident)
    assert backend.get_user(str(cast.resident.pk)) == cast.resident
    assert backend.get_user(0) is None
    assert backend.get_user("not an id") is None
    cast.resident2.is_active = False
    cast.resident2.save(update_fields=["is_active"])
    assert backend.get_user(cast.resident2.pk) is None


@pytest.mark.django_db
def test_a_session_of_a_deactivated_account_is_no_one(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.resident, backend="beffroi.accounts.backends.AccountBackend")
    assert client.session[BACKEND_SESSION_KEY] == "beffroi.accounts.backends.AccountBackend"
    assert client.get("/compte/profil/").status_code == 200
    cast.resident.is_active = False
    cast.resident.save(update_fields=["is_active"])
    assert client.get("/compte/profil/").status_code == 302
