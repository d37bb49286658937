"""The demo's own SMTP server and SMSC, on loopback: every message lands in the outbox.

``make run`` must show the end of an alert's story (the e-mail, the SMS on a phone) without
a mail relay, an SMS contract, or a single message leaving the machine. These two servers
speak just enough SMTP (RFC 5321) and SMPP 3.4 for Beffroi's own transports, accept every
message, and store it as an ``OutboxMessage``. They use the standard library and smpplib
(already a runtime dependency for the PDU codec): the loopback servers of the tests
(``beffroi.messaging.testing``) need aiosmtpd and smpp34, which a production install lacks.

Never a real gateway: they listen on 127.0.0.1 only, have no authentication, and keep
everything. ``beffroi serve`` starts them when ``DEMO_GATEWAYS`` is on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email
import email.policy
import itertools
import logging
import socket
import socketserver
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import smpplib.smpp  # type: ignore[import-untyped]
from django.db import close_old_connections, connection

from beffroi.core.locking import when_unlocked
from beffroi.demo.constants import NO_RECEIVER, PHONE_SYSTEM_ID, SMPP_SOURCE
from beffroi.messaging.sms import gsm7_decode

__all__ = ["DemoGateways", "DemoSmsc", "DemoSmtpServer", "ReceivedMessage", "demo_gateways"]

HOST = "127.0.0.1"
SMPP_SYSTEM_ID = "beffroi-demo"
logger = logging.getLogger(__name__)
# A message bigger than this is refused: the demo outbox is not a place for attachments.
MAX_MESSAGE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class ReceivedMessage:
    channel: str  # "email" or "sms"
    sender: str
    to: str
    subject: str
    headers: str
    body: str
    inbound: bool = False  # a resident's reply, from the outbox's phone


Store = Callable[[ReceivedMessage], None]


# How long an outbox copy waits for SQLite's writer lock (the dispatch writing its outcomes
# at the same moment) before it is given up.
STORE_LOCKED_WAIT_SECONDS = 10.0


def _store_safely(store: Store, message: ReceivedMessage) -> None:
    try:
        when_unlocked(lambda: store(message), wait_seconds=STORE_LOCKED_WAIT_SECONDS)
    except Exception:
        # The message was accepted: losing its outbox copy must not make the gateway refuse
        # the next ones (the dispatch would retry a message the resident "received").
        logger.exception("Demo outbox: message to %s not stored", message.to)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler: type[socketserver.BaseRequestHandler], store: Store) -> None:
        super().__init__((HOST, 0), handler)
        self.store = store
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.parts: dict[tuple[str, str, int], dict[int, str]] = {}
        # SMPP sessions bound to receive (receiver or transceiver), newest last.
        self.receivers: list[_SmppHandler] = []

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (a worker stopped mid-session, a connection cut or
        left idle) is normal for a gateway: one line, no traceback. Anything else is a
        fault of the gateway and is logged with its traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            logger.info(
                "Demo gateway on port %s: client %s disconnected (%s).",
                self.server_address[1],
                _peer(client_address),
                type(error).__name__,
            )
            return
        logger.error(
            "Demo gateway on port %s: session with %s failed.",
            self.server_address[1],
            _peer(client_address),
            exc_info=True,
        )


def _peer(client_address: Any) -> str:
    if isinstance(client_address, tuple) and len(client_address) >= 2:
        return f"{client_address[0]}:{client_address[1]}"
    return str(client_address)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server
    timeout = 300

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            # Each connection runs on its own thread, with its own database connection.
            connection.close()


# -- SMTP ------------------------------------------------------------------------------


def email_summary(raw: bytes, envelope_to: str) -> ReceivedMessage:
    """The outbox record of a received e-mail: headers decoded, the plain-text body."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if part is not None:
        with contextlib.suppress(LookupError, ValueError):
            body = str(part.get_content()).replace("\r\n", "\n")
    headers = "\n".join(f"{name}: {value}" for name, value in message.items())
    return ReceivedMessage(
        channel="email",
        sender=str(message.get("From", "")),
        to=envelope_to,
        subject=str(message.get("Subject", "")),
        headers=headers,
        body=body,
    )


