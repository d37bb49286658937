"""How django-axes names the account a login attempt is for."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The e-mail typed in the login form, lower-cased.

    Axes would look for an "email" key (the user model's USERNAME_FIELD) that the login
    form never sends, and count every failure under no name at all; and without lower-casing,
    "Alice@…" and "alice@…" would each get their own five attempts.
    """
    value = (credentials or {}).get("username")
    if value is None:
        value = request.POST.get("username")
    if not value:
        return None
    return str(value).strip().lower()
