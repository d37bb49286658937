"""Registration hooks of the participants area: GDPR export and erasure of participation."""

from __future__ import annotations


def register() -> None:
    from beffroi.accounts import gdpr
    from beffroi.participation.participants import services

    gdpr.register_exporter("participation", services.export_participation)
    gdpr.register_eraser("participation", services.erase_participation)
    # People who took part with an SMS code are erased with their alert registration.
    from beffroi.alerts.subscriptions.services import subscriber_eraser_register

    subscriber_eraser_register(services.erase_participation_of_subscriber)