class _SmtpHandler(_Handler):
    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def _data(self) -> bytes | None:
        lines: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(MAX_MESSAGE_BYTES)
            if not line:
                return None
            if line in (b".\r\n", b".\n"):
                return b"".join(lines)
            if line.startswith(b"."):
                line = line[1:]  # RFC 5321 4.5.2 dot-stuffing
            size += len(line)
            if size <= MAX_MESSAGE_BYTES:
                lines.append(line)

    def handle(self) -> None:
        self._reply(f"220 {HOST} Beffroi demo SMTP: nothing leaves this machine")
        recipients: list[str] = []
        while True:
            raw = self.rfile.readline(4096)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb == "EHLO":
                self._reply(f"250-{HOST}")
                self._reply(f"250-SIZE {MAX_MESSAGE_BYTES}")
                # Commands are read line by line from a buffer: pipelined ones too.
                self._reply("250-PIPELINING")
                self._reply("250 8BITMIME")
            elif verb == "HELO":
                self._reply(f"250 {HOST}")
            elif verb == "MAIL":
                recipients = []
                self._reply("250 2.1.0 OK")
            elif verb == "RCPT":
                address = line[line.find(":") + 1 :].strip().split(" ")[0].strip("<>")
                recipients.append(address)
                self._reply("250 2.1.5 OK")
            elif verb == "DATA":
                if not recipients:
                    self._reply("503 5.5.1 RCPT first")
                    continue
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                data = self._data()
                if data is None:
                    return
                if len(data) > MAX_MESSAGE_BYTES:
                    self._reply("552 5.3.4 Message too big")
                    continue
                for recipient in recipients:
                    _store_safely(self.server.store, email_summary(data, recipient))
                recipients = []
                self._reply("250 2.0.0 Kept in the demo outbox")
            elif verb == "RSET":
                recipients = []
                self._reply("250 2.0.0 OK")
            elif verb == "NOOP":
                self._reply("250 2.0.0 OK")
            elif verb == "QUIT":
                self._reply("221 2.0.0 Bye")
                return
            else:
                self._reply("502 5.5.2 Command not implemented")


