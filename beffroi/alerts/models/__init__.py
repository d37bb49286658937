"""Alerts: who is registered to be warned, the vulnerable persons registry, alerts and their
per-recipient deliveries.

The audience of an alert is a join: ``Place`` (a subscriber's address) → territory
``ZoneMembership`` (precomputed) → the alert's target zones, filtered by topic and channel.
"""

from beffroi.alerts.models.alerts import (
    Alert,
    AlertTemplate,
    AlertTransition,
    AlertTranslation,
    CapFields,
)
from beffroi.alerts.models.dispatch import Delivery
from beffroi.alerts.models.registry import VulnerablePerson
from beffroi.alerts.models.subscriptions import (
    Channel,
    ChannelVerification,
    Place,
    Subscriber,
    SubscriberImport,
    Topic,
    _token,
)

__all__ = [
    "Alert",
    "AlertTemplate",
    "AlertTransition",
    "AlertTranslation",
    "CapFields",
    "Channel",
    "ChannelVerification",
    "Delivery",
    "Place",
    "Subscriber",
    "SubscriberImport",
    "Topic",
    "VulnerablePerson",
    "_token",
]
