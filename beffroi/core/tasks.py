"""Background tasks of the foundation."""

from __future__ import annotations

from django.conf import settings
from django.tasks import task  # type: ignore[import-not-found,unused-ignore]

from beffroi.core.audit import audit_events_purge


@task(queue_name="default")  # type: ignore[misc,unused-ignore]
def audit_purge() -> int:
    """Apply the audit trail's retention (AUDIT_RETENTION_DAYS); returns the count deleted."""
    return audit_events_purge(retention_days=settings.AUDIT_RETENTION_DAYS)
