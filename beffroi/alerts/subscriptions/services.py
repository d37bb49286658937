"""Writes of resident registration: subscribers, their places, channel verification,
consent, unsubscription (link, one-click, "STOP" by SMS). The agents' CSV import is in
``imports``.

Every function takes keyword-only arguments and raises ``ValidationError`` (a dict keyed by
field name) with translated, user-facing messages when the request cannot be honoured;
nothing is written in that case.

Decisions worth knowing:
- An anonymous registration whose e-mail or mobile number already belongs to a subscriber
  of the organisation creates nothing: when the e-mail matches, the existing subscriber is
  e-mailed its management link, and the person is told so. No duplicate alerts, and no
  way to take over or read someone else's registration by typing their e-mail. A match by
  the mobile number alone sends nothing: an SMS per sign-up let anyone spend the commune's
  SMS and flood a number by submitting the form again and again.
- Every SMS outside alerts (codes) is limited per number, per client address and by the
  organisation's daily budget of SMS parts (``sms_quota_take``, ``_sms_send``), counted with
  ``core.ratelimit`` so that simultaneous requests cannot all pass. Alerts never go through
  these functions: a spent budget never delays a warning.
- SMS codes are generated inside the sending task, so the plain code never sits in the task
  queue's table; only an HMAC keyed with SECRET_KEY is stored (a leaked database alone does
  not give the 10^6 codes away by brute force).
- Verification e-mails go out through the alerts' SMTP transport (ALERT_EMAIL_URL and
  ALERT_EMAIL_FROM), not Django's mailer: the link then proves that this mailbox accepts
  mail from the very relay and sender alerts will use (spam filters and allow-lists
  included), which is what "verified" must mean for a warning channel.
- A channel registered by an agent on the phone is marked verified only when the agent
  ticks that the resident confirmed it on the phone (they read back the number or the
  address); otherwise it is verified like a self-registered one.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import shapely
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from beffroi.alerts.models import Channel, ChannelVerification, Place, Subscriber, Topic
from beffroi.core.audit import audit_record
from beffroi.core.phone import phone_e164, phone_parse
from beffroi.core.ratelimit import rate_hit, rate_peek
from beffroi.territory.geojson import geometry_shape
from beffroi.territory.models import Address, Commune
from beffroi.territory.selectors import organisation_url
from beffroi.territory.services import address_memberships_refresh

if TYPE_CHECKING:
    from beffroi.accounts.models import User
    from beffroi.territory.models import Organisation

logger = logging.getLogger(__name__)

# --- Consent -------------------------------------------------------------------------------

CONSENT_VERSION = "2026-11-v1"
# The text shown beside the consent box. A new wording gets a new version id: what each
# subscriber agreed to stays provable by (version, hash).
CONSENT_TEXT = gettext_lazy(
    "I agree that the town hall keeps the contact details, places and preferences I give "
    "here to warn me of risks and incidents affecting these places (floods, storms, heat "
    "waves, water or power cuts, pollution, road closures…) by the channels I choose. They "
    "are used for nothing else and given to nobody. I can change or withdraw my "
    "registration at any time from the link in each message or by replying STOP to an SMS."
)


def consent_text() -> str:
    """The consent text in the active language (what the form shows)."""
    return str(CONSENT_TEXT)


def consent_text_hash() -> str:
    return hashlib.sha256(consent_text().encode("utf-8")).hexdigest()


# --- Links ---------------------------------------------------------------------------------


def unsubscribe_url(subscriber: Subscriber) -> str:
    """The absolute one-click unsubscribe link for ``subscriber`` (List-Unsubscribe, SMS)."""
    path = reverse("subscriptions:unsubscribe", args=[subscriber.unsubscribe_token])
    return organisation_url(subscriber.organisation, path)


_MANAGE_SALT = "beffroi.alerts.subscription-manage"
_EMAIL_SALT = "beffroi.alerts.email-verification"
EMAIL_LINK_MAX_AGE = timedelta(days=3)


def _token_fingerprint(subscriber: Subscriber) -> str:
    # Tied to the unsubscribe token: rotating it invalidates every management link sent.
    return hashlib.sha256(subscriber.unsubscribe_token.encode()).hexdigest()[:16]


def management_token(subscriber: Subscriber) -> str:
    # No timestamp: the link must keep working for years (it is in every message) and stay
    # the same for the same registration; the fingerprint revokes it when contacts change.
    return signing.Signer(salt=_MANAGE_SALT).sign_object(
        {"s": subscriber.pk, "f": _token_fingerprint(subscriber)}
    )


def management_url(subscriber: Subscriber) -> str:
    path = reverse("subscriptions:manage", args=[management_token(subscriber)])
    return organisation_url(subscriber.organisation, path)


def subscriber_from_management_token(*, organisation: Organisation, token: str) -> Subscriber:
    """The subscriber a management link names, in this organisation. Raises ValidationError."""
    invalid = ValidationError(_("This link is not valid."), code="invalid")
    try:
        payload = signing.Signer(salt=_MANAGE_SALT).unsign_object(token[:500])
    except signing.BadSignature as exc:
        raise invalid from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        raise invalid
    subscriber = Subscriber.objects.filter(
        pk=payload["s"], organisation=organisation, unsubscribed_at__isnull=True
    ).first()
    if subscriber is None or payload.get("f") != _token_fingerprint(subscriber):
        raise invalid
    return subscriber


# --- Places --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceInput:
    """An address chosen in the BAN search (``address_id``) or a point placed on the map."""

    kind: str = Place.Kind.HOME
    address_id: int | None = None
    lon: float | None = None
    lat: float | None = None


def _commune_at(organisation: Organisation, lon: float, lat: float) -> Commune | None:
    """The organisation's commune whose boundary covers the point; a commune without a
    known boundary counts by its bounding box."""
    for commune in Commune.objects.filter(organisation=organisation).order_by("pk"):
        if commune.boundary:
            try:
                inside = bool(shapely.intersects_xy(geometry_shape(commune.boundary), lon, lat))
            except (ValueError, TypeError, AttributeError, shapely.errors.ShapelyError):
                inside = False
            if inside:
                return commune
        elif None not in (commune.min_lon, commune.min_lat, commune.max_lon, commune.max_lat):
            assert commune.min_lon is not None and commune.max_lon is not None
            assert commune.min_lat is not None and commune.max_lat is not None
            if (
                commune.min_lon <= lon <= commune.max_lon
                and commune.min_lat <= lat <= commune.max_lat
            ):
                return commune
    return None


def map_point_create(*, organisation: Organisation, lon: float, lat: float) -> Address:
    """An address for a point placed by hand on the map (``street=None``), inside one of the
    organisation's communes, with its zone memberships computed at once."""
    if not (
        isinstance(lon, int | float)
        and isinstance(lat, int | float)
        and -180 <= lon <= 180
        and -90 <= lat <= 90
    ):
        raise ValidationError({"point": [_("The point on the map is not valid.")]})
    commune = _commune_at(organisation, float(lon), float(lat))
    if commune is None:
        raise ValidationError(
            {
                "point": [
                    _(
                        "This point lies outside the territory covered (%(name)s): place it "
                        "inside the commune, or search for the address."
                    )
                    % {"name": organisation.name}
                ]
            }
        )
    address = Address.objects.create(
        organisation=organisation,
        commune=commune,
        street=None,
        lon=round(float(lon), 7),
        lat=round(float(lat), 7),
        postcode=commune.postcode,
    )
    address_memberships_refresh(organisation=organisation, address_ids=[address.pk])
    return address


