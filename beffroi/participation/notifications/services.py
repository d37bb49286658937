"""Notifications: created here by every participation area, shown in the app, e-mailed at
once or in a digest according to each person's settings."""

from __future__ import annotations

from collections.abc import Iterable

from beffroi.participation.models import Notification, Participant


def notify(
    *,
    recipients: Iterable[Participant],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    exclude: Participant | None = None,
) -> int:
    """One notification per recipient (each once, ``exclude`` — usually the person who
    acted — left out, erased and blocked people too). Plain text: escaped where shown.
    Returns how many were created."""
    seen: set[int] = set()
    rows = []
    for participant in recipients:
        if participant.pk in seen or (exclude is not None and participant.pk == exclude.pk):
            continue
        if participant.erased_at is not None:
            continue
        seen.add(participant.pk)
        rows.append(
            Notification(
                organisation_id=participant.organisation_id,
                recipient=participant,
                kind=kind,
                title=title[:300],
                body=body,
                url=url[:300],
            )
        )
    Notification.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
