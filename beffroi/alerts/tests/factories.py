"""Builders and fixtures of the alerts tests (composer, dispatch, public side, registry,
subscriptions): addresses, zones, subscribers, alerts, vulnerable persons, a territory with
streets, and real SMTP/SMPP servers on loopback.

Each builder has one set of defaults, those of a plausible record; a test passes what it
asserts on or depends on (a status, a headline, a channel), so that reading the test is
enough to know why it holds. Fixtures defined here are imported by the test modules that
use them (``from beffroi.alerts.tests.factories import gateways``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from beffroi.accounts.models import User
from beffroi.alerts.models import Alert, Place, Subscriber, VulnerablePerson
from beffroi.messaging.testing import SmscServer, SmtpServer, smsc_server, smtp_server
from beffroi.territory.models import Address, Commune, Organisation, Street, Zone
from beffroi.territory.services import ban_import, zone_create
from beffroi.territory.tests.factories import BAN_FILE, square
from beffroi.territory.text import normalize_street
from beffroi.testing import Cast

__all__ = [
    "BOUNDARY",
    "INSIDE",
    "INSIDE_RIVER",
    "OUTSIDE",
    "RunOnCommit",
    "Territory",
    "address",
    "dispatched",
    "email",
    "gateways",
    "give_territory",
    "load_valmont",
    "make_address",
    "make_alert",
    "make_person",
    "make_subscriber",
    "make_subscribers",
    "make_zone",
    "number",
    "on_commit",
    "registration_data",
    "sent",
    "square",
    "territory",
    "years_ago",
]

# -- territory --------------------------------------------------------------------------


def give_territory(organisation: Organisation, boundary: dict[str, Any] | None = None) -> Commune:
    """Give the organisation's commune a boundary (by default a square around (4.0, 45.0),
    the cast's map centre) and the bounding box that goes with it."""
    boundary = boundary or square(3.95, 44.95, 0.1)
    ring = boundary["coordinates"][0]
    commune = organisation.communes.get()
    commune.boundary = boundary
    commune.min_lon = min(lon for lon, _lat in ring)
    commune.min_lat = min(lat for _lon, lat in ring)
    commune.max_lon = max(lon for lon, _lat in ring)
    commune.max_lat = max(lat for _lon, lat in ring)
    commune.save()
    return commune


def make_address(organisation: Organisation, lon: float, lat: float, label: str = "") -> Address:
    """An address without a street (a locality named ``label``) in the organisation's
    commune."""
    return Address.objects.create(
        organisation=organisation,
        commune=organisation.communes.get(),
        street=None,
        locality=label,
        lon=lon,
        lat=lat,
    )


def address(organisation: Organisation, street: str, number: str) -> Address:
    """One of the addresses imported by ``load_valmont``."""
    return Address.objects.get(organisation=organisation, street__name=street, number=number)


def make_zone(
    organisation: Organisation,
    name: str = "Hameau du Pré",
    lon: float = 3.99,
    lat: float = 44.99,
    size: float = 0.01,
    *,
    kind: str = "hamlet",
    geometry: dict[str, Any] | None = None,
) -> Zone:
    """A zone: the square of ``size`` degrees whose south-west corner is (lon, lat), or
    ``geometry``."""
    return zone_create(
        organisation=organisation,
        name=name,
        kind=kind,
        geometry=geometry or square(lon, lat, size),
    )


def load_valmont(cast: Cast) -> dict[str, Zone]:
    """Import Valmont's 31 BAN addresses; "Le Bourg" holds the Rue de la Mairie nos. 1–9,
    the Place de la Mairie and the Rue de l'Église; "Route de Lyon" holds no. 10 of it."""
    ban_import(organisation=cast.org, path=BAN_FILE)
    return {
        "bourg": make_zone(cast.org, "Le Bourg", 4.0, 45.0, 0.005),
        "lyon": make_zone(cast.org, "Route de Lyon", 4.029, 45.029, 0.002, kind="district"),
    }