def _resolve_place(organisation: Organisation, place: PlaceInput) -> Address:
    if place.kind not in Place.Kind.values:
        raise ValidationError({"kind": [_("Choose the kind of place.")]})
    if place.address_id is not None:
        address = Address.objects.filter(organisation=organisation, pk=place.address_id).first()
        if address is None:
            raise ValidationError({"address": [_("This address is not one of the commune's.")]})
        return address
    if place.lon is not None and place.lat is not None:
        return map_point_create(organisation=organisation, lon=place.lon, lat=place.lat)
    raise ValidationError({"address": [_("Search for your address, or place a point on the map.")]})


def _delete_orphan_point(address_id: int) -> None:
    """A hand-placed point locates someone's home: it goes when nothing uses it any more."""
    Address.objects.filter(
        pk=address_id,
        street__isnull=True,
        ban_id="",
        subscriber_places__isnull=True,
        vulnerable_persons__isnull=True,
    ).delete()


def place_add(*, subscriber: Subscriber, place: PlaceInput) -> Place:
    with transaction.atomic():
        address = _resolve_place(subscriber.organisation, place)
        existing = Place.objects.filter(subscriber=subscriber, address=address).first()
        if existing is not None:
            raise ValidationError({"address": [_("This place is already in your list.")]})
        return Place.objects.create(subscriber=subscriber, kind=place.kind, address=address)


def place_remove(*, place: Place) -> None:
    with transaction.atomic():
        address_id = place.address_id
        place.delete()
        _delete_orphan_point(address_id)


# --- Registration and update ---------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """Validated contact details: e-mail lower-cased, numbers in E.164 ('' when absent)."""

    email: str
    sms_number: str
    voice_number: str


