"""A proof of work asked of anonymous sign-ups when they come too fast.

A script that submits the registration form by the thousand (to spend the commune's SMS, or
fill its list with strangers) costs its author nothing; a person signs up once. So when the
sign-ups from one address, or for the whole organisation, pass a threshold within the last
minutes, the form carries a challenge signed by the server (random, valid a few minutes) and
the browser must find a ``nonce`` such that ``sha256(challenge + nonce)`` starts with
``REGISTRATION_CHALLENGE_BITS`` zero bits: about a second for one person, hours for a
thousand sign-ups. Each challenge is accepted once. Below the threshold nothing is asked, and
the form works without JavaScript.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from beffroi.core.ratelimit import rate_hit, rate_peek

if TYPE_CHECKING:
    from beffroi.territory.models import Organisation

CHALLENGE_MAX_AGE = 600  # seconds: time enough to fill in the form
WINDOW_SECONDS = 600  # "the last minutes" over which sign-ups are counted
_SALT = "beffroi.alerts.registration-challenge"
# Nonces are short decimal strings; anything longer is not from our script.
_NONCE_MAX_LENGTH = 32


def _keys(organisation: Organisation, client: str) -> list[tuple[str, int]]:
    return [
        (f"signup:client:{client}", int(settings.REGISTRATION_CHALLENGE_PER_CLIENT)),
        (f"signup:org:{organisation.pk}", int(settings.REGISTRATION_CHALLENGE_PER_ORGANISATION)),
    ]


def challenge_needed(*, organisation: Organisation, client: str) -> bool:
    """Whether the next anonymous sign-up from ``client`` must bring a proof of work (for
    the form to show; counts nothing)."""
    return any(
        limit and rate_peek(key, window_seconds=WINDOW_SECONDS) >= limit
        for key, limit in _keys(organisation, client)
    )


def signup_attempt(*, organisation: Organisation, client: str) -> bool:
    """Count one anonymous sign-up attempt from ``client``; True when it must bring a proof
    of work (a threshold is passed, this attempt included)."""
    needed = False
    for key, limit in _keys(organisation, client):
        if limit and not rate_hit(key, limit=limit, window_seconds=WINDOW_SECONDS).allowed:
            needed = True
    return needed


def challenge_issue() -> str:
    """A fresh challenge for the form: random, dated and signed, with its difficulty."""
    return signing.dumps(
        {"r": secrets.token_hex(16), "t": int(time.time()), "b": challenge_difficulty()},
        salt=_SALT,
        compress=False,
    )


def challenge_difficulty() -> int:
    """Leading zero bits asked of the next challenges."""
    return max(1, min(32, int(settings.REGISTRATION_CHALLENGE_BITS)))


def leading_zero_bits(challenge: str, nonce: str) -> int:
    digest = int.from_bytes(hashlib.sha256((challenge + nonce).encode()).digest(), "big")
    return 256 - digest.bit_length()


def challenge_verify(*, challenge: str, nonce: str) -> None:
    """Accept a solved challenge once. Raises ``ValidationError`` when it is missing,
    forged, expired, not solved, or already used."""
    missing = ValidationError(
        _(
            "Many registrations arrived in the last minutes, so this form now asks your "
            "browser for a short computation, which needs JavaScript. Enable it and submit "
            "again, come back in a few minutes, or call the town hall to be registered by "
            "phone."
        ),
        code="challenge_missing",
    )
    if not challenge or not nonce:
        raise missing
    try:
        payload = signing.loads(challenge[:500], salt=_SALT, max_age=CHALLENGE_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationError(
            _("The check of this form has expired: submit it again."), code="challenge_expired"
        ) from exc
    except signing.BadSignature as exc:
        raise missing from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("r"), str):
        raise missing
    bits = int(payload.get("b", challenge_difficulty()))
    if (
        len(nonce) > _NONCE_MAX_LENGTH
        or bits < challenge_difficulty()
        or leading_zero_bits(challenge, nonce) < bits
    ):
        raise ValidationError(
            _("The check of this form failed: submit it again."), code="challenge_wrong"
        )
    # The window is the challenge's own (from its issue time), so every use of it meets the
    # same counter however late it comes: a solved challenge cannot be replayed.
    used = rate_hit(
        f"signup:challenge:{payload['r']}",
        limit=1,
        window_seconds=2 * CHALLENGE_MAX_AGE,
        now=float(payload.get("t", 0)),
    )
    if not used.allowed:
        raise ValidationError(
            _("The check of this form was already used: submit it again."),
            code="challenge_reused",
        )
