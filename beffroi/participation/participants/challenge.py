"""The proof of work of the SMS sign-in to take part (``beffroi.core.challenge``, the same
scheme and browser script as the alerts sign-up, with its own counters): each request sends
an SMS code, which costs the commune and reaches a person."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from beffroi.core.challenge import (
    CHALLENGE_MAX_AGE,
    ProofOfWork,
    challenge_difficulty,
    leading_zero_bits,
)

if TYPE_CHECKING:
    from beffroi.territory.models import Organisation

__all__ = [
    "CHALLENGE_MAX_AGE",
    "challenge_difficulty",
    "challenge_issue",
    "challenge_needed",
    "challenge_verify",
    "leading_zero_bits",
    "signin_attempt",
]

SMS_SIGNIN = ProofOfWork(
    salt="beffroi.participation.sms-signin-challenge",
    prefix="participation:sms-signin",
    missing_message=lambda: _(
        "Many codes were asked for in the last minutes, so this form now asks your browser "
        "for a short computation, which needs JavaScript. Enable it and submit again, or "
        "come back in a few minutes."
    ),
)


def challenge_needed(*, organisation: Organisation, client: str) -> bool:
    return SMS_SIGNIN.needed(organisation_id=organisation.pk, client=client)


def signin_attempt(*, organisation: Organisation, client: str) -> bool:
    return SMS_SIGNIN.attempt(organisation_id=organisation.pk, client=client)


def challenge_issue() -> str:
    return SMS_SIGNIN.issue()


def challenge_verify(*, challenge: str, nonce: str) -> None:
    """As the core check, the error attached to the number field of the sign-in form."""
    try:
        SMS_SIGNIN.verify(challenge=challenge, nonce=nonce)
    except ValidationError as error:
        raise ValidationError({"number": error.messages}) from error
