"""Participants: the one row per person and organisation that every contribution points to.

Besides creating them (from an account, or from a person registered for alerts), this module
holds the sign-in by SMS code of people without an account, the participant's profile (public
name, year of birth, residence) and what GDPR export and erasure do to participation data.

SMS sign-in, decisions worth knowing:
- The code goes through the alerts' registration machinery (``ChannelVerification``, the
  ``send_sms_code`` task that generates the code inside the worker and stores only its HMAC,
  ``sms_quota_take`` for the limits per number, per client address and the organisation's
  daily SMS budget, ``sms_code_verify`` for expiry, the five attempts and the constant-time
  comparison), so that an installation has one set of SMS protections.
- Nobody learns whether a number is registered: a registered and an unknown number meet the
  same checks in the same order (the same counters) and get the same answer ("if this number
  is registered, a code was sent"); typing a code for an unknown number fails like a wrong
  code, with the same count of attempts and the same expiry.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from beffroi.accounts.models import User
from beffroi.alerts.models import Channel, ChannelVerification, Subscriber
from beffroi.alerts.subscriptions.services import (
    SMS_CODE_MAX_ATTEMPTS,
    SMS_CODE_TTL,
    send_sms_code,
    sms_code_verify,
    sms_quota_take,
)
from beffroi.core.phone import phone_e164, phone_parse
from beffroi.core.ratelimit import rate_hit
from beffroi.core.rows import row
from beffroi.participation.models import (
    Comment,
    Follow,
    Notification,
    NotificationSettings,
    Opinion,
    Participant,
    Proposal,
    Registration,
    Response,
    Support,
)
from beffroi.territory.models import Address, Organisation


def participant_for_user(*, user: User, organisation: Organisation) -> Participant:
    """The participant of ``user`` in ``organisation``, created on first use.

    Race-safe: two first contributions at once create one row (the unique constraint
    answers the loser, who reads the winner's)."""
    # One row at most (unique per organisation and user), read at every request of a
    # signed-in resident who takes part: one fixed statement (``core.rows``).
    existing = row(Participant, "organisation_id = %s AND user_id = %s", [organisation.pk, user.pk])
    if existing is not None:
        # The caller's user object: the permission rules read it without loading it again.
        existing.user = user
        return existing
    try:
        with transaction.atomic():
            return Participant.objects.create(
                organisation=organisation,
                user=user,
                display_name=_short_name(user.full_name),
            )
    except IntegrityError:
        return Participant.objects.get(organisation=organisation, user=user)


def participant_for_subscriber(*, subscriber: Subscriber) -> Participant:
    """The participant of a person registered for alerts (no account), created on first use.

    When the subscriber is linked to an account, the account's participant is used, so that
    one person never holds two supports through two ways in."""
    if subscriber.user_id is not None:
        participant = participant_for_user(
            user=subscriber.user,  # type: ignore[arg-type]
            organisation=subscriber.organisation,
        )
        if participant.subscriber_id is None:
            Participant.objects.filter(pk=participant.pk, subscriber__isnull=True).update(
                subscriber=subscriber
            )
        return participant
    existing = Participant.objects.filter(
        organisation_id=subscriber.organisation_id, subscriber=subscriber
    ).first()
    if existing is not None:
        return existing
    home = subscriber.places.order_by("pk").first()
    try:
        with transaction.atomic():
            return Participant.objects.create(
                organisation_id=subscriber.organisation_id,
                subscriber=subscriber,
                display_name=_short_name(subscriber.full_name),
                address_id=home.address_id if home else None,
            )
    except IntegrityError:
        return Participant.objects.get(
            organisation_id=subscriber.organisation_id, subscriber=subscriber
        )


def _short_name(full_name: str) -> str:
    """ "Marie Dupont" → "Marie D.": recognisable by neighbours, not searchable."""
    parts = full_name.split()
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0][:80]
    return f"{parts[0]} {parts[-1][0]}."[:80]


# --- Taking part with an SMS code (no account) ---------------------------------------------

