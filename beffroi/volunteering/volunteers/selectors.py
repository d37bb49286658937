"""Volunteer profiles: reads for the front desk."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from beffroi.core.phone import phone_search_key
from beffroi.territory.models import Organisation
from beffroi.volunteering.models import VolunteerProfile


def profiles_search(
    *, organisation: Organisation, query: str = "", state: str = ""
) -> QuerySet[VolunteerProfile]:
    """Profiles by name, e-mail or phone (typed any usual way); ``state``: "active",
    "paused" or all."""
    profiles = VolunteerProfile.objects.filter(organisation=organisation)
    if state == "active":
        profiles = profiles.filter(active=True)
    elif state == "paused":
        profiles = profiles.filter(active=False)
    query = query.strip()
    if query:
        condition = Q(full_name__icontains=query) | Q(email__icontains=query)
        phone = phone_search_key(query)
        if phone:
            condition |= Q(phone__contains=phone)
        profiles = profiles.filter(condition)
    return profiles.order_by("full_name", "pk")
