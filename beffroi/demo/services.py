"""Writes of the demo app: the outbox of the demo gateways."""

from __future__ import annotations

from beffroi.accounts.models import RoleAssignment
from beffroi.alerts.models import ChannelVerification, Delivery, Subscriber
from beffroi.demo.models import OutboxMessage
from beffroi.messaging.email import DELIVERY_HEADER
from beffroi.territory.models import Organisation


def _header(headers: str, name: str) -> str:
    prefix = f"{name.lower()}:"
    for line in headers.splitlines():
        if line.lower().startswith(prefix):
            return line[len(prefix) :].strip()
    return ""


def _organisation_id(*, channel: str, to: str, headers: str) -> int | None:
    """The commune whose resident this message was for, so each commune's outbox shows its
    own residents' messages only."""
    key = _header(headers, DELIVERY_HEADER)
    found: int | None = None
    if key.isdigit():
        found = (
            Delivery.objects.filter(pk=int(key))
            .values_list("alert__organisation", flat=True)
            .first()
        )
    elif key.startswith("verify-") and key[7:].isdigit():
        found = (
            ChannelVerification.objects.filter(pk=int(key[7:]))
            .values_list("subscriber__organisation", flat=True)
            .first()
        )
    if found is not None:
        return found
    subscribers = Subscriber.objects.order_by("-created_at", "-pk")
    if channel == OutboxMessage.Channel.EMAIL:
        subscribers = subscribers.filter(email__iexact=to)
    else:
        subscribers = subscribers.filter(sms_number=to)
    organisation_id = subscribers.values_list("organisation", flat=True).first()
    if organisation_id is None and channel == OutboxMessage.Channel.EMAIL:
        organisation_id = (
            RoleAssignment.objects.filter(user__email__iexact=to)
            .values_list("organisation", flat=True)
            .first()
        )
    if organisation_id is None:
        # Someone known nowhere yet (an account being created): the default commune is the
        # one that answers unknown visitors.
        organisation_id = (
            Organisation.objects.filter(is_default=True).values_list("pk", flat=True).first()
        )
    return organisation_id


def outbox_message_store(
    *, channel: str, sender: str, to: str, subject: str = "", headers: str = "", body: str = ""
) -> OutboxMessage:
    """Keep a message a demo gateway accepted (``to``: an address, or an E.164 number)."""
    return OutboxMessage.objects.create(
        organisation_id=_organisation_id(channel=channel, to=to, headers=headers),
        channel=channel,
        sender=sender[:254],
        to=to[:254],
        subject=subject[:500],
        headers=headers,
        body=body,
    )
