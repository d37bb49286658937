"""Registration hooks of the notifications area: the digests' periodic job."""

from __future__ import annotations


def register() -> None:
    from beffroi.core.periodic import PeriodicJob, register_periodic
    from beffroi.participation.notifications.services import notifications_digests_send

    # Digests leave at their hour; the same run retries "at once" e-mails still unsent.
    register_periodic(
        PeriodicJob("participation-digests", 600, lambda: notifications_digests_send())
    )