# One request a minute per number, counted whether or not the number is registered: the
# alerts' own "one a minute" rule reads the registration's past codes, which an unknown
# number has not, and would tell the two apart.
SMS_SIGNIN_INTERVAL_SECONDS = 60


@dataclass(frozen=True)
class SmsSigninPending:
    """What the session keeps between asking for a code and typing it: the number asked
    for, when, and the wrong attempts counted for a number that is not registered (those of
    a registered one are counted on its verification, by the alerts)."""

    number: str
    requested_at: float
    attempts: int = 0

    def as_session(self) -> dict[str, Any]:
        return {"n": self.number, "t": self.requested_at, "a": self.attempts}

    @classmethod
    def from_session(cls, value: object) -> SmsSigninPending | None:
        if not isinstance(value, dict):
            return None
        number, at, attempts = value.get("n"), value.get("t"), value.get("a", 0)
        if not isinstance(number, str) or not isinstance(at, int | float):
            return None
        return cls(number=number, requested_at=float(at), attempts=int(attempts or 0))


def sms_signin_subscriber(*, organisation: Organisation, number: str) -> Subscriber | None:
    """The person registered for alerts in ``organisation`` who may take part with an SMS
    code sent to ``number`` (E.164): the number verified, still registered, at least one
    place in the territory."""
    return (
        Subscriber.objects.select_related("organisation")
        .filter(
            organisation=organisation,
            sms_number=number,
            sms_verified_at__isnull=False,
            unsubscribed_at__isnull=True,
            places__isnull=False,
        )
        .order_by("pk")
        .first()
    )


