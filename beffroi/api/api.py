"""The public and agents' API, mounted at /api/v1/ (OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

from ninja import NinjaAPI

import beffroi

api = NinjaAPI(
    title="Beffroi API",
    version=beffroi.__version__,
    description="Territory, alerts, participation and volunteering of a Beffroi installation.",
    urls_namespace="api",
)
