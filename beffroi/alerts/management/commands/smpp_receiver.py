"""``beffroi smpp_receiver``: keep a receiver bind open to the SMSC (long-running).

Delivery receipts move SMS deliveries from "sent" to "delivered" or "failed"; residents'
replies go to every registered reply handler: "STOP" unsubscribes the number, "OUI" / "NON"
answers a call-out for volunteers. Run it beside the workers (systemd, supervisor).
"""

from __future__ import annotations

import queue
import signal
import threading
import time
from argparse import ArgumentParser
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from beffroi.alerts.dispatch.services import delivery_receipt_apply
from beffroi.messaging.base import Receipt
from beffroi.messaging.handlers import inbound_route
from beffroi.messaging.sms_smpp import SmppConfig, SmppReceiver

# A receipt can arrive before the worker has written "sent" and the provider id (the SMSC
# answers submit_sm, then reports delivery within milliseconds): keep it and try again.
UNMATCHED_RETRY_SECONDS = 1.0
UNMATCHED_KEEP_SECONDS = 120.0


@dataclass
class _Unmatched:
    receipt: Receipt
    give_up_at: float


class ReceiptListener:
    """The receiver thread only queues what arrives; the database is written on the
    caller's thread, in ``process``."""

    def __init__(self, config: SmppConfig, *, bind: str = "receiver") -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.stop_event = threading.Event()
        self.receiver = SmppReceiver(
            config,
            on_receipt=lambda receipt: self.events.put(("receipt", receipt)),
            on_inbound=lambda sender, text: self.events.put(("inbound", (sender, text))),
            stop_event=self.stop_event,
            bind=bind,
            reconnect_delay=2.0,
        )
        self.unmatched: deque[_Unmatched] = deque()
        self.applied = 0
        self.replies = 0
        self.dropped = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.receiver.run, name="smpp-receiver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _receipt(self, receipt: Receipt) -> None:
        if delivery_receipt_apply(receipt=receipt):
            self.applied += 1
        else:
            self.unmatched.append(_Unmatched(receipt, time.monotonic() + UNMATCHED_KEEP_SECONDS))

    def _retry_unmatched(self) -> None:
        now = time.monotonic()
        for _ in range(len(self.unmatched)):
            item = self.unmatched.popleft()
            if delivery_receipt_apply(receipt=item.receipt):
                self.applied += 1
            elif item.give_up_at > now:
                self.unmatched.append(item)
            else:
                # Receipts of the 2nd…nth part of a long SMS, or of another application
                # sharing the account: nothing to update.
                self.dropped += 1

    def process(self, *, until: Callable[[], bool], poll: float = 0.2) -> None:
        """Apply queued events until ``until()`` is true."""
        last_retry = time.monotonic()
        while not until():
            try:
                kind, payload = self.events.get(timeout=poll)
            except queue.Empty:
                kind, payload = "", None
            if kind == "receipt":
                self._receipt(payload)
            elif kind == "inbound":
                sender, text = payload
                # Every handler sees every reply (the alerts' "STOP", the call-outs'
                # "OUI" / "NON"), as on a sending session.
                inbound_route(sender, text, "sms")
                self.replies += 1
            if self.unmatched and time.monotonic() - last_retry >= UNMATCHED_RETRY_SECONDS:
                self._retry_unmatched()
                last_retry = time.monotonic()
            # A long-running loop must drop dead or expired connections, but never the one
            # of an enclosing transaction (a caller's atomic block, or a test's).
            if not connection.in_atomic_block:
                close_old_connections()


class Command(BaseCommand):
    help = (
        "Receive SMS delivery receipts and residents' replies from the SMSC (runs until stopped)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--bind",
            choices=["receiver", "transceiver"],
            default="receiver",
            help="Bind type (some SMSCs deliver receipts only to a transceiver bind).",
        )
        parser.add_argument(
            "--seconds", type=float, default=0, help="Stop after this many seconds (0: never)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        listener = ReceiptListener(SmppConfig.from_url(settings.SMPP_URL), bind=options["bind"])

        def stop(signum: int, frame: FrameType | None) -> None:
            listener.stop_event.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        deadline = time.monotonic() + options["seconds"] if options["seconds"] else None
        listener.start()
        self.stdout.write("SMPP receiver started.")
        try:
            listener.process(
                until=lambda: (
                    listener.stop_event.is_set()
                    or (deadline is not None and time.monotonic() >= deadline)
                )
            )
        finally:
            listener.stop()
        self.stdout.write(
            f"Receipts applied: {listener.applied}; unmatched dropped: {listener.dropped}; "
            f"replies handled: {listener.replies}."
        )
