"""Writes of the demo app: the outbox of the demo gateways."""

from __future__ import annotations

import contextlib

import smpplib.client  # type: ignore[import-untyped]
import smpplib.exceptions  # type: ignore[import-untyped]
import smpplib.smpp  # type: ignore[import-untyped]
from django.utils.translation import gettext as _

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
    *,
    channel: str,
    sender: str,
    to: str,
    subject: str = "",
    headers: str = "",
    body: str = "",
    inbound: bool = False,
) -> OutboxMessage:
    """Keep a message a demo gateway accepted (``to``: an address, or an E.164 number), or a
    resident's reply (``inbound``: ``sender`` is the resident's number)."""
    resident = sender if inbound else to
    return OutboxMessage.objects.create(
        organisation_id=_organisation_id(channel=channel, to=resident, headers=headers),
        inbound=inbound,
        channel=channel,
        sender=sender[:254],
        to=to[:254],
        subject=subject[:500],
        headers=headers,
        body=body,
    )


class ReplyRefused(Exception):
    """The reply could not be handed over; ``str()`` says why, translated."""


# A reply is one SMS of UCS-2 text, as most phones send accented French.
REPLY_MAX_CHARS = 70


def outbox_reply_send(*, message: OutboxMessage, text: str) -> None:
    """The resident who received ``message`` answers it from the outbox's phone: the reply is
    submitted to the demo SMSC as a mobile-originated SMS, which hands it to the running
    ``smpp_receiver`` like an operator would; the reply handlers ("STOP", a call-out's
    "OUI" / "NON") then act on it as in production."""
    from django.conf import settings

    from beffroi.demo.constants import NO_RECEIVER, PHONE_SYSTEM_ID, SMPP_SOURCE
    from beffroi.messaging.sms_smpp import SmppConfig

    text = text.strip()
    if not text:
        raise ReplyRefused(_("Write the reply."))
    if len(text) > REPLY_MAX_CHARS:
        raise ReplyRefused(
            _("A reply is at most %(count)s characters.") % {"count": REPLY_MAX_CHARS}
        )
    if message.channel != OutboxMessage.Channel.SMS or message.inbound:
        raise ReplyRefused(_("Only an SMS a resident received can be answered."))
    config = SmppConfig.from_url(settings.SMPP_URL)
    client = smpplib.client.Client(config.host, config.port, timeout=5)
    try:
        client.connect()
        client.bind_transmitter(system_id=PHONE_SYSTEM_ID, password="")
        client.send_pdu(
            smpplib.smpp.make_pdu(
                "submit_sm",
                client=client,
                source_addr_ton=1,
                source_addr_npi=1,
                source_addr=message.to.lstrip("+"),
                dest_addr_ton=5,
                dest_addr_npi=0,
                destination_addr=SMPP_SOURCE,
                data_coding=8,
                short_message=text.encode("utf-16-be"),
            )
        )
        response = client.read_pdu()
    except (OSError, smpplib.exceptions.PDUError, smpplib.exceptions.ConnectionError) as exc:
        raise ReplyRefused(_("The demo SMS gateway does not answer.")) from exc
    finally:
        with contextlib.suppress(Exception):
            client.unbind()
        with contextlib.suppress(Exception):
            client.disconnect()
    if response.status == NO_RECEIVER:
        raise ReplyRefused(
            _("No SMS receiver is running: start “beffroi smpp_receiver” (make run starts it).")
        )
    if response.status != 0:
        raise ReplyRefused(_("The demo SMS gateway refused the reply."))
