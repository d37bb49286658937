"""Resolve the organisation (tenant) of each request from its host name."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from beffroi.territory.selectors import organisation_for_host

if TYPE_CHECKING:
    from beffroi.territory.models import Organisation

_TTL_SECONDS = 30.0
# Longest an organisation read from the cache may lag behind a change that bypassed save()
# (a queryset update()): saves and deletes empty the entry at once.
ORGANISATION_CACHE_SECONDS = 60
_NO_ORGANISATION_PATHS = ("/tiles/",)
_cache: dict[str, tuple[float, int | None]] = {}


def clear_organisation_cache() -> None:
    _cache.clear()


def _organisation_key(pk: int) -> str:
    return f"territory:organisation:{pk}"


def organisation_cached(pk: int) -> Organisation | None:
    """The organisation, from the shared cache (the file cache, or Redis): every request
    needs it, and it changes rarely. Saving or deleting one empties its entry once the
    transaction commits (``organisation_forget``), for every process at once."""
    from beffroi.territory.models import Organisation

    key = _organisation_key(pk)
    organisation: Organisation | None = cache.get(key)
    if organisation is None:
        organisation = Organisation.objects.filter(pk=pk).first()
        if organisation is not None:
            cache.set(key, organisation, ORGANISATION_CACHE_SECONDS)
    return organisation


def organisation_forget(pk: int) -> None:
    transaction.on_commit(lambda: cache.delete(_organisation_key(pk)))


class OrganisationMiddleware:
    """Sets ``request.organisation``: the organisation claiming the host, else the default.

    The host → id answer is cached for a few seconds per process; the organisation itself
    comes from the shared cache, emptied when it is saved, so that settings edited by an
    administrator apply at once.
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
            organisation = organisation_cached(cached[1])
        if organisation is None:
            organisation = organisation_for_host(host)
            _cache[host] = (now + _TTL_SECONDS, organisation.pk if organisation else None)
            if organisation is not None:
                cache.set(
                    _organisation_key(organisation.pk), organisation, ORGANISATION_CACHE_SECONDS
                )
        request.organisation = organisation  # type: ignore[attr-defined]
        return self.get_response(request)
