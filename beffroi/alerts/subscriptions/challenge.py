"""The proof of work of the anonymous alert sign-up form (``beffroi.core.challenge``): it
guards the SMS codes a sign-up sends and the registry from being filled with strangers."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    "signup_attempt",
]

SIGNUP = ProofOfWork(
    salt="beffroi.alerts.registration-challenge",
    prefix="signup",
    missing_message=lambda: _(
        "Many registrations arrived in the last minutes, so this form now asks your "
        "browser for a short computation, which needs JavaScript. Enable it and submit "
        "again, come back in a few minutes, or call the town hall to be registered by "
        "phone."
    ),
)


def challenge_needed(*, organisation: Organisation, client: str) -> bool:
    return SIGNUP.needed(organisation_id=organisation.pk, client=client)


def signup_attempt(*, organisation: Organisation, client: str) -> bool:
    return SIGNUP.attempt(organisation_id=organisation.pk, client=client)


def challenge_issue() -> str:
    return SIGNUP.issue()


def challenge_verify(*, challenge: str, nonce: str) -> None:
    SIGNUP.verify(challenge=challenge, nonce=nonce)
