"""Background work of the territory: fetch by id, call a service."""

from __future__ import annotations

from django.tasks import task

from beffroi.territory.models import Zone
from beffroi.territory.services import zone_memberships_refresh


@task(queue_name="default")
def zone_memberships_refresh_task(zone_id: int) -> int:
    """Recompute a zone's addresses; a zone deleted meanwhile has nothing to refresh."""
    zone = Zone.objects.filter(pk=zone_id).first()
    if zone is None:
        return 0
    return zone_memberships_refresh(zone=zone)