# Valmont's commune in the subscription tests: a square around (4.0, 45.0); the river zone
# covers its western half.
BOUNDARY = {
    "type": "Polygon",
    "coordinates": [[[3.99, 44.99], [4.01, 44.99], [4.01, 45.01], [3.99, 45.01], [3.99, 44.99]]],
}
INSIDE = (4.005, 45.005)  # lon, lat
INSIDE_RIVER = (3.995, 45.0)
OUTSIDE = (4.5, 45.5)


@dataclass
class Territory:
    cast: Cast
    commune: Commune
    mairie_12: Address
    mairie_14: Address
    lilas_3: Address
    river: Zone


def _street(commune: Commune, name: str) -> Street:
    return Street.objects.create(
        organisation=commune.organisation,
        commune=commune,
        name=name,
        normalized=normalize_street(name),
    )


def _street_address(street: Street, number: str, lon: float, lat: float) -> Address:
    return Address.objects.create(
        organisation=street.organisation,
        commune=street.commune,
        street=street,
        number=number,
        postcode="99100",
        lon=lon,
        lat=lat,
        ban_id=f"{street.commune.insee_code}_{street.pk}_{number}",
    )


@pytest.fixture
def territory(cast: Cast) -> Territory:
    """Valmont with BOUNDARY, two streets, three addresses and a river zone."""
    commune = give_territory(cast.org, BOUNDARY)
    commune.postcode = "99100"
    commune.save(update_fields=["postcode"])
    mairie = _street(commune, "Rue de la Mairie")
    lilas = _street(commune, "Allée des Lilas")
    river = make_zone(
        cast.org,
        "Bords de rivière",
        kind="flood",
        geometry={
            "type": "Polygon",
            "coordinates": [
                [[3.99, 44.99], [4.0, 44.99], [4.0, 45.01], [3.99, 45.01], [3.99, 44.99]]
            ],
        },
    )
    return Territory(
        cast=cast,
        commune=commune,
        mairie_12=_street_address(mairie, "12", 4.002, 45.002),
        mairie_14=_street_address(mairie, "14", 4.0021, 45.0021),
        lilas_3=_street_address(lilas, "3", 3.995, 45.003),
        river=river,
    )


# -- residents --------------------------------------------------------------------------


def email(i: int) -> str:
    """The e-mail address of ``make_subscribers``' resident number ``i``."""
    return f"r{i}@example.org"


def number(i: int) -> str:
    """The mobile number of ``make_subscribers``' resident number ``i``."""
    return f"+3361{i:07d}"


def make_subscriber(
    organisation: Organisation,
    *addresses: Address,
    full_name: str = "",
    email: str = "",
    sms: str = "",
    voice: str = "",
    channels: tuple[str, ...] = ("email", "sms"),
    topics: tuple[str, ...] = ("flood",),
    verified: bool = True,
    language: str = "fr",
    unsubscribed: bool = False,
    save: bool = True,
) -> Subscriber:
    """A resident who consented, living at ``addresses``, their contacts verified unless
    ``verified=False``. ``save=False`` returns it unsaved and without places (for a
    ``bulk_create``)."""
    now = timezone.now()
    subscriber = Subscriber(
        organisation=organisation,
        full_name=full_name or email or sms,
        language=language,
        email=email,
        email_verified_at=now if verified and email else None,
        sms_number=sms,
        sms_verified_at=now if verified and sms else None,
        voice_number=voice,
        voice_verified_at=now if verified and voice else None,
        channels=list(channels),
        topics=list(topics),
        consent_version="1",
        consent_at=now,
        unsubscribed_at=now if unsubscribed else None,
    )
    if save:
        subscriber.save()
        Place.objects.bulk_create(Place(subscriber=subscriber, address=a) for a in addresses)
    return subscriber


