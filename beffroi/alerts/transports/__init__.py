"""Channel transports (e-mail over SMTP, SMS over SMPP or an HTTP provider).

``get_transport(kind)`` builds one from settings; ``with transport: transport.send_many(...)``
sends a batch over one connection and returns one ``Outcome`` per message.
"""

from beffroi.alerts.transports.base import (
    TRANSPORTS,
    EmailOut,
    Outcome,
    Receipt,
    SmsOut,
    Throttle,
    Transport,
    TransportError,
    get_sms_transport,
    get_transport,
)
from beffroi.alerts.transports.email import Bounce, SmtpTransport, parse_bounce
from beffroi.alerts.transports.sms_http import HttpSmsTransport, parse_http_sms_webhook
from beffroi.alerts.transports.sms_smpp import SmppReceiver, SmppTransport, parse_delivery_receipt

__all__ = [
    "TRANSPORTS",
    "Bounce",
    "EmailOut",
    "HttpSmsTransport",
    "Outcome",
    "Receipt",
    "SmppReceiver",
    "SmppTransport",
    "SmsOut",
    "SmtpTransport",
    "Throttle",
    "Transport",
    "TransportError",
    "get_sms_transport",
    "get_transport",
    "parse_bounce",
    "parse_delivery_receipt",
    "parse_http_sms_webhook",
]
