"""Bearer-token authentication of agents' scripts on the API.

A token reads ``bf_<prefix>_<secret>``; only its SHA-256 is stored (``ApiToken.hash_key``), so
a leaked database does not leak usable tokens. A token works only on the host of the
organisation it was issued for, and only while its owner is still an active agent there: an
agent who leaves the commune loses API access with their role, without anyone having to
remember to revoke the token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from beffroi.accounts.access import is_agent
from beffroi.accounts.models import ApiToken, User
from beffroi.api.ratelimit import check_rate_limit

TOKEN_PREFIX = "bf_"  # noqa: S105 — a format marker, not a secret
# Longer strings are not tokens we issued; refusing them early avoids hashing megabytes.
MAX_TOKEN_LENGTH = 200
# Writing last_used_at on every call would turn each API read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)


def _looks_like_token(token: str) -> bool:
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return False
    parts = token.split("_")
    return len(parts) >= 3 and all(parts[1:]) and token.isascii()


def token_user(request: HttpRequest, token: str) -> User | None:
    """The active agent owning ``token`` for the request's organisation, else None."""
    token = token.strip()
    if not _looks_like_token(token):
        return None
    organisation = getattr(request, "organisation", None)
    if organisation is None:
        return None
    now = timezone.now()
    api_token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(token), revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if api_token is None or api_token.organisation_id != organisation.pk:
        return None
    user = api_token.user
    if not user.is_active or user.erased_at is not None or not is_agent(user, organisation):
        return None
    # Conditional update: concurrent requests write at most once per minute between them.
    ApiToken.objects.filter(pk=api_token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
    ).update(last_used_at=now)
    return user


class AgentToken(HttpBearer):
    """``Authorization: Bearer bf_…`` of an agent of the request's organisation."""

    def __call__(self, request: HttpRequest) -> Any:
        # Before any lookup: guessing tokens must cost the guesser their request budget.
        check_rate_limit(request)
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_user(request, token)
        if user is None:
            return None
        request.user = user
        return user


agent_token = AgentToken()
