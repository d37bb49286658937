"""Resolve the organisation (tenant) of each request from its host name."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from beffroi.territory.selectors import organisation_for_host

_TTL_SECONDS = 30.0
_NO_ORGANISATION_PATHS = ("/tiles/",)
_cache: dict[str, tuple[float, int | None]] = {}


def clear_organisation_cache() -> None:
    _cache.clear()


class OrganisationMiddleware:
    """Sets ``request.organisation``: the organisation claiming the host, else the default.

    The host → id answer is cached for a few seconds per process; the organisation itself is
    loaded on each request so that settings edited by an administrator apply at once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(_NO_ORGANISATION_PATHS):
            # Map tiles come by dozens at once and need no tenant: no database query.
            request.organisation = None  # type: ignore[attr-defined]
            return self.get_response(request)
        host = request.get_host().rsplit(":", 1)[0].lower()
        now = time.monotonic()
        cached = _cache.get(host)
        organisation = None
        if cached and cached[0] > now and cached[1] is not None:
            from beffroi.territory.models import Organisation

            organisation = Organisation.objects.filter(pk=cached[1]).first()
        if organisation is None:
            organisation = organisation_for_host(host)
            _cache[host] = (now + _TTL_SECONDS, organisation.pk if organisation else None)
        request.organisation = organisation  # type: ignore[attr-defined]
        return self.get_response(request)
