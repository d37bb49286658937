"""The alerts' panel of the residents' "My neighbourhood" page (``territory.panels``): the
alerts in force at the address, and a link to register for alerts there."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from beffroi.alerts.public.selectors import AlertThread, current_threads
from beffroi.territory.models import Address


def threads_at_address(*, address: Address) -> list[AlertThread]:
    """The threads in force whose latest message targets ``address``: the whole territory,
    or a zone the address lies in (the stored memberships alert targeting uses)."""
    zone_ids = set(address.zones.values_list("pk", flat=True))
    return [
        thread
        for thread in current_threads(organisation=address.organisation)
        if thread.latest.whole_territory
        or zone_ids.intersection(zone.pk for zone in thread.latest.zones.all())
    ]


def address_panel_context(request: HttpRequest, address: Address) -> dict[str, Any]:
    return {
        "threads": threads_at_address(address=address),
        "register_url": reverse("subscriptions:register")
        + "?"
        + urlencode({"address": address.pk}),
    }
