"""Who is on the other end of a request, for the limits counted per client."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's IP address, as far as it can be trusted.

    Behind reverse proxies (``PROXY_COUNT``), the address is the one the outermost trusted
    proxy saw: the earlier hops of ``X-Forwarded-For`` are written by the client itself and
    would let anyone pick a fresh address for every request, and so escape every limit."""
    proxies = int(getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    address = str(request.META.get("REMOTE_ADDR", "") or "unknown")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            address = hops[-min(proxies, len(hops))]
    return address[:64]