def make_subscribers(
    organisation: Organisation,
    count: int,
    *,
    channels: tuple[str, ...] = ("email", "sms"),
    first: int = 0,
) -> list[Subscriber]:
    """``count`` residents at one address of the commune, resident ``i`` (from ``first``)
    reachable at ``email(i)`` and ``number(i)``; saved in bulk, as the dispatch tests need
    up to a thousand."""
    home = make_address(organisation, 4.0, 45.0)
    subscribers = Subscriber.objects.bulk_create(
        make_subscriber(
            organisation,
            full_name=f"Resident {i}",
            email=email(i),
            sms=number(i),
            channels=channels,
            save=False,
        )
        for i in range(first, first + count)
    )
    Place.objects.bulk_create(Place(subscriber=s, address=home) for s in subscribers)
    return subscribers


def register_subscriber(
    territory: Territory,
    *,
    user: User | None = None,
    agent: User | None = None,
    confirmed_on_phone: bool = False,
    **fields: Any,
) -> Subscriber:
    """A resident registered through the registration services, as the caller would: a
    logged-in ``user``, an ``agent`` on the phone, or anyone (the default). ``fields``
    override the details (e-mail, numbers, channels, topics, places…)."""
    from beffroi.alerts.subscriptions import services

    values: dict[str, Any] = {
        "full_name": "Jeanne Durand",
        "email": "jeanne@example.org",
        "sms_number": "0612345678",
        "channels": ["email", "sms"],
        "topics": ["flood"],
        "places": [services.PlaceInput(address_id=territory.mairie_12.pk)],
        "consent": True,
    }
    values.update(fields)
    details = services.RegistrationDetails(**values)
    organisation = territory.cast.org
    if agent is not None:
        result = services.subscriber_register_by_agent(
            organisation=organisation,
            agent=agent,
            details=details,
            confirmed_on_phone=confirmed_on_phone,
        )
    elif user is not None:
        result = services.subscriber_register_resident(
            organisation=organisation, user=user, details=details
        )
    else:
        result = services.subscriber_register_anonymous(organisation=organisation, details=details)
    return result.subscriber


