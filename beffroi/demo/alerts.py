"""The demo commune's alert history: registered residents, past alerts with their
transitions and deliveries, and one alert in force so the banner shows.

These are historical records, written directly (a dispatch would try to reach real
servers). Everything is deterministic apart from the dates, which are relative to now so
that the history always looks recent. French texts: the demo commune writes in French.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from beffroi.accounts.models import Role, User
from beffroi.alerts.models import (
    Alert,
    AlertTransition,
    AlertTranslation,
    Channel,
    Delivery,
    Place,
    Subscriber,
    Topic,
    VulnerablePerson,
)
from beffroi.alerts.public.services import circle_polygon
from beffroi.alerts.registry.services import VulnerablePersonData, vulnerable_person_create
from beffroi.core.phone import phone_e164, phone_parse
from beffroi.demo.people import VULNERABLE_PERSONS
from beffroi.territory.models import Address, Organisation, Zone, ZoneMembership
from beffroi.territory.services import zone_create

SEED = 20_261_126
SUBSCRIBER_SHARE = 0.8  # of the demo's residents registered for alerts
CONSENT_VERSION = "2026-01"
# The residents who did not subscribe to every risk leave out these.
OPTIONAL_TOPICS = (Topic.ROADS, Topic.PUBLIC_EVENTS, Topic.HEALTH)

# Outcome shares per channel (delivered, accepted without receipt, failed) and the errors
# a real gateway reports.
OUTCOMES = {
    Channel.EMAIL: (0.91, 0.06),
    Channel.SMS: (0.95, 0.025),
}
ERRORS = {
    Channel.EMAIL: (
        ("550 5.1.1 <{target}>: Recipient address rejected: User unknown", True),
        ("552 5.2.2 Mailbox full", True),
        ("421 4.7.0 Try again later (greylisted); gave up after 8 attempts", False),
    ),
    Channel.SMS: (
        ("Delivery receipt: UNDELIV (err 001: unknown subscriber)", True),
        ("Delivery receipt: EXPIRED (handset unreachable for 48 h)", False),
    ),
}


@dataclass
class _Message:
    key: str
    days_ago: float
    at: time
    topic: str
    category: str
    urgency: str
    severity: str
    certainty: str
    headline: str
    description: str
    instruction: str
    hours: float  # from sending to expiry
    zones: tuple[str, ...] = ()  # "kind:name" (name optional: the first of the kind)
    whole_territory: bool = False
    msg_type: str = Alert.MsgType.ALERT
    references: str = ""
    cap_status: str = Alert.CapStatus.ACTUAL
    channels: tuple[str, ...] = (Channel.EMAIL, Channel.SMS)
    include_vulnerable: bool = False
    english: tuple[str, str, str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _history() -> list[_Message]:
    a = Alert
    return [
        _Message(
            key="crue-1",
            days_ago=305,
            at=time(6, 40),
            topic=Topic.FLOOD,
            category=a.Category.MET,
            urgency=a.Urgency.EXPECTED,
            severity=a.Severity.MODERATE,
            certainty=a.Certainty.LIKELY,
            headline="Vigilance crue : montée des eaux de l'Aulne",
            description=(
                "Après trois jours de pluies continues, l'Aulne monte de 8 cm par heure à "
                "l'échelle du Moulin. Le débordement dans les prés est attendu en fin de "
                "matinée ; les rez-de-chaussée de la zone inondable pourraient être touchés "
                "cet après-midi."
            ),
            instruction=(
                "Mettez vos biens et vos véhicules à l'abri des eaux. Ne descendez pas dans "
                "les sous-sols. Tenez-vous prêts à quitter votre logement si la mairie le "
                "demande. Informations : 03 99 00 12 12."
            ),
            hours=36,
            zones=("flood:",),
            english=(
                "Flood watch: the Aulne is rising",
                "After three days of continuous rain, the Aulne is rising by 8 cm an hour. "
                "Fields will flood this morning; ground floors in the flood zone may be "
                "affected this afternoon.",
                "Move belongings and vehicles to higher ground. Stay out of basements. Be "
                "ready to leave your home if the town hall asks.",
            ),
        ),
        _Message(
            key="crue-2",
            days_ago=305,
            at=time(11, 55),
            topic=Topic.FLOOD,
            category=a.Category.MET,
            urgency=a.Urgency.IMMEDIATE,
            severity=a.Severity.SEVERE,
            certainty=a.Certainty.OBSERVED,
            headline="Crue de l'Aulne : évacuation des rez-de-chaussée en zone inondable",
            description=(
                "L'Aulne est sortie de son lit au Moulin et rue du Pont. Le niveau atteint "
                "1,85 m et monte encore. La rue du Pont et le chemin des Aulnaies sont fermés."
            ),
            instruction=(
                "Quittez les rez-de-chaussée de la zone inondable. Accueil à la salle des "
                "fêtes à partir de 13 h (repas et couchage). Coupez le gaz et l'électricité "
                "avant de partir. Ne traversez pas une route inondée, même en voiture."
            ),
            hours=44,
            zones=("flood:",),
            msg_type=a.MsgType.UPDATE,
            references="crue-1",
            english=(
                "Aulne flood: leave ground floors in the flood zone",
                "The Aulne has burst its banks at the Mill and rue du Pont. The level is "
                "1.85 m and still rising.",
                "Leave ground floors in the flood zone. Shelter at the village hall from "
                "1 pm. Turn off gas and electricity. Never cross a flooded road.",
            ),
        ),
        _Message(
            key="crue-3",
            days_ago=303,
            at=time(9, 30),
            topic=Topic.FLOOD,
            category=a.Category.MET,
            urgency=a.Urgency.PAST,
            severity=a.Severity.MINOR,
            certainty=a.Certainty.OBSERVED,
            headline="Fin de l'alerte crue : l'Aulne est rentrée dans son lit",
            description=(
                "La décrue est amorcée depuis la nuit. Les habitants évacués peuvent regagner "
                "leur logement. La rue du Pont reste fermée pour nettoyage jusqu'à ce soir."
            ),
            instruction=(
                "Avant de rétablir l'électricité, faites vérifier votre installation si l'eau "
                "l'a atteinte. Déclarez les dégâts à votre assureur sous 5 jours ouvrés ; la "
                "mairie demande la reconnaissance de l'état de catastrophe naturelle."
            ),
            hours=12,
            zones=("flood:",),
            msg_type=a.MsgType.CANCEL,
            references="crue-1",
        ),
        _Message(
            key="canicule",
            days_ago=148,
            at=time(10, 0),
            topic=Topic.HEAT,
            category=a.Category.HEALTH,
            urgency=a.Urgency.EXPECTED,
            severity=a.Severity.SEVERE,
            certainty=a.Certainty.LIKELY,
            headline="Canicule : vigilance orange de mardi à vendredi",
            description=(
                "Météo-France place le département en vigilance orange canicule. Les "
                "températures atteindront 37 °C l'après-midi et ne descendront pas sous 20 °C "
                "la nuit. Le plan canicule est déclenché : le CCAS appelle les personnes "
                "inscrites sur le registre."
            ),
            instruction=(
                "Buvez de l'eau régulièrement, fermez volets et fenêtres le jour, évitez les "
                "efforts aux heures chaudes. Prenez des nouvelles de vos voisins âgés. La "
                "salle de la mairie est climatisée et ouverte de 14 h à 18 h."
            ),
            hours=96,
            whole_territory=True,
            include_vulnerable=True,
        ),
        _Message(
            key="secheresse",
            days_ago=131,
            at=time(14, 0),
            topic=Topic.DROUGHT,
            category=a.Category.ENV,
            urgency=a.Urgency.EXPECTED,
            severity=a.Severity.MODERATE,
            certainty=a.Certainty.OBSERVED,
            headline="Sécheresse : arrêté préfectoral de restriction des usages de l'eau",
            description=(
                "Le préfet place le bassin de l'Aulne en alerte renforcée sécheresse jusqu'au "
                "30 septembre. Arrosage des pelouses, lavage des véhicules hors station et "
                "remplissage des piscines sont interdits."
            ),
            instruction=(
                "Arrosage des potagers autorisé avant 9 h et après 20 h seulement. Les "
                "contrevenants s'exposent à une amende de 1 500 €. L'arrêté est affiché en "
                "mairie."
            ),
            hours=24 * 60,
            whole_territory=True,
            channels=(Channel.EMAIL,),
        ),
        _Message(
            key="tempete",
            days_ago=68,
            at=time(7, 15),
            topic=Topic.ROADS,
            category=a.Category.TRANSPORT,
            urgency=a.Urgency.IMMEDIATE,
            severity=a.Severity.MODERATE,
            certainty=a.Certainty.OBSERVED,
            headline="Coup de vent : route de Saint-Firmin coupée par des chutes d'arbres",
            description=(
                "Les rafales de la nuit ont abattu plusieurs arbres sur la route de "
                "Saint-Firmin et une ligne téléphonique. Les services techniques dégagent la "
                "chaussée."
            ),
            instruction=(
                "Ne circulez pas route de Saint-Firmin avant midi ; passez par la "
                "Haute-Borne. Le car scolaire de 7 h 45 est remplacé par un taxi."
            ),
            hours=6,
            zones=("circle:Secteur de Saint-Firmin (chutes d'arbres)",),
        ),
        _Message(
            key="coupure-eau",
            days_ago=39,
            at=time(8, 0),
            topic=Topic.WATER_CUT,
            category=a.Category.INFRA,
            urgency=a.Urgency.EXPECTED,
            severity=a.Severity.MINOR,
            certainty=a.Certainty.OBSERVED,
            headline="Coupure d'eau aux Granges de 9 h à 17 h",
            description=(
                "Le syndicat des eaux remplace la canalisation principale du hameau des "
                "Granges. L'eau sera coupée de 9 h à 17 h environ."
            ),
            instruction=(
                "Faites une réserve d'eau avant 9 h. À la remise en eau, laissez couler le "
                "robinet quelques minutes si l'eau est trouble. Des packs d'eau sont à "
                "disposition à la mairie."
            ),
            hours=9,
            zones=("hamlet:les Granges",),
        ),
        _Message(
            key="exercice",
            days_ago=19,
            at=time(10, 30),
            topic=Topic.INDUSTRIAL,
            category=a.Category.CBRNE,
            urgency=a.Urgency.IMMEDIATE,
            severity=a.Severity.SEVERE,
            certainty=a.Certainty.OBSERVED,
            headline="EXERCICE — Mise à l'abri autour du silo coopératif",
            description=(
                "EXERCICE du plan communal de sauvegarde : un incendie simulé au silo "
                "coopératif dégage des fumées. Aucun danger réel."
            ),
            instruction=(
                "EXERCICE : entrez dans le bâtiment le plus proche, fermez portes et "
                "fenêtres, écoutez France Bleu Sud Lorraine. Merci de votre participation."
            ),
            hours=2,
            zones=("risk:Périmètre du silo coopératif",),
            cap_status=a.CapStatus.EXERCISE,
        ),
        _Message(
            key="pollution",
            days_ago=0.125,  # three hours ago: in force now
            at=time(0, 0),
            topic=Topic.POLLUTION,
            category=a.Category.ENV,
            urgency=a.Urgency.EXPECTED,
            severity=a.Severity.MODERATE,
            certainty=a.Certainty.OBSERVED,
            headline="Épisode de pollution à l'ozone : vitesse réduite et feux interdits",
            description=(
                "ATMO Grand Est prévoit un dépassement du seuil d'information pour l'ozone "
                "aujourd'hui et demain. Le préfet abaisse les vitesses de 20 km/h sur les "
                "routes du département et interdit le brûlage des déchets verts."
            ),
            instruction=(
                "Évitez les efforts physiques intenses en plein air entre 12 h et 20 h, "
                "surtout les enfants, les personnes âgées et asthmatiques. Privilégiez le "
                "covoiturage et les transports en commun."
            ),
            hours=30,
            whole_territory=True,
        ),
    ]


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _sent_at(message: _Message, now: datetime) -> datetime:
    if message.days_ago < 1:
        return (now - timedelta(days=message.days_ago)).replace(microsecond=0)
    day = timezone.localtime(now - timedelta(days=message.days_ago), _tz()).date()
    return datetime.combine(day, message.at, tzinfo=_tz())


def demo_alerts_remove(*, organisation: Organisation) -> None:
    """Delete the alerts and subscribers of the organisation (follow-ups first: an update
    protects its original from deletion)."""
    alerts = Alert.objects.filter(organisation=organisation)
    while alerts.exists():
        leaves = alerts.filter(follow_ups__isnull=True)
        Alert.objects.filter(pk__in=list(leaves.values_list("pk", flat=True))).delete()
    Subscriber.objects.filter(organisation=organisation).delete()
    # The registry protects its addresses: it goes before the organisation's territory.
    VulnerablePerson.objects.filter(organisation=organisation).delete()


def demo_registry(*, organisation: Organisation, agent: User) -> int:
    """Register the demo's vulnerable persons through the CCAS's own service (its checks and
    audit trail), so the registry pages, the map and the call sheets of the demo show people.
    Returns the number registered."""
    rng = random.Random(SEED + 3)
    addresses = list(
        Address.objects.filter(organisation=organisation, street__isnull=False).order_by("pk")
    )
    flooded = list(
        Address.objects.filter(
            organisation=organisation,
            street__isnull=False,
            memberships__zone__kind="flood",
        )
        .distinct()
        .order_by("pk")
    )
    if not addresses:
        return 0
    for seed in VULNERABLE_PERSONS:
        address = rng.choice(flooded if seed.in_flood_zone and flooded else addresses)
        details: dict[str, Any] = {
            name: _e164(value) if name.endswith("phone") else value
            for name, value in seed.details.items()
        }
        data = VulnerablePersonData(address=address, **details)
        vulnerable_person_create(organisation=organisation, actor=agent, data=data)
    return len(VULNERABLE_PERSONS)


def _e164(number: str) -> str:
    try:
        return phone_e164(phone_parse(number))
    except ValidationError:
        return ""


def demo_subscribers(*, organisation: Organisation, now: datetime | None = None) -> int:
    """Register most demo residents for alerts at a home address (and some at a second
    place), so the audience counts of the demo are real."""
    moment = now or timezone.now()
    rng = random.Random(SEED)
    residents = list(
        User.objects.filter(
            role_assignments__organisation=organisation, role_assignments__role=Role.RESIDENT
        )
        .exclude(subscriptions__organisation=organisation)
        .order_by("email")
        .distinct()
    )
    addresses = list(
        Address.objects.filter(organisation=organisation, street__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not addresses:
        return 0
    created = 0
    for user in residents:
        if rng.random() > SUBSCRIBER_SHARE:
            continue
        draw = rng.random()
        channels = (
            [Channel.EMAIL, Channel.SMS]
            if draw < 0.6
            else [Channel.EMAIL]
            if draw < 0.9
            else [Channel.SMS]
        )
        sms = _e164(user.phone) if Channel.SMS in channels else ""
        if not sms:
            channels = [Channel.EMAIL]
        topics = [t for t in Topic.values if t not in OPTIONAL_TOPICS or rng.random() < 0.4]
        registered = moment - timedelta(days=rng.randint(320, 700))
        subscriber = Subscriber.objects.create(
            organisation=organisation,
            user=user,
            full_name=user.full_name,
            language="en" if rng.random() < 0.05 else "fr",
            email=user.email,
            email_verified_at=registered + timedelta(minutes=7),
            sms_number=sms,
            sms_verified_at=registered + timedelta(minutes=3) if sms else None,
            channels=[str(c) for c in channels],
            topics=topics,
            consent_version=CONSENT_VERSION,
            consent_at=registered,
        )
        places = [
            Place(subscriber=subscriber, kind=Place.Kind.HOME, address_id=rng.choice(addresses))
        ]
        if rng.random() < 0.15:
            other = rng.choice(addresses)
            if other != places[0].address_id:
                places.append(
                    Place(subscriber=subscriber, kind=Place.Kind.RELATIVE, address_id=other)
                )
        Place.objects.bulk_create(places)
        created += 1
    return created


# Residents registered for alerts on the phone by the front desk, without an account (many
# elderly residents): they take part with an SMS code (`/participer/participant/sms/`).
# Numbers outside those of the generated residents (beffroi/demo/people.py).
PHONE_SUBSCRIBERS = (
    ("Odette Marchal", "06 41 98 90 00"),
    ("Marcel Thiriet", "06 41 98 90 07"),
    ("Yvonne Gérardin", "06 41 98 90 21"),
    ("Lucien Husson", "06 41 98 90 35"),
)


def demo_phone_subscribers(*, organisation: Organisation, now: datetime | None = None) -> int:
    """Register ``PHONE_SUBSCRIBERS`` as the front desk would: SMS only, no account."""
    moment = now or timezone.now()
    rng = random.Random(SEED + 7)
    agent = User.objects.filter(
        role_assignments__organisation=organisation, role_assignments__role=Role.FRONT_DESK
    ).first()
    addresses = list(
        Address.objects.filter(organisation=organisation, street__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    taken = {
        _e164(phone) for phone in User.objects.exclude(phone="").values_list("phone", flat=True)
    }
    created = 0
    for name, number in PHONE_SUBSCRIBERS:
        sms = _e164(number)
        if not addresses or sms in taken:
            continue
        registered = moment - timedelta(days=rng.randint(30, 400))
        subscriber = Subscriber.objects.create(
            organisation=organisation,
            full_name=name,
            language="fr",
            sms_number=sms,
            sms_verified_at=registered,
            channels=[str(Channel.SMS)],
            topics=list(Topic.values),
            consent_version=CONSENT_VERSION,
            consent_at=registered,
            source=Subscriber.Source.AGENT,
            registered_by=agent,
        )
        Place.objects.create(
            subscriber=subscriber, kind=Place.Kind.HOME, address_id=rng.choice(addresses)
        )
        created += 1
    return created


def _zone(organisation: Organisation, spec: str, author: User) -> Zone | None:
    kind, _sep, name = spec.partition(":")
    if kind == "circle":
        existing = Zone.objects.filter(organisation=organisation, kind=Zone.Kind.CUSTOM, name=name)
        if existing.exists():
            return existing.first()
        from beffroi.demo.geography import to_lonlat

        lon, lat = to_lonlat(-1900, 1000)
        ring = [
            [round(x, 7), round(y, 7)] for x, y in circle_polygon(lat, lon, 0.6).exterior.coords
        ]
        return zone_create(
            organisation=organisation,
            name=name,
            kind=Zone.Kind.CUSTOM,
            geometry={"type": "Polygon", "coordinates": [ring]},
            description="Cercle de 600 m tracé sur la carte pour l'alerte coup de vent.",
            actor=author,
        )
    zones = Zone.objects.filter(organisation=organisation, kind=kind).order_by("name")
    if name:
        return zones.filter(name=name).first() or zones.first()
    return zones.first()


def _audience(alert: Alert) -> list[Subscriber]:
    subscribers = Subscriber.objects.filter(
        organisation=alert.organisation, unsubscribed_at__isnull=True
    )
    if not alert.whole_territory:
        addresses = ZoneMembership.objects.filter(zone__in=alert.zones.all()).values("address_id")
        subscribers = subscribers.filter(places__address_id__in=addresses)
    return [s for s in subscribers.distinct().order_by("pk") if alert.topic in s.topics]


def _deliveries(alert: Alert, rng: random.Random) -> int:
    assert alert.sent_at is not None
    rows = []
    for subscriber in _audience(alert):
        for channel in alert.channels:
            if channel not in subscriber.channels:
                continue
            target = subscriber.email if channel == Channel.EMAIL else str(subscriber.sms_number)
            if not target:
                continue
            delivered_share, sent_share = OUTCOMES[Channel(channel)]
            draw = rng.random()
            accepted = alert.sent_at + timedelta(seconds=rng.randint(2, 90))
            delivery = Delivery(
                alert=alert,
                subscriber=subscriber,
                channel=channel,
                target=target,
                language=subscriber.language,
                attempts=1,
                sent_at=accepted,
                provider_id=f"demo-{alert.pk}-{channel}-{subscriber.pk}",
            )
            if draw < delivered_share:
                delivery.status = Delivery.Status.DELIVERED
                delivery.delivered_at = accepted + timedelta(seconds=rng.randint(1, 40))
            elif draw < delivered_share + sent_share:
                delivery.status = Delivery.Status.SENT
            else:
                message, permanent = rng.choice(ERRORS[Channel(channel)])
                delivery.status = Delivery.Status.FAILED
                delivery.last_error = message.format(target=target)
                delivery.permanent_failure = permanent
                delivery.attempts = 1 if permanent else 8
                if permanent:
                    delivery.provider_id = ""
            rows.append(delivery)
    Delivery.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _transitions(alert: Alert, author: User, approver: User, sent: datetime) -> None:
    steps = [
        ("", Alert.Status.DRAFT, author, "", sent - timedelta(minutes=25)),
        (Alert.Status.DRAFT, Alert.Status.PENDING, author, "", sent - timedelta(minutes=14)),
        (
            Alert.Status.PENDING,
            Alert.Status.APPROVED,
            approver,
            "Relu et validé.",
            sent - timedelta(minutes=2),
        ),
        (Alert.Status.APPROVED, Alert.Status.SENDING, None, "", sent),
        (Alert.Status.SENDING, Alert.Status.SENT, None, "", sent + timedelta(minutes=3)),
    ]
    for from_status, to_status, actor, reason, at in steps:
        transition = AlertTransition.objects.create(
            alert=alert, from_status=from_status, to_status=to_status, actor=actor, reason=reason
        )
        # `at` is set on creation; a historical record keeps its historical time.
        AlertTransition.objects.filter(pk=transition.pk).update(at=at)


def demo_alert_history(
    *, organisation: Organisation, author: User, approver: User, now: datetime | None = None
) -> int:
    """Create the demo history (subscribers first); return the number of alerts created."""
    moment = now or timezone.now()
    rng = random.Random(SEED + 1)
    created: dict[str, Alert] = {}
    with transaction.atomic():
        demo_subscribers(organisation=organisation, now=moment)
        demo_phone_subscribers(organisation=organisation, now=moment)
        for message in _history():
            sent = _sent_at(message, moment)
            zones = [z for z in (_zone(organisation, s, author) for s in message.zones) if z]
            original = created.get(message.references) if message.references else None
            alert = Alert.objects.create(
                organisation=organisation,
                identifier=f"beffroi-{organisation.slug}-demo-{message.key}",
                status=Alert.Status.SENT,
                cap_status=message.cap_status,
                msg_type=message.msg_type,
                references=original,
                topic=message.topic,
                category=message.category,
                urgency=message.urgency,
                severity=message.severity,
                certainty=message.certainty,
                headline=message.headline,
                description=message.description,
                instruction=message.instruction,
                sms_text=f"{message.headline}. {message.instruction}"[:300],
                email_subject=message.headline,
                email_body=f"{message.description}\n\n{message.instruction}",
                onset=sent,
                expires=sent + timedelta(hours=message.hours),
                whole_territory=message.whole_territory or not zones,
                channels=[str(c) for c in message.channels],
                include_vulnerable=message.include_vulnerable,
                created_by=author,
                approved_by=approver,
                submitted_at=sent - timedelta(minutes=14),
                approved_at=sent - timedelta(minutes=2),
                sent_at=sent,
                finished_at=sent + timedelta(minutes=3),
            )
            Alert.objects.filter(pk=alert.pk).update(created_at=sent - timedelta(minutes=25))
            alert.zones.set(zones)
            if message.english:
                headline, description, instruction = message.english
                AlertTranslation.objects.create(
                    alert=alert,
                    language="en",
                    headline=headline,
                    description=description,
                    instruction=instruction,
                )
            _transitions(alert, author, approver, sent)
            _deliveries(alert, rng)
            created[message.key] = alert
    from beffroi.alerts.public.selectors import banner_cache_clear

    banner_cache_clear(organisation=organisation)
    return len(created)
