from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.accounts.access import user_roles
from beffroi.accounts.models import User
from beffroi.core.models import AuditEvent
from beffroi.demo import addresses, geography
from beffroi.demo import constants as c
from beffroi.demo.loader import demo_load
from beffroi.territory.models import (
    Address,
    Organisation,
    OrganisationHost,
    Street,
    Zone,
    ZoneMembership,
)
from beffroi.territory.selectors import address_search, organisation_for_host


def _snapshot() -> dict[str, Any]:
    return {
        "zones": [
            (z.kind, z.name, z.geometry, round(z.area_m2))
            for z in Zone.objects.order_by("kind", "name")
        ],
        "streets": sorted(Street.objects.values_list("name", flat=True)),
        "addresses": sorted(
            Address.objects.values_list("ban_id", "number", "suffix", "lon", "lat")
        ),
        "memberships": ZoneMembership.objects.count(),
        "users": sorted(User.objects.values_list("email", "full_name")),
    }


@pytest.mark.django_db
def test_it_builds_the_same_commune_every_time(tmp_path: Path) -> None:
    first = demo_load(directory=tmp_path / "a")
    assert first.loaded
    snapshot = _snapshot()
    again = demo_load(reset=True, directory=tmp_path / "b")
    assert again.loaded
    assert _snapshot() == snapshot
    assert (tmp_path / "a" / "adresses-99501.csv").read_bytes() == (
        tmp_path / "b" / "adresses-99501.csv"
    ).read_bytes()
    assert Organisation.objects.count() == 1
    assert (first.zones, first.streets, first.residents, first.agents) == (
        again.zones,
        again.streets,
        again.residents,
        again.agents,
    )
    assert first.streets == 40
    assert 1_300 <= first.addresses <= 1_700
    assert first.residents == c.RESIDENT_COUNT


@pytest.mark.django_db
def test_it_is_idempotent_and_says_so(tmp_path: Path, settings: Any) -> None:
    settings.DATA_DIR = tmp_path
    out = StringIO()
    call_command("demo", stdout=out)
    assert "Demo loaded" in out.getvalue()
    assert c.TOTP_SECRET_BASE32 in out.getvalue()
    snapshot = _snapshot()
    events = AuditEvent.objects.count()
    out = StringIO()
    call_command("demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert _snapshot() == snapshot
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_it_makes_a_usable_default_commune(tmp_path: Path) -> None:
    demo_load(directory=tmp_path)
    organisation = Organisation.objects.get(slug=c.ORGANISATION_SLUG)
    assert organisation.is_default
    assert set(OrganisationHost.objects.values_list("host", flat=True)) == {
        "localhost",
        "127.0.0.1",
    }
    assert organisation_for_host("127.0.0.1") == organisation
    assert organisation.opening_hours
    commune = organisation.communes.get()
    assert (commune.insee_code, commune.postcode) == ("99501", "55990")
    assert commune.min_lon is not None and commune.min_lon < c.CENTRE_LON < commune.max_lon  # type: ignore[operator]
    kinds = dict.fromkeys(Zone.Kind.values, 0)
    for zone in Zone.objects.filter(organisation=organisation):
        kinds[zone.kind] += 1
    assert kinds["hamlet"] + kinds["district"] == 8
    assert kinds["flood"] == 1 and kinds["risk"] >= 1
    flood = Zone.objects.get(kind=Zone.Kind.FLOOD)
    assert ZoneMembership.objects.filter(zone=flood).exists()

    for login in c.demo_logins():
        user = User.objects.get(email=login.email)
        assert user.check_password(login.password)
        assert login.role in user_roles(user, organisation)
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
        if login.two_factor:
            device = devices.get()
            assert device.key == c.TOTP_KEY_HEX
            assert device.verify_token(f"{totp(device.bin_key):06d}")
            assert set(
                StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
            ) == set(c.BACKUP_CODES)
        else:
            assert not devices.exists()
    resident = User.objects.filter(email__endswith=f"@{c.EMAIL_DOMAIN}").exclude(
        email__in=[login.email for login in c.demo_logins()]
    )[0]
    assert resident.check_password(c.RESIDENT_PASSWORD)


@pytest.mark.django_db
def test_it_finds_the_town_hall_from_a_sloppy_query(tmp_path: Path) -> None:
    demo_load(directory=tmp_path)
    organisation = Organisation.objects.get(slug=c.ORGANISATION_SLUG)
    matches = address_search(organisation=organisation, query="12 r mairie")
    assert matches
    assert matches[0].label.startswith("12 Rue de la Mairie")


def test_it_generates_identical_files_from_the_seed() -> None:
    one, two = geography.build(), geography.build()
    for kind in ("district", "hamlet", "flood", "risk"):
        assert geography.zones_feature_collection(one, kind) == geography.zones_feature_collection(
            two, kind
        )
    assert addresses.ban_csv(addresses.generate(one)) == addresses.ban_csv(addresses.generate(two))
    header = addresses.ban_csv(addresses.generate(one)).decode().splitlines()[0]
    assert header.split(";") == addresses.BAN_HEADER
    places = [p for _, zones in one.zones.items() for p, _n, _g, _d in zones if p is not None]
    polygons = [g for zones in one.zones.values() for p, _n, g, _d in zones if p is not None]
    assert len(places) == 8
    for index, polygon in enumerate(polygons):
        assert one.boundary.contains(polygon)
        for other in polygons[index + 1 :]:
            assert not polygon.intersects(other)


def test_it_gives_residents_numbers_that_parse_as_mobiles() -> None:
    from beffroi.core.phone import phone_e164, phone_parse
    from beffroi.demo.people import VULNERABLE_PERSONS, generate

    numbers = [resident.phone for resident in generate()]
    persons = [seed.details for seed in VULNERABLE_PERSONS]
    numbers += [p["phone"] for p in persons if p["preferred_channel"] in ("mobile", "sms")]
    numbers += [p["contact_phone"] for p in persons if p.get("contact_phone")]
    for raw in numbers:
        assert phone_e164(phone_parse(raw, mobile=True)).startswith("+33641")


@pytest.mark.django_db
def test_it_fills_the_registry_and_reaches_residents_by_sms(tmp_path: Path, settings: Any) -> None:
    from beffroi.alerts.models import Subscriber, VulnerablePerson
    from beffroi.demo.people import VULNERABLE_PERSONS

    settings.DATA_DIR = tmp_path
    call_command("demo", stdout=StringIO())
    organisation = Organisation.objects.get(slug=c.ORGANISATION_SLUG)
    persons = VulnerablePerson.objects.filter(organisation=organisation)
    assert persons.count() == len(VULNERABLE_PERSONS)
    assert persons.filter(electricity_dependent=True).exists()
    assert persons.filter(address__memberships__zone__kind="flood").exists()
    # Every registration is in the audit trail, as one made by the CCAS would be.
    assert AuditEvent.objects.filter(action="registry.create").count() == len(VULNERABLE_PERSONS)
    sms = Subscriber.objects.filter(organisation=organisation).exclude(sms_number="")
    assert sms.count() > c.RESIDENT_COUNT // 3
    # `--reset` removes the registry with the rest (its addresses are protected).
    call_command("demo", "--reset", stdout=StringIO())
    assert VulnerablePerson.objects.count() == len(VULNERABLE_PERSONS)
