"""Participants: the one row per person and organisation that every contribution points to."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from beffroi.accounts.models import User
from beffroi.alerts.models import Subscriber
from beffroi.participation.models import Participant
from beffroi.territory.models import Organisation


def participant_for_user(*, user: User, organisation: Organisation) -> Participant:
    """The participant of ``user`` in ``organisation``, created on first use.

    Race-safe: two first contributions at once create one row (the unique constraint
    answers the loser, who reads the winner's)."""
    existing = Participant.objects.filter(organisation=organisation, user=user).first()
    if existing is not None:
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
