"""A per-client request budget for the API, kept in Django's cache.

A fixed one-minute window per client address: cheap (one ``add`` and one ``incr`` per
request, atomic on Redis), shared by every process through the configured cache, and it
tells the client exactly when to come back (``Retry-After``). It runs before token
authentication too, so guessing tokens is throttled like everything else.
"""

from __future__ import annotations

import math
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.errors import Throttled
from ninja.throttling import BaseThrottle

WINDOW_SECONDS = 60
_CHECKED = "_beffroi_rate_wait"


def _client_key(request: HttpRequest) -> str:
    # Behind a reverse proxy, PROXY_COUNT tells how many X-Forwarded-For hops to trust.
    proxies = int(getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    address = str(request.META.get("REMOTE_ADDR", "") or "unknown")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            address = hops[-min(proxies, len(hops))]
    return address[:64]


def rate_limit_wait(request: HttpRequest) -> float | None:
    """Count this request once; seconds to wait when over the budget, else None."""
    if hasattr(request, _CHECKED):
        wait: float | None = getattr(request, _CHECKED)
        return wait
    limit = int(getattr(settings, "API_RATE_LIMIT_PER_MINUTE", 300))
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"api-rate:{_client_key(request)}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:
        # The key expired between add and incr: this request opens a new window.
        cache.set(key, 1, timeout=WINDOW_SECONDS + 5)
        count = 1
    result: float | None = None
    if limit and count > limit:
        result = max(1.0, (window + 1) * WINDOW_SECONDS - now)
    setattr(request, _CHECKED, result)
    return result


def check_rate_limit(request: HttpRequest) -> None:
    """Raise ``Throttled`` when the client is over its budget."""
    wait = rate_limit_wait(request)
    if wait is not None:
        raise Throttled(wait=math.ceil(wait))


class ApiRateThrottle(BaseThrottle):
    """The same budget for ninja's throttle hook (public endpoints have no auth step)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        wait = rate_limit_wait(request)
        self._local.wait = wait
        return wait is None

    def wait(self) -> float | None:
        wait: float | None = getattr(self._local, "wait", None)
        return wait