def sms_signin_request(
    *, organisation: Organisation, number: str, client: str = ""
) -> SmsSigninPending:
    """Send a sign-in code to ``number`` when it belongs to a person registered for alerts
    (see ``sms_signin_subscriber``); answer the same whether it does or not.

    Raises ``ValidationError`` keyed ``number`` for a number that is not a mobile one, or
    when a limit is reached (one a minute per number; the alerts' limits per number, per
    ``client`` address and the organisation's daily budget) — the same limits, counted the
    same way, for every number."""
    try:
        e164 = phone_e164(phone_parse(number or "", mobile=True))
    except ValidationError as exc:
        raise ValidationError({"number": exc.messages}) from exc
    interval = rate_hit(
        f"participation:sms-signin:number:{organisation.pk}:{e164}",
        limit=1,
        window_seconds=SMS_SIGNIN_INTERVAL_SECONDS,
    )
    if not interval.allowed:
        raise ValidationError(
            {"number": [_("A code was sent less than a minute ago: wait before asking again.")]}
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            sms_quota_take(organisation=organisation, number=e164, client=client)
            subscriber = sms_signin_subscriber(organisation=organisation, number=e164)
            if subscriber is not None:
                verification = ChannelVerification.objects.create(
                    subscriber=subscriber,
                    channel=Channel.SMS,
                    target=str(subscriber.sms_number),
                    code_hash="",
                    expires_at=now + SMS_CODE_TTL,
                )
                # After commit: the worker must find the row; the code is generated there.
                verification_id = verification.pk
                transaction.on_commit(
                    lambda: send_sms_code.enqueue(
                        verification_id=verification_id, purpose="participation"
                    )
                )
    except ValidationError as exc:
        raise ValidationError({"number": exc.messages}) from exc
    return SmsSigninPending(number=e164, requested_at=time.time())


def sms_signin_verify(
    *, organisation: Organisation, pending: SmsSigninPending, code: str
) -> tuple[Participant | None, SmsSigninPending]:
    """Check the code typed for ``pending``: the participant it proves, or
    ``ValidationError`` keyed ``code`` with the alerts' messages (expired, wrong with the
    attempts left, too many). Returns the pending state to keep (its attempts counted)."""
    subscriber = sms_signin_subscriber(organisation=organisation, number=pending.number)
    if subscriber is None:
        # An unknown number fails exactly like a wrong code for a known one.
        code = re.sub(r"\s", "", code or "")
        if time.time() - pending.requested_at > SMS_CODE_TTL.total_seconds():
            raise ValidationError({"code": [_("This code has expired: ask for a new one.")]})
        if pending.attempts >= SMS_CODE_MAX_ATTEMPTS:
            raise ValidationError({"code": [_("Too many wrong codes: ask for a new one.")]})
        pending = SmsSigninPending(
            number=pending.number,
            requested_at=pending.requested_at,
            attempts=pending.attempts + 1,
        )
        left = SMS_CODE_MAX_ATTEMPTS - pending.attempts
        error = ValidationError(
            {
                "code": [
                    _("This code is not correct: %(left)d attempts left.") % {"left": left}
                    if left
                    else _("Too many wrong codes: ask for a new one.")
                ]
            }
        )
        error.pending = pending  # type: ignore[attr-defined]
        raise error
    try:
        sms_code_verify(subscriber=subscriber, code=code)
    except ValidationError as exc:
        error = ValidationError({"code": exc.messages})
        error.pending = pending  # type: ignore[attr-defined]
        raise error from exc
    return participant_for_subscriber(subscriber=subscriber), pending


# --- Profile -------------------------------------------------------------------------------

OLDEST_BIRTH_YEAR = 1900


def birth_year_check(value: int | None) -> None:
    if value is None:
        return
    this_year = timezone.localdate().year
    if not OLDEST_BIRTH_YEAR <= value <= this_year:
        raise ValidationError(
            {
                "birth_year": [
                    _("Enter a year between %(first)d and %(last)d.")
                    % {"first": OLDEST_BIRTH_YEAR, "last": this_year}
                ]
            }
        )


def participant_profile_update(
    *,
    participant: Participant,
    display_name: str,
    birth_year: int | None,
    address_id: int | None,
    keep_address: bool = False,
) -> Participant:
    """Change the public name, the year of birth and the residence (``address_id``, one of
    the organisation's addresses; None removes it unless ``keep_address``). Plain text
    only: the name is shown escaped everywhere. Raises ``ValidationError`` keyed by field,
    nothing changed."""
    display_name = " ".join((display_name or "").split())
    errors: dict[str, list[str]] = {}
    if len(display_name) > 80:
        errors["display_name"] = [_("At most 80 characters.")]
    try:
        birth_year_check(birth_year)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    address: Address | None = None
    if address_id is not None:
        address = Address.objects.filter(
            organisation_id=participant.organisation_id, pk=address_id
        ).first()
        if address is None:
            errors["address"] = [_("This address is not one of the commune's.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if locked.erased_at is not None:
            raise ValidationError({"display_name": [_("This participation was erased.")]})
        locked.display_name = display_name
        locked.birth_year = birth_year
        if not keep_address:
            locked.address = address
        locked.save(update_fields=["display_name", "birth_year", "address"])
    return locked


# --- GDPR ----------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def participants_of_user(user: User) -> list[Participant]:
    """Every participant row of ``user``: through the account, and through the alerts
    registrations linked to it."""
    return list(
        Participant.objects.filter(user=user)
        .union(Participant.objects.filter(subscriber__user=user))
        .order_by("pk")
    )


def participant_export(participant: Participant) -> dict[str, Any]:
    """What participation holds on one participant (GDPR art. 15 and 20)."""
    address = participant.address
    settings_row = NotificationSettings.objects.filter(participant=participant).first()
    return {
        "organisation": participant.organisation.name,
        "display_name": participant.display_name,
        "birth_year": participant.birth_year,
        "address": address.label if address is not None else None,
        "created_at": _iso(participant.created_at),
        "blocked_at": _iso(participant.blocked_at),
        "blocked_reason": participant.blocked_reason,
        "proposals": [
            {
                "id": p.pk,
                "process": p.process.title,
                "title": p.title,
                "body": p.body,
                "estimated_cost": str(p.estimated_cost) if p.estimated_cost is not None else None,
                "state": p.state,
                "created_at": _iso(p.created_at),
                "withdrawn_at": _iso(p.withdrawn_at),
            }
            for p in Proposal.objects.filter(author=participant)
            .select_related("process")
            .order_by("pk")
        ],
        "comments": [
            {
                "id": c.pk,
                "proposal": c.proposal_id,
                "process": c.process_id,
                "body": c.body,
                "stance": c.stance,
                "created_at": _iso(c.created_at),
            }
            for c in Comment.objects.filter(author=participant).order_by("pk")
        ],
        "supports": [
            {"proposal": s.proposal_id, "title": s.proposal.title, "created_at": _iso(s.created_at)}
            for s in Support.objects.filter(participant=participant)
            .select_related("proposal")
            .order_by("pk")
        ],
        "opinions": [
            {
                "project": o.project.title,
                "position": o.position,
                "comment": o.comment,
                "created_at": _iso(o.created_at),
            }
            for o in Opinion.objects.filter(participant=participant)
            .select_related("project")
            .order_by("pk")
        ],
        "responses": [
            {
                "questionnaire": r.questionnaire.title,
                "submitted_at": _iso(r.submitted_at),
                "answers": [
                    {
                        "question": a.question.text,
                        "choice": a.choice.label if a.choice is not None else None,
                        "row": a.row.label if a.row is not None else None,
                        "number": a.number,
                        "text": a.text,
                    }
                    for a in r.answers.select_related("question", "choice", "row").order_by("pk")
                ],
            }
            for r in Response.objects.filter(participant=participant)
            .select_related("questionnaire")
            .order_by("pk")
        ],
        "registrations": [
            {
                "meeting": r.meeting.title,
                "status": r.status,
                "attended": r.attended,
                "created_at": _iso(r.created_at),
            }
            for r in Registration.objects.filter(participant=participant)
            .select_related("meeting")
            .order_by("pk")
        ],
        "follows": [
            {"proposal": f.proposal_id, "process": f.process_id, "created_at": _iso(f.created_at)}
            for f in Follow.objects.filter(participant=participant).order_by("pk")
        ],
        "notifications": [
            {
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                "url": n.url,
                "created_at": _iso(n.created_at),
                "read_at": _iso(n.read_at),
                "emailed_at": _iso(n.emailed_at),
            }
            for n in Notification.objects.filter(recipient=participant).order_by("pk")
        ],
        "notification_settings": (
            {"email_frequency": settings_row.email_frequency} if settings_row is not None else None
        ),
    }


def export_participation(user: User) -> list[dict[str, Any]]:
    """What participation holds on ``user``, one entry per organisation."""
    return [participant_export(p) for p in participants_of_user(user)]


def participant_erase(*, participant: Participant) -> None:
    """Forget who ``participant`` is (GDPR art. 17): the public name, the year of birth,
    the residence, notifications, their settings and what they follow go; proposals,
    comments, supports, opinions and answers stay, signed "a resident", so that counts and
    discussions keep their meaning."""
    with transaction.atomic():
        locked = Participant.objects.select_for_update().filter(pk=participant.pk).first()
        if locked is None:
            return
        Notification.objects.filter(recipient=locked).delete()
        NotificationSettings.objects.filter(participant=locked).delete()
        Follow.objects.filter(participant=locked).delete()
        locked.display_name = ""
        locked.address = None
        locked.birth_year = None
        locked.subscriber = None
        if locked.erased_at is None:
            locked.erased_at = timezone.now()
        locked.save(
            update_fields=["display_name", "address", "birth_year", "subscriber", "erased_at"]
        )


def erase_participation_of_subscriber(subscriber: Subscriber) -> None:
    """Erase the participation of a person who took part with an SMS code only (no
    account), when their alert registration is erased."""
    for participant in Participant.objects.filter(subscriber=subscriber, user__isnull=True):
        participant_erase(participant=participant)


def erase_participation(user: User) -> None:
    """Erase the participation data of ``user`` in every organisation (account erasure)."""
    for participant in participants_of_user(user):
        participant_erase(participant=participant)
