"""Builders for the registry's tests: Valmont's BAN addresses, zones, persons, alerts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from beffroi.accounts.models import User
from beffroi.alerts.models import Alert, VulnerablePerson
from beffroi.territory.models import Address, Organisation, Zone
from beffroi.territory.services import ban_import, zone_create
from beffroi.territory.tests.helpers import BAN_FILE, square
from beffroi.testing import Cast


def load_valmont(cast: Cast) -> dict[str, Zone]:
    """Import Valmont's 31 BAN addresses; "Le Bourg" holds the Rue de la Mairie nos. 1–9,
    the Place de la Mairie and the Rue de l'Église; "Route de Lyon" holds no. 10 of it."""
    ban_import(organisation=cast.org, path=BAN_FILE)
    return {
        "bourg": zone_create(
            organisation=cast.org, name="Le Bourg", kind="hamlet", geometry=square(4.0, 45.0, 0.005)
        ),
        "lyon": zone_create(
            organisation=cast.org,
            name="Route de Lyon",
            kind="district",
            geometry=square(4.029, 45.029, 0.002),
        ),
    }


def address(organisation: Organisation, street: str, number: str) -> Address:
    return Address.objects.get(organisation=organisation, street__name=street, number=number)


def other_org_address(cast: Cast) -> Address:
    return Address.objects.create(
        organisation=cast.other_org,
        commune=cast.other_org.communes.get(),
        locality="Ferme isolée",
        lon=4.001,
        lat=45.001,
    )


def years_ago(years: int, days: int = 0) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - timedelta(days=days)


def make_person(
    organisation: Organisation,
    where: Address,
    *,
    last_name: str = "Dupont",
    first_name: str = "Jeanne",
    age: int = 80,
    **fields: Any,
) -> VulnerablePerson:
    values: dict[str, Any] = {
        "situation": VulnerablePerson.Situation.ELDERLY,
        "phone": "+33475000001",
        "requested_on": timezone.localdate(),
        "consent_at": timezone.now(),
        "last_confirmed_on": timezone.localdate(),
    }
    values.update(fields)
    return VulnerablePerson.objects.create(
        organisation=organisation,
        last_name=last_name,
        first_name=first_name,
        birth_date=years_ago(age, days=10),
        address=where,
        **values,
    )


def make_alert(
    organisation: Organisation,
    author: User,
    *zones: Zone,
    whole_territory: bool = False,
    **fields: Any,
) -> Alert:
    values: dict[str, Any] = {
        "topic": "heat",
        "headline": "Canicule : vigilance rouge",
        "status": Alert.Status.APPROVED,
        "include_vulnerable": True,
    }
    values.update(fields)
    alert = Alert.objects.create(
        organisation=organisation,
        identifier=f"registry-test-{Alert.objects.count() + 1}",
        created_by=author,
        whole_territory=whole_territory,
        **values,
    )
    if zones:
        alert.zones.set(zones)
    return alert
