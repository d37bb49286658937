from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from beffroi.accounts.access import is_agent
from beffroi.core.sections import visible_sections


def beffroi(request: HttpRequest) -> dict[str, Any]:
    organisation = getattr(request, "organisation", None)
    return {
        "organisation": organisation,
        "sections": visible_sections(request),
        "is_agent": is_agent(request.user, organisation) if hasattr(request, "user") else False,
        "TILE_URL": settings.TILE_URL,
        "TILE_ATTRIBUTION": settings.TILE_ATTRIBUTION,
    }
