"""A per-client request budget for the API.

A fixed one-minute window per client address, counted with ``beffroi.core.ratelimit``: one
atomic increment per request in the database (or Redis when configured), shared by every
process, so that sixteen clients at once cannot all pass (the cache's get-then-set let 900
requests through a limit of 300). It tells the client exactly when to come back
(``Retry-After``), and runs before token authentication too, so guessing tokens is
throttled by the same counter.
"""

from __future__ import annotations

import math
import threading

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import Throttled
from ninja.throttling import BaseThrottle

from beffroi.core.clients import client_address
from beffroi.core.ratelimit import rate_hit

WINDOW_SECONDS = 60
_CHECKED = "_beffroi_rate_wait"


def rate_limit_wait(request: HttpRequest) -> float | None:
    """Count this request once; seconds to wait when over the budget, else None."""
    if hasattr(request, _CHECKED):
        wait: float | None = getattr(request, _CHECKED)
        return wait
    limit = int(getattr(settings, "API_RATE_LIMIT_PER_MINUTE", 300))
    decision = rate_hit(
        f"api:{client_address(request)}", limit=limit, window_seconds=WINDOW_SECONDS
    )
    result = None if decision.allowed else decision.retry_after
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
