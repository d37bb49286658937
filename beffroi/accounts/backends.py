"""The account behind a signed-in session, read at every request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from beffroi.accounts.models import User
from beffroi.core.rows import row


class AccountBackend(ModelBackend):
    """Django's ``ModelBackend`` (password sign-in, permissions), whose ``get_user`` — every
    request of a signed-in person — reads the account with one fixed statement instead of
    building the query each time (``core.rows``). The same checks follow: an inactive
    account is no one."""

    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        try:
            pk = User._meta.pk.to_python(user_id)  # type: ignore[union-attr]
        except ValidationError:  # a session's value that is no account id: no one
            return None
        user = row(User, "id = %s", [pk])
        if user is None or not self.user_can_authenticate(user):
            return None
        return user
