"""Write to the audit trail. Every sensitive read or transition calls ``audit_record``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.http import HttpRequest

from beffroi.core.models import ERASED_ACTOR_LABEL, AuditEvent

__all__ = ["ERASED_ACTOR_LABEL", "audit_actor_forget", "audit_events_purge", "audit_record"]


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    ip = request.META.get("REMOTE_ADDR")
    return str(ip) if ip else None


def audit_record(
    *,
    action: str,
    organisation: models.Model | None,
    actor: AbstractBaseUser | None = None,
    target: models.Model | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    # Ids rather than instances: the trail sits below the apps that define organisations and
    # users, and records any of them (an unsaved actor is the system).
    known_actor = actor is not None and actor.pk is not None
    return AuditEvent.objects.create(
        organisation_id=organisation.pk if organisation is not None else None,
        actor_id=actor.pk if known_actor and actor is not None else None,
        actor_label=actor.get_username() if known_actor and actor is not None else "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        reason=reason,
        data=data or {},
        ip_address=client_ip(request),
    )


def _scrub(value: Any, identifiers: Sequence[str]) -> Any:
    if isinstance(value, str):
        lowered = value.lower()
        return ERASED_ACTOR_LABEL if any(i in lowered for i in identifiers) else value
    if isinstance(value, dict):
        return {key: _scrub(item, identifiers) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, identifiers) for item in value]
    return value


def audit_actor_forget(*, actor_id: int, identifiers: Sequence[str]) -> int:
    """After an account's erasure: its events keep what was done and when, but no longer
    who by name (``actor_label`` becomes ERASED_ACTOR_LABEL), and no event's data or reason
    keeps one of ``identifiers`` (the e-mail address). Returns how many events changed.

    Call inside the erasure's atomic block."""
    from django.db.models import Q, TextField
    from django.db.models.functions import Cast

    wanted = [i.strip().lower() for i in identifiers if i and i.strip()]
    changed = AuditEvent.objects.filter(actor_id=actor_id).update(actor_label=ERASED_ACTOR_LABEL)
    if not wanted:
        return changed
    labelled = Q()
    mentions = Q()
    for identifier in wanted:
        labelled |= Q(actor_label__iexact=identifier)
        mentions |= Q(data_text__icontains=identifier) | Q(reason__icontains=identifier)
    changed += AuditEvent.objects.filter(labelled).update(actor_label=ERASED_ACTOR_LABEL)
    events = AuditEvent.objects.annotate(data_text=Cast("data", TextField())).filter(mentions)
    for event in events:
        event.data = _scrub(event.data, wanted)
        event.reason = _scrub(event.reason, wanted)
        event.save(update_fields=["data", "reason"])
        changed += 1
    return changed


def audit_events_purge(*, retention_days: int) -> int:
    """Delete audit events older than ``retention_days``; return how many were deleted.

    The only deletion of the trail: it must not grow without bound, yet must be kept long
    enough to answer a resident's or a judge's question years later (AUDIT_RETENTION_DAYS).
    """
    from datetime import timedelta

    from django.utils import timezone

    if retention_days < 1:
        raise ValueError("retention_days must be at least 1.")
    cutoff = timezone.now() - timedelta(days=retention_days)
    deleted, _by_model = AuditEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted
