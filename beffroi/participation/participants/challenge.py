"""A proof of work asked of SMS sign-ins when they come too fast.

The same scheme as the alerts sign-up form (``alerts/subscriptions/challenge.py``, whose
browser script ``alerts/js/signup_check.js`` this page reuses): past a number of code
requests from one address, or for the whole organisation, within the last minutes, the form
carries a challenge signed by the server and the browser must find a ``nonce`` such that
``sha256(challenge + nonce)`` starts with ``REGISTRATION_CHALLENGE_BITS`` zero bits — about
a second for a person, hours for a script asking for thousands of codes. Each challenge is
accepted once. Below the thresholds nothing is asked and the form works without JavaScript.

It is a module of its own rather than an import of the alerts one because a domain may use
another only through its services, selectors, access helpers and models
(``scripts/check_imports.py``); its counters are separate from the alerts sign-up's.
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

CHALLENGE_MAX_AGE = 600  # seconds: time enough to type a number
WINDOW_SECONDS = 600
_SALT = "beffroi.participation.sms-signin-challenge"
_NONCE_MAX_LENGTH = 32


def _keys(organisation: Organisation, client: str) -> list[tuple[str, int]]:
    return [
        (
            f"participation:sms-signin:client:{client}",
            int(settings.REGISTRATION_CHALLENGE_PER_CLIENT),
        ),
        (
            f"participation:sms-signin:org:{organisation.pk}",
            int(settings.REGISTRATION_CHALLENGE_PER_ORGANISATION),
        ),
    ]


def challenge_needed(*, organisation: Organisation, client: str) -> bool:
    """Whether the next code request from ``client`` must bring a proof of work (for the
    form to show; counts nothing)."""
    return any(
        limit and rate_peek(key, window_seconds=WINDOW_SECONDS) >= limit
        for key, limit in _keys(organisation, client)
    )


def signin_attempt(*, organisation: Organisation, client: str) -> bool:
    """Count one code request from ``client``; True when it must bring a proof of work."""
    needed = False
    for key, limit in _keys(organisation, client):
        if limit and not rate_hit(key, limit=limit, window_seconds=WINDOW_SECONDS).allowed:
            needed = True
    return needed


def challenge_difficulty() -> int:
    return max(1, min(32, int(settings.REGISTRATION_CHALLENGE_BITS)))


def challenge_issue() -> str:
    return signing.dumps(
        {"r": secrets.token_hex(16), "t": int(time.time()), "b": challenge_difficulty()},
        salt=_SALT,
        compress=False,
    )


def leading_zero_bits(challenge: str, nonce: str) -> int:
    digest = int.from_bytes(hashlib.sha256((challenge + nonce).encode()).digest(), "big")
    return 256 - digest.bit_length()


def challenge_verify(*, challenge: str, nonce: str) -> None:
    """Accept a solved challenge once; ``ValidationError`` (keyed ``number``) otherwise."""
    missing = ValidationError(
        {
            "number": [
                _(
                    "Many codes were asked for in the last minutes, so this form now asks "
                    "your browser for a short computation, which needs JavaScript. Enable it "
                    "and submit again, or come back in a few minutes."
                )
            ]
        }
    )
    if not challenge or not nonce:
        raise missing
    try:
        payload = signing.loads(challenge[:500], salt=_SALT, max_age=CHALLENGE_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationError(
            {"number": [_("The check of this form has expired: submit it again.")]}
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
        raise ValidationError({"number": [_("The check of this form failed: submit it again.")]})
    used = rate_hit(
        f"participation:sms-signin:challenge:{payload['r']}",
        limit=1,
        window_seconds=2 * CHALLENGE_MAX_AGE,
        now=float(payload.get("t", 0)),
    )
    if not used.allowed:
        raise ValidationError(
            {"number": [_("The check of this form was already used: submit it again.")]}
        )
