"""Second factor for powerful agents, enforced on the whole back office and admin."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from beffroi.accounts.access import is_verified, requires_two_factor

GUARDED_PREFIXES = ("/backoffice/", "/admin/")


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if (
            path.startswith(GUARDED_PREFIXES)
            and request.user.is_authenticated
            and (
                request.user.is_superuser
                or requires_two_factor(request.user, getattr(request, "organisation", None))
            )
            and not is_verified(request.user)
        ):
            return redirect(
                f"{reverse('accounts:two_factor')}?next={quote(request.get_full_path())}"
            )
        return self.get_response(request)