def registration_data(**overrides: Any) -> dict[str, Any]:
    """The registration form as a resident fills it in; ``None`` leaves a field out."""
    data: dict[str, Any] = {
        "full_name": "Jeanne Durand",
        "email": "jeanne@example.org",
        "sms_number": "06 12 34 56 78",
        "voice_number": "",
        "channels": ["email", "sms"],
        "topics": ["flood", "heat"],
        "language": "fr",
        "kind": "home",
        "q": "",
        "consent": "on",
        "action": "register",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# -- alerts -----------------------------------------------------------------------------


def make_alert(
    organisation: Organisation,
    author: User,
    *zones: Zone,
    status: str = Alert.Status.DRAFT,
    whole_territory: bool | None = None,
    sent_ago: timedelta | None = None,
    lasts: timedelta | None = timedelta(hours=6),
    **fields: Any,
) -> Alert:
    """A flood watch written by ``author``, every text filled in (French), targeting
    ``zones``, or the whole territory when no zone is given (``whole_territory=False``
    without zones: an alert with no target).

    ``status`` brings the dates it has in production: from "approved" on, ``approved_at``;
    a "sending" alert has its fan-out done (deliveries a test writes stand for it); a "sent"
    alert went out ``sent_ago`` ago (default 1 hour) and is in force for ``lasts`` (None: no
    end). ``fields`` set any other column."""
    if sent_ago is not None and status != Alert.Status.SENT:
        raise TypeError("sent_ago is the age of a sent alert: pass status=Alert.Status.SENT")
    now = timezone.now()
    values: dict[str, Any] = {
        "identifier": f"beffroi-{organisation.slug}-test-{uuid.uuid4().hex[:12]}",
        "status": status,
        "topic": "flood",
        "category": Alert.Category.MET,
        # Not an emergency (Immediate + Severe/Extreme): that widens the audience to
        # unverified channels, which a test asks for when it means it.
        "urgency": Alert.Urgency.EXPECTED,
        "severity": Alert.Severity.MODERATE,
        "certainty": Alert.Certainty.LIKELY,
        "headline": "Crue de la Vence",
        "description": "La Vence déborde.",
        "instruction": "Montez à l'étage.",
        "sms_text": "Crue: montez a l'etage.",
        "email_subject": "Alerte crue",
        "email_body": "La Vence déborde. Montez à l'étage.",
        "channels": ["email", "sms"],
        "whole_territory": not zones if whole_territory is None else whole_territory,
    }
    if status in (Alert.Status.APPROVED, Alert.Status.SENDING, Alert.Status.SENT):
        values["approved_at"] = now
    if status == Alert.Status.SENDING:
        values["fanout_done_at"] = now
    if status == Alert.Status.SENT:
        sent_at = now - (sent_ago if sent_ago is not None else timedelta(hours=1))
        values["approved_at"] = values["sent_at"] = values["onset"] = sent_at
        values["expires"] = sent_at + lasts if lasts is not None else None
    values.update(fields)
    alert = Alert.objects.create(organisation=organisation, created_by=author, **values)
    if zones:
        alert.zones.set(zones)
    return alert


@pytest.fixture
def dispatched(task_backend: Any) -> Callable[[], list[int]]:
    """The ids of the alerts whose fan-out was handed to the task backend, in order."""
    from beffroi.alerts.dispatch.services import alert_dispatch_task
    from beffroi.core.testing import enqueued

    return lambda: [call["alert_id"] for call in enqueued(task_backend, alert_dispatch_task)]


# -- registry of vulnerable persons ------------------------------------------------------


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
    """A person on the registry, confirmed today."""
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


# -- gateways ---------------------------------------------------------------------------

RunOnCommit = Callable[[], AbstractContextManager[Any]]


@pytest.fixture
def gateways(settings: Any) -> Iterator[tuple[SmtpServer, SmscServer]]:
    """Real SMTP and SMPP servers on loopback, the settings pointing at them, tasks run in
    process."""
    with smtp_server() as smtp, smsc_server() as smsc:
        settings.ALERT_EMAIL_URL = smtp.url
        settings.SMPP_URL = smsc.url()
        settings.SMS_TRANSPORT = "smpp"
        settings.SMPP_MAX_PER_SECOND = 0
        settings.TASKS = {
            "default": {
                "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                "QUEUES": django_settings.TASK_QUEUES,
            }
        }
        yield smtp, smsc


def _running_on_commit(
    capture: Callable[..., AbstractContextManager[Any]],
) -> RunOnCommit:
    def run() -> AbstractContextManager[Any]:
        return capture(execute=True)

    return run


@pytest.fixture
def on_commit(
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> RunOnCommit:
    """``with on_commit(): …`` runs the on-commit callbacks registered in the block (the
    enqueues of a service called inside the test's transaction)."""
    return _running_on_commit(django_capture_on_commit_callbacks)


@pytest.fixture
def sent(
    gateways: tuple[SmtpServer, SmscServer],
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> RunOnCommit:
    """``with sent(): …`` is ``on_commit`` with the gateways up: the messages really go
    out."""
    return _running_on_commit(django_capture_on_commit_callbacks)


def composer_form(zone: Zone | None, **overrides: Any) -> dict[str, Any]:
    """What the composer's alert form posts for a complete flood alert (French and English)."""
    data: dict[str, Any] = {
        "cap_status": "Actual",
        "topic": "flood",
        "category": "Met",
        "urgency": "Expected",
        "severity": "Moderate",
        "certainty": "Likely",
        "headline": "Crue de la Vence",
        "description": "La Vence déborde.",
        "instruction": "Montez à l'étage.",
        "channels": ["email", "sms"],
        "sms_text": "Crue: montez a l'etage.",
        "sms_budget_segments": "2",
        "email_subject": "Alerte crue",
        "email_body": "",
        "onset": "",
        "expires": (timezone.localtime() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "zones": [zone.pk] if zone else [],
        "drawn_geometry": "",
        "is_public": "on",
        "en_headline": "Flood",
        "en_description": "",
        "en_instruction": "",
        "en_sms_text": "Flood: go upstairs.",
        "en_email_subject": "",
        "en_email_body": "",
    }
    data.update(overrides)
    return data