def _clean_contact(
    email: str, sms_number: str, voice_number: str
) -> tuple[Contact, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    email = (email or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Enter a valid e-mail address.")]
    sms = ""
    if (sms_number or "").strip():
        try:
            sms = phone_e164(phone_parse(sms_number, mobile=True))
        except ValidationError as exc:
            errors["sms_number"] = list(exc.messages)
    voice = ""
    if (voice_number or "").strip():
        try:
            voice = phone_e164(phone_parse(voice_number))
        except ValidationError as exc:
            errors["voice_number"] = list(exc.messages)
    return Contact(email=email, sms_number=sms, voice_number=voice), errors


def clean_preferences(
    contact: Contact, channels: Iterable[str], topics: Iterable[str], language: str
) -> tuple[list[str], list[str], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    chosen = [c for c in Channel.values if c in set(channels)]
    unknown = set(channels) - set(Channel.values)
    if unknown or Channel.PUSH in chosen:
        errors["channels"] = [_("Choose among e-mail, SMS and voice call.")]
    elif not chosen:
        errors["channels"] = [_("Choose at least one way to be warned.")]
    else:
        needs = {
            Channel.EMAIL: ("email", contact.email, _("Enter the e-mail address to warn.")),
            Channel.SMS: ("sms_number", contact.sms_number, _("Enter the mobile number for SMS.")),
            Channel.VOICE: (
                "voice_number",
                contact.voice_number,
                _("Enter the number to call for voice alerts."),
            ),
        }
        for channel in chosen:
            name, value, message = needs[Channel(channel)]
            if not value:
                errors.setdefault(name, []).append(str(message))
    chosen_topics = [t for t in Topic.values if t in set(topics)]
    if set(topics) - set(Topic.values):
        errors["topics"] = [_("Select a valid topic.")]
    elif not chosen_topics:
        errors["topics"] = [_("Choose at least one topic.")]
    if language not in ("fr", "en"):
        errors["language"] = [_("Choose French or English.")]
    return chosen, chosen_topics, errors


def _active_subscribers(organisation: Organisation) -> QuerySet[Subscriber]:
    return Subscriber.objects.filter(organisation=organisation, unsubscribed_at__isnull=True)


class ContactTaken(ValidationError):
    """The e-mail or mobile number is another active subscriber's (keyed by field)."""


def _taken(
    organisation: Organisation, contact: Contact, *, exclude: int | None = None
) -> dict[str, list[str]]:
    others = _active_subscribers(organisation)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    errors: dict[str, list[str]] = {}
    if contact.email and others.filter(email__iexact=contact.email).exists():
        errors["email"] = [_("A resident is already registered with this e-mail address.")]
    if contact.sms_number and others.filter(sms_number=contact.sms_number).exists():
        errors["sms_number"] = [_("A resident is already registered with this mobile number.")]
    return errors


@contextlib.contextmanager
def _contact_unique(subscriber: Subscriber) -> Iterator[None]:
    """Write ``subscriber`` in a savepoint; the database's uniqueness of active e-mails and
    mobile numbers, hit by a concurrent registration, becomes the duplicate's answer."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        contact = Contact(
            email=subscriber.email,
            sms_number=str(subscriber.sms_number or ""),
            voice_number=str(subscriber.voice_number or ""),
        )
        taken = _taken(subscriber.organisation, contact, exclude=subscriber.pk)
        if not taken:
            raise
        raise ContactTaken(taken) from exc


def subscriber_matching(
    *, organisation: Organisation, email: str = "", numbers: Sequence[str] = ()
) -> Subscriber | None:
    """An active subscriber of the organisation with this e-mail or one of these numbers."""
    query = Q()
    if email:
        query |= Q(email__iexact=email)
    for number in numbers:
        if number:
            query |= Q(sms_number=number) | Q(voice_number=number)
    if not query:
        return None
    return _active_subscribers(organisation).filter(query).order_by("pk").first()


@dataclass(frozen=True)
class Registration:
    subscriber: Subscriber
    created: bool


@dataclass(frozen=True)
class RegistrationDetails:
    """What a registration form (or the API) collected, before any check."""

    channels: Sequence[str]
    topics: Sequence[str]
    places: Sequence[PlaceInput]
    consent: bool
    email: str = ""
    sms_number: str = ""
    voice_number: str = ""
    full_name: str = ""
    language: str = "fr"


@dataclass(frozen=True)
class _Checked:
    contact: Contact
    channels: list[str]
    topics: list[str]


def _merge_errors(errors: dict[str, list[str]], more: dict[str, list[str]]) -> None:
    """One error per field, the first found: a mistyped number is "not a valid phone
    number", not also "enter the mobile number" (the second follows from the first)."""
    for name, messages in more.items():
        errors.setdefault(name, messages)


def registration_check(*, details: RegistrationDetails) -> None:
    """Raise every error of ``details`` at once (``ValidationError`` keyed by field), writing
    nothing. The form calls it even when some of its fields did not parse, so that one
    submission lists every problem instead of revealing them round after round."""
    _check_registration(details)


def _check_registration(details: RegistrationDetails) -> _Checked:
    """Every error of the registration at once (``ValidationError`` keyed by field)."""
    contact, errors = _clean_contact(details.email, details.sms_number, details.voice_number)
    chosen, chosen_topics, more = clean_preferences(
        contact, details.channels, details.topics, details.language
    )
    _merge_errors(errors, more)
    if "channels" not in errors:
        # A number typed for a channel not ticked would be kept and never used: the person
        # believes they will get SMS. They choose: tick the channel, or remove the number.
        unused = [
            message
            for number, channel, message in (
                (
                    contact.sms_number,
                    Channel.SMS,
                    _("A mobile number is given: tick “SMS” to be warned on it, or remove it."),
                ),
                (
                    contact.voice_number,
                    Channel.VOICE,
                    _(
                        "A number for voice calls is given: tick “Voice call” to be warned "
                        "on it, or remove it."
                    ),
                ),
            )
            if number and channel not in chosen
        ]
        if unused:
            errors["channels"] = [str(m) for m in unused]
    if not details.consent:
        errors["consent"] = [_("Tick the box to agree to the use of your details.")]
    if not details.places:
        errors.setdefault("address", []).append(
            _("Search for your address, or place a point on the map.")
        )
    if len(details.places) > 10:
        errors.setdefault("address", []).append(_("At most ten places can be registered."))
    if errors:
        raise ValidationError(errors)
    return _Checked(contact=contact, channels=chosen, topics=chosen_topics)


def subscriber_register_anonymous(
    *, organisation: Organisation, details: RegistrationDetails, client: str = ""
) -> Registration:
    """Register someone without an account, from the public form or the API.

    If the e-mail or mobile number already belongs to a subscriber of the organisation,
    nothing is created: when the e-mail matches, the owner is e-mailed their management
    link; a match by the mobile number alone sends nothing (the owner asks for a code from
    the management page they already have). The caller gets the same answer either way, so
    that nobody learns by which detail someone else is registered, nor takes their
    registration over. ``client`` is the caller's address, for the limits on SMS.
    """
    checked = _check_registration(details)
    try:
        return _register_anonymous_once(organisation, details, checked, client)
    except ContactTaken:
        # A concurrent registration of the same details won: now it is found, and this one
        # gets the answer of any duplicate.
        return _register_anonymous_once(organisation, details, checked, client)


def _register_anonymous_once(
    organisation: Organisation, details: RegistrationDetails, checked: _Checked, client: str
) -> Registration:
    with transaction.atomic():
        existing = subscriber_matching(
            organisation=organisation,
            email=checked.contact.email,
            numbers=[checked.contact.sms_number],
        )
        if existing is not None:
            by_email = bool(checked.contact.email) and existing.email.lower() == (
                checked.contact.email
            )
            if by_email:
                _enqueue_after_commit(
                    send_management_link, subscriber_id=existing.pk, channel=Channel.EMAIL
                )
            return Registration(subscriber=existing, created=False)
        subscriber = _subscriber_create(organisation, details, checked)
        _start_verifications(subscriber, anonymous=True, client=client)
    return Registration(subscriber=subscriber, created=True)


def subscriber_register_resident(
    *, organisation: Organisation, user: User, details: RegistrationDetails, client: str = ""
) -> Registration:
    """Register a logged-in resident: one registration per account and organisation, so a
    second one updates the first (and re-subscribes it). The e-mail of an account whose
    address is already verified needs no second proof."""
    checked = _check_registration(details)
    now = timezone.now()
    with transaction.atomic():
        own = (
            Subscriber.objects.select_for_update()
            .filter(organisation=organisation, user=user)
            .first()
        )
        if own is not None:
            subscriber = subscriber_update(
                subscriber=own,
                full_name=details.full_name or own.full_name,
                email=checked.contact.email,
                sms_number=checked.contact.sms_number,
                voice_number=checked.contact.voice_number,
                channels=checked.channels,
                topics=checked.topics,
                language=details.language,
                client=client,
            )
            record_consent(subscriber, now)
            subscriber.unsubscribed_at = None
            subscriber.unsubscribe_reason = ""
            with _contact_unique(subscriber):
                subscriber.save()
            for place in details.places:
                address = _resolve_place(organisation, place)
                Place.objects.get_or_create(
                    subscriber=subscriber, address=address, defaults={"kind": place.kind}
                )
            return Registration(subscriber=subscriber, created=False)
        account_email = user.email_verified_at is not None and (
            checked.contact.email == user.email.lower()
        )
        subscriber = _subscriber_create(
            organisation, details, checked, user=user, email_verified=account_email
        )
        _start_verifications(subscriber, anonymous=False, client=client)
    return Registration(subscriber=subscriber, created=True)


def subscriber_register_by_agent(
    *,
    organisation: Organisation,
    agent: User,
    details: RegistrationDetails,
    confirmed_on_phone: bool = False,
) -> Registration:
    """Register a resident on their behalf (the front desk on the phone, a CCAS agent).

    The channels count as verified only when the agent ticks that the resident confirmed
    them on the phone (they read back the number or the address); the registration is
    audited with the agent's name.
    """
    checked = _check_registration(details)
    with transaction.atomic():
        # Agents may see every registration: they are told the resident is already there.
        taken = _taken(organisation, checked.contact)
        if taken:
            raise ContactTaken(taken)
        subscriber = _subscriber_create(
            organisation,
            details,
            checked,
            registered_by=agent,
            email_verified=confirmed_on_phone and bool(checked.contact.email),
            phones_verified=confirmed_on_phone,
        )
        audit_record(
            action="alerts.subscriber_register",
            organisation=organisation,
            actor=agent,
            target=subscriber,
            data={"confirmed_on_phone": confirmed_on_phone},
        )
        _start_verifications(subscriber, anonymous=False)
    return Registration(subscriber=subscriber, created=True)


def _subscriber_create(
    organisation: Organisation,
    details: RegistrationDetails,
    checked: _Checked,
    *,
    user: User | None = None,
    registered_by: User | None = None,
    email_verified: bool = False,
    phones_verified: bool = False,
) -> Subscriber:
    """Write a new subscriber and its places. Call inside ``transaction.atomic()``."""
    now = timezone.now()
    contact = checked.contact
    addresses = [_resolve_place(organisation, place) for place in details.places]
    full_name = details.full_name or (user.full_name if user is not None else "")
    subscriber = Subscriber(
        organisation=organisation,
        user=user,
        full_name=full_name.strip()[:200],
        language=details.language,
        email=contact.email,
        email_verified_at=now if email_verified else None,
        sms_number=contact.sms_number,
        sms_verified_at=now if phones_verified and contact.sms_number else None,
        voice_number=contact.voice_number,
        voice_verified_at=now if phones_verified and contact.voice_number else None,
        channels=checked.channels,
        topics=checked.topics,
        source=Subscriber.Source.AGENT if registered_by is not None else Subscriber.Source.SELF,
        registered_by=registered_by,
    )
    record_consent(subscriber, now)
    with _contact_unique(subscriber):
        subscriber.save()
    seen: set[int] = set()
    for place, address in zip(details.places, addresses, strict=True):
        if address.pk in seen:
            continue
        seen.add(address.pk)
        Place.objects.create(subscriber=subscriber, kind=place.kind, address=address)
    return subscriber


def record_consent(subscriber: Subscriber, now: Any) -> None:
    subscriber.consent_version = CONSENT_VERSION
    subscriber.consent_at = now
    subscriber.consent_text_hash = consent_text_hash()


def _start_verifications(subscriber: Subscriber, *, anonymous: bool, client: str = "") -> None:
    """Send what proves each unverified channel; an anonymous registrant's first message
    also carries the management link (their only way back to their registration).

    Raises ``ValidationError`` on ``sms_number`` when no more code may be sent to it: the
    registration is then refused whole (call inside its ``transaction.atomic()``), rather
    than kept with a number nobody can verify."""
    link_sent = False
    if subscriber.email and subscriber.email_verified_at is None:
        _enqueue_after_commit(
            send_email_verification, subscriber_id=subscriber.pk, include_link=anonymous
        )
        link_sent = anonymous
    elif subscriber.email and anonymous:
        _enqueue_after_commit(send_management_link, subscriber_id=subscriber.pk, channel="email")
        link_sent = True
    if subscriber.sms_number and subscriber.sms_verified_at is None:
        try:
            sms_code_request(
                subscriber=subscriber, include_link=anonymous and not link_sent, client=client
            )
        except ValidationError as exc:
            raise ValidationError({"sms_number": exc.messages}) from exc


def subscriber_update(
    *,
    subscriber: Subscriber,
    full_name: str | None = None,
    email: str | None = None,
    sms_number: str | None = None,
    voice_number: str | None = None,
    channels: Sequence[str] | None = None,
    topics: Sequence[str] | None = None,
    language: str | None = None,
    actor: User | None = None,
    confirmed_on_phone: bool = False,
    client: str = "",
) -> Subscriber:
    """Change contact details and preferences (``None`` keeps a value). A changed e-mail or
    number loses its verification and a new one is sent (``client``: the resident's address,
    for the limits on SMS)."""
    contact, errors = _clean_contact(
        subscriber.email if email is None else email,
        str(subscriber.sms_number or "") if sms_number is None else sms_number,
        str(subscriber.voice_number or "") if voice_number is None else voice_number,
    )
    chosen, chosen_topics, more = clean_preferences(
        contact,
        subscriber.channels if channels is None else channels,
        subscriber.topics if topics is None else topics,
        subscriber.language if language is None else language,
    )
    _merge_errors(errors, more)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    confirmed = confirmed_on_phone and actor is not None
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        email_changed = contact.email != subscriber.email
        sms_changed = contact.sms_number != str(subscriber.sms_number or "")
        voice_changed = contact.voice_number != str(subscriber.voice_number or "")
        if full_name is not None:
            subscriber.full_name = full_name.strip()[:200]
        subscriber.email = contact.email
        subscriber.sms_number = contact.sms_number  # type: ignore[assignment]
        subscriber.voice_number = contact.voice_number  # type: ignore[assignment]
        if email_changed:
            subscriber.email_verified_at = None
        if sms_changed:
            subscriber.sms_verified_at = None
        if voice_changed:
            subscriber.voice_verified_at = None
        if confirmed:
            for name in ("email", "sms", "voice"):
                value = getattr(contact, "email" if name == "email" else f"{name}_number")
                if value and getattr(subscriber, f"{name}_verified_at") is None:
                    setattr(subscriber, f"{name}_verified_at", now)
        subscriber.channels = chosen
        subscriber.topics = chosen_topics
        subscriber.language = subscriber.language if language is None else language
        with _contact_unique(subscriber):
            subscriber.save()
        if actor is not None:
            audit_record(
                action="alerts.subscriber_update",
                organisation=subscriber.organisation,
                actor=actor,
                target=subscriber,
                data={"confirmed_on_phone": confirmed},
            )
        if email_changed and subscriber.email and subscriber.email_verified_at is None:
            _enqueue_after_commit(
                send_email_verification, subscriber_id=subscriber.pk, include_link=False
            )
        if sms_changed and subscriber.sms_number and subscriber.sms_verified_at is None:
            # Rate-limited: the change stands; "send me a new code" works a bit later.
            with contextlib.suppress(ValidationError):
                sms_code_request(subscriber=subscriber, client=client)
    return subscriber


# --- Verification --------------------------------------------------------------------------

SMS_CODE_TTL = timedelta(minutes=15)
SMS_CODE_MAX_ATTEMPTS = 5
SMS_RESEND_INTERVAL = timedelta(seconds=60)
SMS_CODES_PER_HOUR = 5
_CODE_SALT = "beffroi.messaging.sms-code"


def _code_hash(verification_id: int, code: str) -> str:
    return salted_hmac(_CODE_SALT, f"{verification_id}:{code}", algorithm="sha256").hexdigest()


# --- Limits on SMS outside alerts ----------------------------------------------------------

_HOUR = 3600
_DAY = 86_400


def sms_daily_budget(organisation: Organisation) -> int:
    """SMS parts the organisation may send per day outside alerts (0: no limit): what its
    administrators set on the alert settings page, else ``SMS_DAILY_BUDGET``."""
    alerts = (organisation.settings or {}).get("alerts") or {}
    value = alerts.get("sms_daily_budget")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return int(settings.SMS_DAILY_BUDGET)


def _budget_key(organisation: Organisation) -> str:
    return f"sms:budget:{organisation.pk}"


def _wait_text(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    if minutes < 120:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = math.ceil(minutes / 60)
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}


def sms_quota_take(*, organisation: Organisation, number: str, client: str = "") -> None:
    """Count one SMS outside alerts to ``number`` (E.164) asked from ``client`` (an IP
    address; empty for an agent, who answers for what they send) against the limits per
    number and per client, and refuse it when the organisation's daily budget is already
    spent (the budget itself is counted in SMS parts when sending).

    Raises ``ValidationError`` on ``code`` saying when to come back. Each hit is one atomic
    increment: sixteen simultaneous requests cannot all pass. Inside a transaction, a
    refusal rolled back with it is not counted; what is committed was counted.
    """
    budget = sms_daily_budget(organisation)
    if budget and rate_peek(_budget_key(organisation), window_seconds=_DAY) >= budget:
        raise ValidationError(
            {
                "code": [
                    _(
                        "The town hall has sent all the SMS codes it can send today: try "
                        "again tomorrow, or choose e-mail."
                    )
                ]
            }
        )
    number_message = _("Too many codes were sent to this number: try again in %(wait)s.")
    checks = [
        (f"sms:number:{number}", settings.SMS_CODES_PER_NUMBER_PER_HOUR, _HOUR, number_message),
        (f"sms:number-day:{number}", settings.SMS_CODES_PER_NUMBER_PER_DAY, _DAY, number_message),
    ]
    if client:
        checks.append(
            (
                f"sms:client:{client}",
                settings.SMS_CODES_PER_CLIENT_PER_HOUR,
                _HOUR,
                _("Too many codes were asked from your connection: try again in %(wait)s."),
            )
        )
    for key, limit, window, message in checks:
        decision = rate_hit(key, limit=int(limit), window_seconds=window)
        if not decision.allowed:
            raise ValidationError({"code": [message % {"wait": _wait_text(decision.retry_after)}]})


def _sms_send(organisation: Organisation, *, key: str, to: str, text: str) -> bool:
    """Send one SMS outside alerts, within the organisation's daily budget of SMS parts.
    Over budget, nothing is sent and the administrators are told (once that day)."""
    from beffroi.messaging.base import SmsOut
    from beffroi.messaging.registry import get_sms_transport
    from beffroi.messaging.sms import sms_info

    budget = sms_daily_budget(organisation)
    decision = rate_hit(
        _budget_key(organisation),
        limit=budget,
        window_seconds=_DAY,
        cost=sms_info(text).segments,
    )
    # Told when this SMS fills the budget (or finds it full): from now on residents are
    # refused codes, and the administrators must know why before they call the town hall.
    reached = budget and decision.count >= budget
    if (
        reached
        and rate_hit(f"sms:budget-told:{organisation.pk}", limit=1, window_seconds=_DAY).allowed
    ):
        sms_budget_spent_notify(organisation=organisation, budget=budget)
    if not decision.allowed:
        logger.warning("SMS %s not sent: the daily budget of %s is spent.", key, organisation)
        return False
    with get_sms_transport() as transport:
        [outcome] = transport.send_many([SmsOut(key=key, to=to, text=text)])
    if outcome.error is not None:
        logger.warning("SMS %s not sent: %s", key, outcome.error.message)
        return False
    return True


def sms_send_counted(*, organisation: Organisation, key: str, to: str, text: str) -> bool:
    """Send one SMS for another domain (a volunteer's reminder, an association's call-out)
    within the organisation's daily budget of SMS parts outside alerts: the same budget as
    verification codes, so that no path of the site can pump SMS without limit."""
    return _sms_send(organisation, key=key, to=to, text=text)


def sms_budget_spent_notify(*, organisation: Organisation, budget: int) -> int:
    """Tell the organisation's administrators that today's SMS budget outside alerts is
    spent (an e-mail to each, and the audit trail). Returns how many were e-mailed."""
    from django.core.mail import EmailMessage

    from beffroi.accounts.models import Role, RoleAssignment, User

    audit_record(
        action="alerts.sms_budget_spent", organisation=organisation, data={"budget": budget}
    )
    administrators = User.objects.filter(
        is_active=True,
        pk__in=RoleAssignment.objects.filter(
            organisation=organisation, role=Role.ADMINISTRATOR
        ).values("user_id"),
    ).exclude(email="")
    path = reverse("alerts_backoffice:settings")
    told = 0
    for admin in administrators.order_by("pk"):
        with translation.override(admin.language or settings.LANGUAGE_CODE):
            subject = _("%(org)s: the SMS budget for codes is spent for today") % {
                "org": organisation.name
            }
            body = "\n".join(
                [
                    _("Hello,"),
                    "",
                    _(
                        "%(org)s has sent today the %(budget)d SMS parts allowed for "
                        "registration codes. No more codes are sent until tomorrow; alerts "
                        "are not affected."
                    )
                    % {"org": organisation.name, "budget": budget},
                    _(
                        "If residents are registering in large numbers (an event, a "
                        "campaign), raise the budget on the alert settings page; if not, "
                        "someone may be abusing the registration form."
                    ),
                    organisation_url(organisation, path),
                ]
            )
        try:
            EmailMessage(subject=subject, body=body, to=[admin.email]).send()
        except Exception:
            # The notice must not stop the work in hand; the audit trail keeps the event.
            logger.warning("SMS budget notice to %s not sent.", admin.pk, exc_info=True)
            continue
        told += 1
    return told


def sms_code_request(
    *, subscriber: Subscriber, include_link: bool = False, client: str = ""
) -> ChannelVerification:
    """Ask for a 6-digit code by SMS to the subscriber's mobile (rate-limited: one a minute,
    five an hour for the subscriber, and ``sms_quota_take`` for the number, the ``client``
    address and the organisation). The code itself is generated and sent by a task."""
    if not subscriber.sms_number:
        raise ValidationError({"code": [_("There is no mobile number to verify.")]})
    now = timezone.now()
    with transaction.atomic():
        Subscriber.objects.select_for_update().filter(pk=subscriber.pk).first()
        recent = ChannelVerification.objects.filter(
            subscriber=subscriber, channel=Channel.SMS, created_at__gte=now - timedelta(hours=1)
        ).order_by("-created_at")
        last = recent.first()
        if last is not None and last.created_at > now - SMS_RESEND_INTERVAL:
            raise ValidationError(
                {"code": [_("A code was sent less than a minute ago: wait before asking again.")]}
            )
        if recent.count() >= SMS_CODES_PER_HOUR:
            raise ValidationError(
                {"code": [_("Too many codes were sent in the last hour: try again later.")]}
            )
        sms_quota_take(
            organisation=subscriber.organisation, number=str(subscriber.sms_number), client=client
        )
        verification = ChannelVerification.objects.create(
            subscriber=subscriber,
            channel=Channel.SMS,
            target=str(subscriber.sms_number),
            code_hash="",
            expires_at=now + SMS_CODE_TTL,
        )
        _enqueue_after_commit(
            send_sms_code, verification_id=verification.pk, include_link=include_link
        )
    return verification


def sms_code_send(
    *, verification_id: int, include_link: bool = False, purpose: str = "registration"
) -> bool:
    """Generate the code of a pending verification, store its hash and send it by SMS.
    Returns False when there is nothing to send, the organisation's budget is spent or the
    gateway refused it."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        verification = (
            ChannelVerification.objects.select_for_update()
            .select_related("subscriber__organisation")
            .filter(pk=verification_id, code_hash="", verified_at__isnull=True)
            .first()
        )
        if verification is None or verification.subscriber.unsubscribed_at is not None:
            return False
        verification.code_hash = _code_hash(verification.pk, code)
        # The 15 minutes run from the sending, not from the queueing.
        verification.expires_at = timezone.now() + SMS_CODE_TTL
        verification.save(update_fields=["code_hash", "expires_at"])
    subscriber = verification.subscriber
    with translation.override(subscriber.language or settings.LANGUAGE_CODE):
        if purpose == "participation":
            # The same verified number proves who takes part in the commune's consultations.
            template = _("%(org)s: your code to take part is %(code)s. It is valid 15 minutes.")
        else:
            template = _(
                "%(org)s: your alert registration code is %(code)s. It is valid 15 minutes."
            )
        text = template % {"org": subscriber.organisation.name, "code": code}
        if include_link:
            text += " " + _("Manage: %(url)s") % {"url": management_url(subscriber)}
    return _sms_send(
        subscriber.organisation, key=f"verify-{verification.pk}", to=verification.target, text=text
    )


def sms_code_verify(*, subscriber: Subscriber, code: str) -> Subscriber:
    """Check a code typed by the resident; 5 attempts per code, 15 minutes."""
    code = re.sub(r"\s", "", code or "")
    now = timezone.now()
    with transaction.atomic():
        verification = (
            ChannelVerification.objects.select_for_update()
            .filter(
                subscriber=subscriber,
                channel=Channel.SMS,
                target=str(subscriber.sms_number),
                verified_at__isnull=True,
            )
            .exclude(code_hash="")
            .order_by("-created_at", "-pk")
            .first()
        )
        if verification is None:
            raise ValidationError({"code": [_("Ask for a code first.")]})
        if verification.expires_at <= now:
            raise ValidationError({"code": [_("This code has expired: ask for a new one.")]})
        if verification.attempts >= SMS_CODE_MAX_ATTEMPTS:
            raise ValidationError({"code": [_("Too many wrong codes: ask for a new one.")]})
        if not re.fullmatch(r"\d{6}", code) or not constant_time_compare(
            _code_hash(verification.pk, code), verification.code_hash
        ):
            # Counted outside any refusal: the attempt must be saved although we refuse.
            verification.attempts += 1
            verification.save(update_fields=["attempts"])
            left = SMS_CODE_MAX_ATTEMPTS - verification.attempts
            wrong = (
                _("This code is not correct: %(left)d attempts left.") % {"left": left}
                if left
                else _("Too many wrong codes: ask for a new one.")
            )
        else:
            wrong = ""
            verification.verified_at = now
            verification.save(update_fields=["verified_at"])
            Subscriber.objects.filter(pk=subscriber.pk).update(sms_verified_at=now)
    if wrong:
        raise ValidationError({"code": [wrong]})
    subscriber.sms_verified_at = now
    return subscriber


def _email_token(subscriber: Subscriber) -> str:
    return signing.TimestampSigner(salt=_EMAIL_SALT).sign_object(
        {"s": subscriber.pk, "e": subscriber.email}
    )


def email_verification_url(subscriber: Subscriber) -> str:
    path = reverse("subscriptions:verify_email", args=[_email_token(subscriber)])
    return organisation_url(subscriber.organisation, path)


def email_verification_request(*, subscriber: Subscriber) -> None:
    if not subscriber.email:
        raise ValidationError({"email": [_("There is no e-mail address to verify.")]})
    if subscriber.email_verified_at is not None:
        raise ValidationError({"email": [_("This e-mail address is already verified.")]})
    last = subscriber.verifications.filter(channel=Channel.EMAIL).order_by("-created_at").first()
    if last is not None and last.created_at > timezone.now() - SMS_RESEND_INTERVAL:
        raise ValidationError(
            {"email": [_("A link was sent less than a minute ago: wait before asking again.")]}
        )
    _enqueue_after_commit(send_email_verification, subscriber_id=subscriber.pk, include_link=False)


def _send_email(subscriber: Subscriber, *, key: str, subject: str, text: str) -> bool:
    from beffroi.messaging.base import EmailOut
    from beffroi.messaging.registry import get_transport

    with get_transport("smtp") as transport:
        [outcome] = transport.send_many(
            [
                EmailOut(
                    key=key,
                    to=subscriber.email,
                    subject=subject,
                    text=text,
                    unsubscribe_url=unsubscribe_url(subscriber),
                    # From the organisation's name, as its alerts: the resident recognises it.
                    sender_name=subscriber.organisation.name,
                )
            ]
        )
    if outcome.error is not None:
        logger.warning("E-mail %s not sent: %s", key, outcome.error.message)
        return False
    return True


def email_verification_send(*, subscriber_id: int, include_link: bool = False) -> bool:
    """Send the verification link (and, for an anonymous registrant, the management link)."""
    subscriber = (
        Subscriber.objects.select_related("organisation")
        .filter(pk=subscriber_id, unsubscribed_at__isnull=True)
        .exclude(email="")
        .first()
    )
    if subscriber is None or subscriber.email_verified_at is not None:
        return False
    verification = ChannelVerification.objects.create(
        subscriber=subscriber,
        channel=Channel.EMAIL,
        target=subscriber.email,
        code_hash="-",  # a signed link, no code
        expires_at=timezone.now() + EMAIL_LINK_MAX_AGE,
    )
    with translation.override(subscriber.language or settings.LANGUAGE_CODE):
        subject = _("Alerts — %(org)s: confirm your e-mail address") % {
            "org": subscriber.organisation.name
        }
        lines = [
            _("Hello,"),
            "",
            _(
                "You registered this address to receive alerts (%(org)s). Open this link "
                "to confirm it (valid %(days)d days):"
            )
            % {"org": subscriber.organisation.name, "days": EMAIL_LINK_MAX_AGE.days},
            email_verification_url(subscriber),
        ]
        if include_link:
            lines += [
                "",
                _("Keep this message: this link lets you change or end your registration:"),
                management_url(subscriber),
            ]
        lines += [
            "",
            _("If you did not register, ignore this message or unsubscribe: %(url)s")
            % {"url": unsubscribe_url(subscriber)},
        ]
    return _send_email(
        subscriber, key=f"verify-{verification.pk}", subject=subject, text="\n".join(lines)
    )


def email_verify(*, organisation: Organisation, token: str) -> Subscriber:
    """Mark the address named by a verification link verified (3 days; the address must
    not have changed since)."""
    signer = signing.TimestampSigner(salt=_EMAIL_SALT)
    try:
        payload = signer.unsign_object(token[:500], max_age=EMAIL_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationError(
            _("This verification link has expired. Ask for a new one."), code="expired"
        ) from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("This verification link is not valid."), code="invalid") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        raise ValidationError(_("This verification link is not valid."), code="invalid")
    now = timezone.now()
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update()
            .filter(
                pk=payload["s"],
                organisation=organisation,
                email=str(payload.get("e", "")),
                unsubscribed_at__isnull=True,
            )
            .first()
        )
        if subscriber is None:
            raise ValidationError(_("This verification link is not valid."), code="invalid")
        if subscriber.email_verified_at is None:
            subscriber.email_verified_at = now
            subscriber.save(update_fields=["email_verified_at", "updated_at"])
            subscriber.verifications.filter(
                channel=Channel.EMAIL, target=subscriber.email, verified_at__isnull=True
            ).update(verified_at=now)
    return subscriber


def management_link_send(*, subscriber_id: int, channel: str) -> bool:
    """E-mail an existing subscriber the link to manage their registration. Never by SMS:
    anyone can ask for this link by typing a number into the form, so an SMS here would
    let them spend the commune's SMS and flood that number."""
    subscriber = (
        Subscriber.objects.select_related("organisation")
        .filter(pk=subscriber_id, unsubscribed_at__isnull=True)
        .first()
    )
    if subscriber is None:
        return False
    with translation.override(subscriber.language or settings.LANGUAGE_CODE):
        org = subscriber.organisation.name
        if channel == Channel.EMAIL and subscriber.email:
            text = "\n".join(
                [
                    _("Hello,"),
                    "",
                    _("Your registration for alerts (%(org)s) is recorded.") % {"org": org},
                    _("This link lets you change or end your registration:"),
                    management_url(subscriber),
                ]
            )
            return _send_email(
                subscriber,
                key=f"manage-{subscriber.pk}",
                subject=_("Alerts — %(org)s: your registration") % {"org": org},
                text=text,
            )
    return False


def _enqueue_after_commit(job: Any, **kwargs: Any) -> None:
    # After commit: a worker on another backend must find the rows; a rolled-back
    # registration must send nothing.
    transaction.on_commit(lambda: job.enqueue(**kwargs))


# --- Unsubscription ------------------------------------------------------------------------


def subscriber_unsubscribe(
    *, subscriber: Subscriber, channel: str | None = None, reason: str
) -> Subscriber:
    """Stop warning ``subscriber`` on ``channel``, or on every channel when None (or when the
    last channel goes). The row stays (consent proof, delivery history); ``unsubscribed_at``
    takes it out of every audience."""
    now = timezone.now()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if channel is not None:
            subscriber.channels = [c for c in subscriber.channels if c != channel]
        if (channel is None or not subscriber.channels) and subscriber.unsubscribed_at is None:
            subscriber.unsubscribed_at = now
        subscriber.unsubscribe_reason = reason[:200]
        subscriber.save(
            update_fields=["channels", "unsubscribed_at", "unsubscribe_reason", "updated_at"]
        )
        audit_record(
            action="alerts.subscriber_unsubscribe",
            organisation=subscriber.organisation,
            target=subscriber,
            reason=reason[:200],
            data={"channel": channel or "all"},
        )
    return subscriber


# How long "unsubscribe everything" can be undone from the unsubscribe page. It is an undo
# for a click regretted (or a link clicked by someone else in the household), not a way to
# revive an old registration: past this, registering again goes through the form and a fresh
# consent. The purge may come sooner if the organisation keeps unsubscribed data less long.
RESUBSCRIBE_WINDOW = timedelta(days=30)


def resubscribe_deadline(subscriber: Subscriber) -> datetime | None:
    """Until when ``subscriber``'s unsubscription can be undone, or None when it cannot:
    still registered, past the window, or no channel left to restore ("STOP" by SMS took
    the last one: the resident chooses again on the form)."""
    if subscriber.unsubscribed_at is None or not subscriber.channels:
        return None
    deadline = subscriber.unsubscribed_at + RESUBSCRIBE_WINDOW
    return deadline if timezone.now() < deadline else None


def subscriber_resubscribe(*, subscriber: Subscriber, reason: str) -> Subscriber:
    """Undo "unsubscribe everything": the registration comes back as it was (channels,
    verifications, topics, places and the consent given then), within
    ``RESUBSCRIBE_WINDOW``. Raises ``ValidationError`` past the window, or when another
    registration took the e-mail or mobile number in the meantime."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.unsubscribed_at is None:
            return subscriber
        if resubscribe_deadline(subscriber) is None:
            raise ValidationError(
                _("This registration can no longer be restored: please register again."),
                code="expired",
            )
        subscriber.unsubscribed_at = None
        subscriber.unsubscribe_reason = ""
        with _contact_unique(subscriber):
            subscriber.save(update_fields=["unsubscribed_at", "unsubscribe_reason", "updated_at"])
        audit_record(
            action="alerts.subscriber_resubscribe",
            organisation=subscriber.organisation,
            target=subscriber,
            reason=reason[:200],
        )
    return subscriber


def subscriber_unsubscribe_by_number(*, organisation: Organisation, number: str) -> int:
    """A "STOP" SMS from ``number`` (as the gateway gives it: "33612345678", "+336…",
    "0612…"): stop SMS to every subscriber of the organisation with that mobile number.
    Returns how many were unsubscribed (0 for an unknown or unreadable number)."""
    raw = (number or "").strip()
    candidates = [raw]
    if raw.isdigit() and not raw.startswith("0"):
        candidates.insert(0, "+" + raw)
    e164 = ""
    for candidate in candidates:
        try:
            e164 = phone_e164(phone_parse(candidate))
            break
        except ValidationError:
            continue
    if not e164:
        return 0
    count = 0
    for subscriber in _active_subscribers(organisation).filter(sms_number=e164):
        subscriber_unsubscribe(subscriber=subscriber, channel=Channel.SMS, reason="STOP SMS")
        count += 1
    return count


# --- GDPR ----------------------------------------------------------------------------------


def export_subscriptions(user: User) -> list[dict[str, Any]]:
    """What the alerts app holds on ``user`` as a subscriber (GDPR art. 15 and 20)."""
    result = []
    for subscriber in Subscriber.objects.filter(user=user).select_related("organisation"):
        result.append(
            {
                "organisation": subscriber.organisation.name,
                "full_name": subscriber.full_name,
                "language": subscriber.language,
                "email": subscriber.email,
                "email_verified_at": _iso(subscriber.email_verified_at),
                "sms_number": str(subscriber.sms_number or ""),
                "sms_verified_at": _iso(subscriber.sms_verified_at),
                "voice_number": str(subscriber.voice_number or ""),
                "voice_verified_at": _iso(subscriber.voice_verified_at),
                "channels": list(subscriber.channels),
                "topics": list(subscriber.topics),
                "consent_version": subscriber.consent_version,
                "consent_at": _iso(subscriber.consent_at),
                "consent_text_hash": subscriber.consent_text_hash,
                "source": subscriber.source,
                "created_at": _iso(subscriber.created_at),
                "unsubscribed_at": _iso(subscriber.unsubscribed_at),
                "places": [
                    {
                        "kind": place.kind,
                        "address": place.address.label,
                        "lon": place.address.lon,
                        "lat": place.address.lat,
                    }
                    for place in subscriber.places.select_related(
                        "address__street", "address__commune"
                    )
                ],
                "deliveries": [
                    {"alert": d.alert_id, "channel": d.channel, "status": d.status}
                    for d in subscriber.deliveries.order_by("pk")[:1000]
                ],
            }
        )
    return result


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


# What other domains keep about a person registered for alerts (a participant who took part
# with an SMS code) is erased with them: each domain registers its eraser here at start-up.
_SUBSCRIBER_ERASERS: list[Callable[[Subscriber], None]] = []


def subscriber_eraser_register(eraser: Callable[[Subscriber], None]) -> None:
    """``eraser(subscriber)`` runs inside ``subscriber_erase``'s transaction, before the
    subscriber's row goes."""
    if eraser not in _SUBSCRIBER_ERASERS:
        _SUBSCRIBER_ERASERS.append(eraser)


def subscriber_erase(*, subscriber: Subscriber, reason: str, actor: User | None = None) -> None:
    """Delete ``subscriber`` for good (GDPR art. 17): their places, the points they placed on
    the map, their verifications. Their deliveries stay, anonymised (no subscriber, no
    address or number, not in the gateways' errors either), so that an alert's report and
    live view still count every message sent. The audit event names no one."""
    from django.db.models import Value
    from django.db.models.functions import Replace

    from beffroi.alerts.models import Delivery

    with transaction.atomic():
        locked = Subscriber.objects.select_for_update().filter(pk=subscriber.pk).first()
        if locked is None:
            return
        subscriber = locked
        point_ids = list(
            Place.objects.filter(subscriber=subscriber, address__street__isnull=True).values_list(
                "address_id", flat=True
            )
        )
        deliveries = Delivery.objects.filter(subscriber=subscriber)
        # A gateway's error often quotes the address it refused ("550 <jeanne@…>: unknown").
        for target in set(deliveries.exclude(target="").values_list("target", flat=True)):
            deliveries.filter(last_error__contains=target).update(
                last_error=Replace("last_error", Value(target), Value("…"))
            )
        erased = deliveries.update(subscriber=None, target="")
        audit_record(
            action="alerts.subscriber_erase",
            organisation=subscriber.organisation,
            actor=actor,
            target=subscriber,
            reason=reason[:200],
            data={"places": subscriber.places.count(), "deliveries": erased},
        )
        for eraser in _SUBSCRIBER_ERASERS:
            eraser(subscriber)
        subscriber.delete()
        for address_id in point_ids:
            _delete_orphan_point(address_id)


def unsubscribed_retention_days(organisation: Organisation) -> int:
    """How long ``organisation`` keeps an unsubscribed resident's registration: its own
    ``settings["alerts"]["unsubscribed_retention_days"]``, else UNSUBSCRIBED_RETENTION_DAYS."""
    own = (organisation.settings or {}).get("alerts", {}).get("unsubscribed_retention_days")
    if isinstance(own, int) and not isinstance(own, bool) and own >= 1:
        return own
    return int(settings.UNSUBSCRIBED_RETENTION_DAYS)


def subscribers_purge_unsubscribed() -> int:
    """Erase every subscriber unsubscribed for longer than their organisation's retention;
    returns how many. A registration kept forever after "stop" is data kept without a
    purpose (GDPR art. 5(1)(e)); the delay leaves time to prove the consent and the
    unsubscription if asked."""
    from beffroi.territory.models import Organisation

    now = timezone.now()
    count = 0
    for organisation in Organisation.objects.filter(
        subscribers__unsubscribed_at__isnull=False
    ).distinct():
        cutoff = now - timedelta(days=unsubscribed_retention_days(organisation))
        for subscriber in Subscriber.objects.filter(
            organisation=organisation, unsubscribed_at__lt=cutoff
        ).iterator():
            subscriber_erase(subscriber=subscriber, reason="retention")
            count += 1
    return count


def erase_subscriptions(user: User) -> None:
    """Delete the user's subscriptions, their hand-placed points, and the addresses kept on
    past deliveries (the delivery counts of alerts stay)."""
    for subscriber in Subscriber.objects.filter(user=user):
        subscriber_erase(subscriber=subscriber, reason="account erased")


# --- Tasks: fetch by id, call the service ------------------------------------------------


@task(queue_name="alerts")
def send_sms_code(
    *, verification_id: int, include_link: bool = False, purpose: str = "registration"
) -> bool:
    return sms_code_send(
        verification_id=verification_id, include_link=include_link, purpose=purpose
    )


@task(queue_name="alerts")
def send_email_verification(*, subscriber_id: int, include_link: bool = False) -> bool:
    return email_verification_send(subscriber_id=subscriber_id, include_link=include_link)


@task(queue_name="alerts")
def send_management_link(*, subscriber_id: int, channel: str) -> bool:
    return management_link_send(subscriber_id=subscriber_id, channel=channel)


@task(queue_name="default")
def purge_unsubscribed() -> int:
    return subscribers_purge_unsubscribed()
