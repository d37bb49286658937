"""What becomes of what gateways send back: delivery receipts and residents' replies.

Messaging knows no domain, yet a receipt must reach the delivery it reports on and a "STOP"
must reach the subscriptions. Domains register a handler from their ``AppConfig.ready``;
transports and receivers hand every receipt and inbound message to the handlers of its
channel. A handler that fails is logged and the others still run: one domain's bug must not
lose another's receipts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from beffroi.messaging.base import Receipt

__all__ = [
    "inbound_handler_register",
    "inbound_route",
    "receipt_handler_register",
    "receipts_route",
]

logger = logging.getLogger(__name__)

ReceiptHandler = Callable[[Receipt, str], object]  # (receipt, channel)
InboundHandler = Callable[[str, str, str], object]  # (sender E.164, text, channel)

_receipt_handlers: list[ReceiptHandler] = []
_inbound_handlers: list[InboundHandler] = []


def receipt_handler_register(handler: ReceiptHandler) -> None:
    if handler not in _receipt_handlers:
        _receipt_handlers.append(handler)


def inbound_handler_register(handler: InboundHandler) -> None:
    if handler not in _inbound_handlers:
        _inbound_handlers.append(handler)


def receipts_route(receipt: Receipt, channel: str) -> None:
    for handler in list(_receipt_handlers):
        try:
            handler(receipt, channel)
        except Exception:
            logger.exception("Receipt handler %r failed on %r", handler, receipt)


def inbound_route(sender: str, text: str, channel: str) -> None:
    for handler in list(_inbound_handlers):
        try:
            handler(sender, text, channel)
        except Exception:
            logger.exception("Inbound handler %r failed on a message from %s", handler, sender)
