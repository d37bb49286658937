"""Tokens for API tests, made like the accounts service makes them (only the hash stored)."""

from __future__ import annotations

import secrets

from beffroi.accounts.models import ApiToken, User
from beffroi.territory.models import Organisation


def make_token(user: User, organisation: Organisation, name: str = "test") -> str:
    prefix = secrets.token_hex(4)
    # Letters and digits, like the service: "_" separates the parts of a token.
    key = f"bf_{prefix}_{secrets.token_hex(20)}"
    ApiToken.objects.create(
        user=user,
        organisation=organisation,
        name=name,
        prefix=prefix,
        key_hash=ApiToken.hash_key(key),
    )
    return key


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}
