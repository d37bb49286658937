"""Which transport serves which channel: the one table to extend when a channel is added.

Transports are named by dotted path and imported on first use, so that importing the types
(``beffroi.messaging.base``) never loads smpplib or the SMTP code, and a transport module can
import ``base`` without a loop. A channel ("email", "sms") is served by one transport kind;
for SMS the installation chooses the kind with the ``SMS_TRANSPORT`` setting.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from beffroi.messaging.base import Transport

__all__ = [
    "TRANSPORTS",
    "get_sms_transport",
    "get_transport",
    "kind_for_channel",
    "transport_class",
]

# Transport kind → dotted path of its class (each kind's ``from_settings`` reads its settings).
TRANSPORTS: dict[str, str] = {
    "smtp": "beffroi.messaging.email.SmtpTransport",
    "smpp": "beffroi.messaging.sms_smpp.SmppTransport",
    "http_sms": "beffroi.messaging.sms_http.HttpSmsTransport",
}


def kind_for_channel(channel: str) -> str:
    """The transport kind that carries ``channel`` on this installation."""
    if channel == "email":
        return "smtp"
    if channel == "sms":
        return str(settings.SMS_TRANSPORT)
    raise ValueError(f"No transport carries the channel {channel!r}.")


def transport_class(kind: str) -> type[Transport]:
    try:
        path = TRANSPORTS[kind]
    except KeyError:
        known = ", ".join(sorted(TRANSPORTS))
        raise ValueError(f"Unknown transport kind {kind!r} (known: {known}).") from None
    cls: type[Transport] = import_string(path)
    return cls


def get_transport(kind: str) -> Transport:
    """A transport of ``kind`` ("smtp", "smpp", "http_sms") configured from settings."""
    return transport_class(kind).from_settings()


def get_sms_transport() -> Transport:
    """The SMS transport chosen by the ``SMS_TRANSPORT`` setting."""
    return get_transport(kind_for_channel("sms"))
