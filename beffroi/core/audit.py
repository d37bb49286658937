"""Write to the audit trail. Every sensitive read or transition calls ``audit_record``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.http import HttpRequest

from beffroi.core.models import AuditEvent

if TYPE_CHECKING:
    from beffroi.accounts.models import User
    from beffroi.territory.models import Organisation


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    ip = request.META.get("REMOTE_ADDR")
    return str(ip) if ip else None


def audit_record(
    *,
    action: str,
    organisation: Organisation | None,
    actor: User | None = None,
    target: models.Model | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        organisation=organisation,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor.email if actor is not None and actor.pk else "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        reason=reason,
        data=data or {},
        ip_address=client_ip(request),
    )
