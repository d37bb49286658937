"""A proof of work asked of anonymous forms that cost money or reach a person (an SMS code)
when they come too fast.

A script that submits such a form by the thousand costs its author nothing; a person submits
it once. So when the submissions from one address, or for the whole organisation, pass a
threshold within the last minutes, the form carries a challenge signed by the server (random,
valid a few minutes) and the browser must find a ``nonce`` such that
``sha256(challenge + nonce)`` starts with ``REGISTRATION_CHALLENGE_BITS`` zero bits: about a
second for one person, hours for a thousand submissions. Each challenge is accepted once.
Below the thresholds nothing is asked, and the form works without JavaScript. The browser
side is ``alerts/js/signup_check.js``.

Each form has its own ``ProofOfWork`` (salt and counters), so that a rush on one does not
make the other ask for work.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from beffroi.core.ratelimit import rate_hit, rate_peek

CHALLENGE_MAX_AGE = 600  # seconds: time enough to fill in a form
WINDOW_SECONDS = 600  # "the last minutes" over which submissions are counted
# Nonces are short decimal strings; anything longer is not from our script.
_NONCE_MAX_LENGTH = 32


def challenge_difficulty() -> int:
    """Leading zero bits asked of the next challenges."""
    return max(1, min(32, int(settings.REGISTRATION_CHALLENGE_BITS)))


def leading_zero_bits(challenge: str, nonce: str) -> int:
    digest = int.from_bytes(hashlib.sha256((challenge + nonce).encode()).digest(), "big")
    return 256 - digest.bit_length()


@dataclass(frozen=True)
class ProofOfWork:
    # Signing salt and counter prefix: one per form.
    salt: str
    prefix: str
    # The translated message when the challenge is needed and missing (read at each use).
    missing_message: Callable[[], str]

    def _keys(self, organisation_id: int, client: str) -> list[tuple[str, int]]:
        return [
            (f"{self.prefix}:client:{client}", int(settings.REGISTRATION_CHALLENGE_PER_CLIENT)),
            (
                f"{self.prefix}:org:{organisation_id}",
                int(settings.REGISTRATION_CHALLENGE_PER_ORGANISATION),
            ),
        ]

    def needed(self, *, organisation_id: int, client: str) -> bool:
        """Whether the next submission from ``client`` must bring a proof of work (for the
        form to show; counts nothing)."""
        return any(
            limit and rate_peek(key, window_seconds=WINDOW_SECONDS) >= limit
            for key, limit in self._keys(organisation_id, client)
        )

    def attempt(self, *, organisation_id: int, client: str) -> bool:
        """Count one submission from ``client``; True when it must bring a proof of work
        (a threshold is passed, this submission included)."""
        needed = False
        for key, limit in self._keys(organisation_id, client):
            if limit and not rate_hit(key, limit=limit, window_seconds=WINDOW_SECONDS).allowed:
                needed = True
        return needed

    def issue(self) -> str:
        """A fresh challenge for the form: random, dated and signed, with its difficulty."""
        return signing.dumps(
            {"r": secrets.token_hex(16), "t": int(time.time()), "b": challenge_difficulty()},
            salt=self.salt,
            compress=False,
        )

    def verify(self, *, challenge: str, nonce: str) -> None:
        """Accept a solved challenge once. ``ValidationError`` (codes challenge_missing,
        _expired, _wrong, _reused) when it is missing, forged, expired, not solved, or
        already used."""
        missing = ValidationError(self.missing_message(), code="challenge_missing")
        if not challenge or not nonce:
            raise missing
        try:
            payload = signing.loads(challenge[:500], salt=self.salt, max_age=CHALLENGE_MAX_AGE)
        except signing.SignatureExpired as exc:
            raise ValidationError(
                _("The check of this form has expired: submit it again."),
                code="challenge_expired",
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
        # The window is the challenge's own (from its issue time), so every use of it meets
        # the same counter however late it comes: a solved challenge cannot be replayed.
        used = rate_hit(
            f"{self.prefix}:challenge:{payload['r']}",
            limit=1,
            window_seconds=2 * CHALLENGE_MAX_AGE,
            now=float(payload.get("t", 0)),
        )
        if not used.allowed:
            raise ValidationError(
                _("The check of this form was already used: submit it again."),
                code="challenge_reused",
            )