class DemoSmtpServer:
    def __init__(self, store: Store) -> None:
        self._server = _Server(_SmtpHandler, store)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.port}"

    def serve(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- SMPP ------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return "" if value is None else str(value)


def _decode(data_coding: int, body: bytes) -> str:
    if data_coding == 8:
        return body.decode("utf-16-be", "replace")
    if data_coding == 3:
        return body.decode("latin-1")
    return gsm7_decode(body)


class _PduCodec:
    """What smpplib's PDU classes ask of a "client": a sequence counter. Parsed requests
    keep the sequence number they arrived with; only the constructor draws one."""

    sequence = 0

    def next_sequence(self) -> int:
        self.sequence = (self.sequence % 0x7FFFFFFF) + 1
        return self.sequence


class _SmppHandler(_Handler):
    def _read_pdu(self) -> bytes | None:
        header = self.rfile.read(4)
        if len(header) < 4:
            return None
        (length,) = struct.unpack(">L", header)
        if not 16 <= length <= 64 * 1024:
            return None
        rest = self.rfile.read(length - 4)
        if len(rest) < length - 4:
            return None
        return header + rest

    def _send(self, command: str, request: Any, **params: Any) -> None:
        response = smpplib.smpp.make_pdu(command, client=self.codec, **params)
        response.sequence = request.sequence
        self._write(response.generate())

    def _write(self, data: bytes) -> None:
        # Another session's thread may push a reply to this one (``_reply``).
        with self.write_lock:
            self.wfile.write(data)
            self.wfile.flush()

    def _reply(self, submit: Any) -> int:
        """A submit_sm of the outbox's phone: the resident's reply, handed to the newest
        receiving session as a deliver_sm (UCS-2, as a phone sends accented text), and kept
        in the outbox. Returns the command status (0, or NO_RECEIVER)."""
        number = _text(submit.source_addr).lstrip("+")
        text = _decode(int(submit.data_coding or 0), submit.short_message or b"")
        with self.server.lock:
            receivers = list(self.server.receivers)
        for receiver in reversed(receivers):
            deliver = smpplib.smpp.make_pdu(
                "deliver_sm",
                client=receiver.codec,
                source_addr_ton=1,
                source_addr_npi=1,
                source_addr=number,
                dest_addr_ton=5,
                dest_addr_npi=0,
                destination_addr=SMPP_SOURCE,
                esm_class=0,
                data_coding=8,
                short_message=text.encode("utf-16-be"),
            )
            try:
                receiver._write(deliver.generate())
            except OSError:
                continue
            message = ReceivedMessage(
                channel="sms",
                sender="+" + number,
                to=SMPP_SOURCE,
                subject="",
                headers="",
                body=text,
                inbound=True,
            )
            _store_safely(self.server.store, message)
            return 0
        return NO_RECEIVER

    def _submit(self, pdu: Any) -> str:
        server = self.server
        short_message: bytes = pdu.short_message or b""
        esm_class = int(pdu.esm_class or 0)
        source = _text(pdu.source_addr)
        destination = _text(pdu.destination_addr)
        if int(pdu.dest_addr_ton or 0) == 1 and not destination.startswith("+"):
            destination = "+" + destination
        reference, total, sequence = 0, 1, 1
        if esm_class & 0x40 and len(short_message) >= 6 and short_message[1] == 0x00:
            # Concatenated SMS (8-bit reference UDH): the phone shows the parts as one text.
            reference, total, sequence = short_message[3], short_message[4], short_message[5]
            short_message = short_message[1 + short_message[0] :]
        elif esm_class & 0x40 and short_message:
            short_message = short_message[1 + short_message[0] :]
        text = _decode(int(pdu.data_coding or 0), short_message)
        with server.lock:
            message_id = f"DEMO{next(server.ids):08d}"
            if total > 1:
                key = (source, destination, reference)
                parts = server.parts.setdefault(key, {})
                parts[sequence] = text
                if len(parts) < total:
                    return message_id
                del server.parts[key]
                text = "".join(parts[index] for index in sorted(parts))
        message = ReceivedMessage(
            channel="sms", sender=source, to=destination, subject="", headers="", body=text
        )
        _store_safely(server.store, message)
        return message_id

    def _receipt(self, submit: Any, message_id: str) -> None:
        """Report the message delivered, on the session that sent it (as many operators'
        SMSCs do): the demo's live view then shows SMS delivered, not only sent."""
        now = time.strftime("%y%m%d%H%M", time.gmtime())
        text = (
            f"id:{message_id} sub:001 dlvrd:001 submit date:{now} done date:{now} "
            "stat:DELIVRD err:000 text:"
        )
        receipt = smpplib.smpp.make_pdu(
            "deliver_sm",
            client=self.codec,
            source_addr_ton=int(submit.dest_addr_ton or 1),
            source_addr_npi=int(submit.dest_addr_npi or 1),
            source_addr=_text(submit.destination_addr),
            dest_addr_ton=int(submit.source_addr_ton or 0),
            dest_addr_npi=int(submit.source_addr_npi or 0),
            destination_addr=_text(submit.source_addr),
            esm_class=0x04,
            short_message=text.encode("ascii"),
            receipted_message_id=message_id,
            message_state=2,
        )
        self._write(receipt.generate())

    def handle(self) -> None:
        self.codec = _PduCodec()
        self.write_lock = threading.Lock()
        self.phone = False
        try:
            self._serve()
        finally:
            with self.server.lock:
                if self in self.server.receivers:
                    self.server.receivers.remove(self)

    def _serve(self) -> None:
        while True:
            data = self._read_pdu()
            if data is None:
                return
            try:
                pdu = smpplib.smpp.parse_pdu(data, client=self.codec, allow_unknown_opt_params=True)
            except Exception:
                logger.warning("Demo SMSC: unreadable PDU %r", data[:64])
                return
            command = getattr(pdu, "command", None)
            if command in ("bind_transmitter", "bind_transceiver", "bind_receiver"):
                self.phone = _text(pdu.system_id) == PHONE_SYSTEM_ID
                if command != "bind_transmitter" and not self.phone:
                    with self.server.lock:
                        self.server.receivers.append(self)
                self._send(f"{command}_resp", pdu, system_id=SMPP_SYSTEM_ID)
            elif command == "submit_sm" and self.phone:
                status = self._reply(pdu)
                self._send("submit_sm_resp", pdu, message_id="", status=status)
            elif command == "submit_sm":
                message_id = self._submit(pdu)
                self._send("submit_sm_resp", pdu, message_id=message_id)
                if int(pdu.registered_delivery or 0) & 0x03:
                    self._receipt(pdu, message_id)
            elif command == "enquire_link":
                self._send("enquire_link_resp", pdu)
            elif command == "unbind":
                self._send("unbind_resp", pdu)
                return
            elif command is not None and not command.endswith("_resp"):
                self._send("generic_nack", pdu)


class DemoSmsc:
    def __init__(self, store: Store) -> None:
        self._server = _Server(_SmppHandler, store)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"smpp://{SMPP_SYSTEM_ID}:demo@{HOST}:{self.port}?source={SMPP_SOURCE}"

    def serve(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- both ------------------------------------------------------------------------------


class DemoGateways:
    """The SMTP server and the SMSC, each on its own thread and free loopback port."""

    def __init__(self, store: Store | None = None) -> None:
        if store is None:
            from beffroi.demo.services import outbox_message_store

            def store(message: ReceivedMessage) -> None:
                close_old_connections()
                outbox_message_store(**dataclasses.asdict(message))

        self.smtp = DemoSmtpServer(store)
        self.smsc = DemoSmsc(store)
        self._threads: list[threading.Thread] = []

    def environment(self) -> dict[str, str]:
        """What the web server and the worker need to send through these gateways."""
        return {
            "DEMO_GATEWAYS": "1",
            "ALERT_EMAIL_URL": self.smtp.url,
            # The account e-mails (sign-up, password reset) too: nothing goes out anywhere.
            "EMAIL_URL": self.smtp.url,
            "SMS_TRANSPORT": "smpp",
            "SMPP_URL": self.smsc.url,
        }

    def start(self) -> None:
        for name, server in (("demo-smtp", self.smtp), ("demo-smsc", self.smsc)):
            thread = threading.Thread(target=server.serve, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        for port in (self.smtp.port, self.smsc.port):
            with socket.create_connection((HOST, port), timeout=5):
                pass

    def stop(self) -> None:
        for server in (self.smtp, self.smsc):
            server.shutdown()
        for thread in self._threads:
            thread.join(timeout=5)


@contextlib.contextmanager
def demo_gateways(store: Store | None = None) -> Iterator[DemoGateways]:
    gateways = DemoGateways(store)
    gateways.start()
    try:
        yield gateways
    finally:
        gateways.stop()
