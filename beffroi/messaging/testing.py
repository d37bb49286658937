"""Real protocol servers on 127.0.0.1 for tests and benchmarks of the alert transports.

Each server runs in a background thread on an ephemeral port, records what it received,
and can be stopped and started again on the SAME port (``stop()`` / ``start()``), to play a
gateway that goes down during a dispatch. Use the context managers::

    with smtp_server(refuse={"bad@example.org": 550}) as smtp: ...
    with smsc_server(response_delay=0.05) as smsc: ...
    with sms_http_server(api_key="k") as api: ...

Nothing here is used in production code paths.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import itertools
import json
import logging
import select
import socket
import ssl
import struct
import threading
import time
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import smpp34
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from beffroi.messaging.sms import gsm7_decode, gsm7_encode, is_gsm7, sms_info

__all__ = [
    "HttpSmsServer",
    "ReceiptsOnTransmitterSmsc",
    "ReceivedEmail",
    "ReceivedHttpSms",
    "SmscServer",
    "SmtpServer",
    "SubmittedSm",
    "TlsFront",
    "free_port",
    "receipts_on_transmitter_smsc",
    "sms_http_server",
    "smsc_server",
    "smtp_server",
]

HOST = "127.0.0.1"
logger = logging.getLogger(__name__)
# The stub declares them on smpp34._smpp34; the package re-exports them dynamically.
ESME_RTHROTTLED = 0x58
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427


def free_port() -> int:
    """An ephemeral port, free right now (the servers then bind it with SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_port(port: int, *, closed: bool = False, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                if not closed:
                    return
        except OSError:
            if closed:
                return
        time.sleep(0.01)
    raise RuntimeError(f"port {port} did not {'close' if closed else 'open'} in time")


# -- SMTP ------------------------------------------------------------------------------


@dataclass
class ReceivedEmail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    peer: tuple[str, int]


class _SmtpHandler:
    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        if not self.owner.pipelining:
            return responses
        # aiosmtpd reads pipelined commands in order; it only does not say so.
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.owner.credentials is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        code = self.owner.refuse.get(address.lower())
        if code is not None:
            if code >= 500:
                return f"{code} 5.1.1 <{address}>: Recipient address rejected: User unknown"
            return f"{code} 4.2.0 <{address}>: Recipient address rejected: try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        peer = session.peer if isinstance(session.peer, tuple) else ("", 0)
        self.owner.received.append(
            ReceivedEmail(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                raw=raw,
                message=message,
                peer=(str(peer[0]), int(peer[1])),
            )
        )
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on loopback. ``refuse`` maps a recipient to a code (550 → permanent refusal,
    451 → temporary). ``credentials`` (user, password) makes AUTH mandatory; ``tls_context``
    offers and requires STARTTLS. PIPELINING (RFC 2920) is offered, as real relays do,
    unless ``pipelining`` is False."""

    def __init__(
        self,
        *,
        refuse: dict[str, int] | None = None,
        credentials: tuple[str, str] | None = None,
        tls_context: ssl.SSLContext | None = None,
        port: int = 0,
        pipelining: bool = True,
    ) -> None:
        self.refuse = {address.lower(): code for address, code in (refuse or {}).items()}
        self.pipelining = pipelining
        self.credentials = credentials
        self.tls_context = tls_context
        self.port = port or free_port()
        self.received: list[ReceivedEmail] = []
        self.logins: list[str] = []
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        if self.credentials:
            return f"smtp://{self.credentials[0]}:{self.credentials[1]}@{HOST}:{self.port}"
        return f"smtp://{HOST}:{self.port}"

    @property
    def sessions(self) -> int:
        """Distinct SMTP connections that sent at least one message."""
        return len({item.peer for item in self.received})

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword) and self.credentials is not None:
            login, password = data.login.decode(), data.password.decode()
            if (login, password) == self.credentials:
                self.logins.append(login)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self) -> None:
        kwargs: dict[str, Any] = {}
        if self.credentials is not None:
            # Enforced in handle_RCPT: aiosmtpd warns on auth_required without TLS.
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        if self.tls_context is not None:
            kwargs.update(tls_context=self.tls_context, require_starttls=True)
        controller = Controller(
            _SmtpHandler(self), hostname=HOST, port=self.port, ready_timeout=5.0, **kwargs
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
            _wait_port(self.port, closed=True)


@contextlib.contextmanager
def smtp_server(**kwargs: Any) -> Iterator[SmtpServer]:
    server = SmtpServer(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- SMPP ------------------------------------------------------------------------------


@dataclass
class SubmittedSm:
    session_id: str
    system_id: str
    source: str
    source_ton: int
    destination: str
    dest_ton: int
    data_coding: int
    esm_class: int
    registered_delivery: int
    short_message: bytes
    udh: bytes
    text: str
    message_id: str | None = None  # None when refused
    status: int = 0
    received_at: float = field(default_factory=time.monotonic)


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _smsc_loop() -> asyncio.AbstractEventLoop:
    """One event loop thread for every test SMSC of the process. smpp34's Rust core calls
    back into the loop after a server stops; a loop per server, closed on stop, would turn
    those late callbacks into errors."""
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="test-smsc", daemon=True).start()
        return _loop


def _decode_body(data_coding: int, body: bytes) -> str:
    if data_coding == 8:
        return body.decode("utf-16-be", "replace")
    if data_coding == 3:
        return body.decode("latin-1")
    return gsm7_decode(body)


class SmscServer:
    """An SMSC built on smpp34's server.

    Records every submit_sm and answers it with a message_id (``M0001``…), after
    ``response_delay`` seconds if set (to observe windowing: ``max_in_flight``). ``reject``
    maps a destination (digits) to a command_status; ``throttle_after`` accepts that many
    submit_sm then answers ESME_RTHROTTLED. With ``send_receipts``, every accepted message
    gets a DELIVRD receipt pushed to a bound receiver/transceiver. ``drop_after`` unbinds
    the session that got that many acceptances (an SMSC restarting its front-end in the
    middle of a batch). ``deliver()`` pushes a
    mobile-originated message (a resident's "STOP").

    Limitations of smpp34 1.5's Python server: it accepts every bind and does not expose
    the password (a bind with another ``system_id`` than expected is recorded in
    ``refused_binds`` and unbound at once), and it answers generic_nack to a
    deliver_sm_resp coming from a bind_receiver session, so receipts and inbound messages
    are tested with transceiver binds.
    """

    def __init__(
        self,
        *,
        system_id: str = "beffroi",
        password: str = "secret",  # noqa: S107 - a loopback test server
        reject: dict[str, int] | None = None,
        throttle_after: int | None = None,
        response_delay: float = 0.0,
        send_receipts: bool = False,
        drop_after: int | None = None,
        port: int = 0,
    ) -> None:
        self.system_id = system_id
        self.drop_after = drop_after
        self.password = password
        self.reject = dict(reject or {})
        self.throttle_after = throttle_after
        self.response_delay = response_delay
        self.send_receipts = send_receipts
        self.port = port or free_port()
        self.submitted: list[SubmittedSm] = []
        self.binds: list[tuple[str, bool]] = []  # (system_id, can_receive)
        self.refused_binds: list[str] = []
        self.receipts_sent: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._ids = itertools.count(1)
        self._sessions: dict[str, smpp34.Esme] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: smpp34.Server | None = None
        self._background: set[asyncio.Future[Any]] = set()
        self._task: asyncio.Task[None] | None = None

    def url(self, **query: str | int) -> str:
        params = {"source": "MAIRIE", **query}
        encoded = "&".join(f"{key}={value}" for key, value in params.items())
        return f"smpp://{self.system_id}:{self.password}@{HOST}:{self.port}?{encoded}"

    @property
    def accepted(self) -> list[SubmittedSm]:
        return [sm for sm in self.submitted if sm.message_id is not None]

    def start(self) -> None:
        loop = _smsc_loop()
        self._loop = loop

        async def boot() -> None:
            server = smpp34.Server(HOST, self.port, system_id="BEFFROI-TEST-SMSC")
            await server.start()
            self._server = server
            self._task = asyncio.get_running_loop().create_task(self._serve(server))

        asyncio.run_coroutine_threadsafe(boot(), loop).result(timeout=5)
        _wait_port(self.port)

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def shutdown() -> None:
            for esme in list(self._sessions.values()):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(esme.unbind(), 0.5)
            if self._task is not None:
                self._task.cancel()
            if self._server is not None:
                await self._server.stop()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=5)
        self._loop = self._server = self._task = None
        self._sessions.clear()
        _wait_port(self.port, closed=True)

    async def _serve(self, server: smpp34.Server) -> None:
        while True:
            event = await server.next()
            try:
                self._on_event(event)
            except Exception:
                # A submit_sm racing its session's unbind cannot be answered any more; the
                # SMSC goes on serving the others.
                logger.exception("test SMSC: event %r not handled", event)

    def _spawn(self, awaitable: Awaitable[Any]) -> None:
        # The loop keeps only weak references to tasks: hold them until done.
        future = asyncio.ensure_future(awaitable)
        self._background.add(future)
        future.add_done_callback(self._background.discard)

    def _on_event(self, event: smpp34.Esme | smpp34.SubmitSmEvent | smpp34.Unbound) -> None:
        if isinstance(event, smpp34.Esme):
            self.binds.append((event.system_id, event.can_receive))
            if event.system_id != self.system_id:
                self.refused_binds.append(event.system_id)
                self._spawn(event.unbind())
                return
            self._sessions[event.session_id] = event
        elif isinstance(event, smpp34.SubmitSmEvent):
            self._on_submit(event)
        elif isinstance(event, smpp34.Unbound):
            self._sessions.pop(event.session_id, None)

    def _on_submit(self, event: smpp34.SubmitSmEvent) -> None:
        short_message = event.short_message
        udh, body = b"", short_message
        if event.esm_class & 0x40 and short_message:
            udh, body = short_message[: 1 + short_message[0]], short_message[1 + short_message[0] :]
        esme = self._sessions.get(event.session_id)
        record = SubmittedSm(
            session_id=event.session_id,
            system_id=esme.system_id if esme is not None else "",
            source=event.source_addr,
            source_ton=event.source_addr_ton,
            destination=event.destination_addr,
            dest_ton=event.dest_addr_ton,
            data_coding=event.data_coding,
            esm_class=event.esm_class,
            registered_delivery=event.registered_delivery,
            short_message=short_message,
            udh=udh,
            text=_decode_body(event.data_coding, body),
        )
        self.submitted.append(record)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.response_delay:
            assert self._loop is not None
            self._loop.call_later(self.response_delay, self._answer, event, record)
        else:
            self._answer(event, record)

    def _answer(self, event: smpp34.SubmitSmEvent, record: SubmittedSm) -> None:
        self.in_flight -= 1
        status = self.reject.get(record.destination, 0)
        throttled = self.throttle_after is not None and len(self.accepted) >= self.throttle_after
        if not status and throttled:
            status = ESME_RTHROTTLED
        if status:
            record.status = status
            event.reject(status)
            return
        record.message_id = f"M{next(self._ids):04d}"
        event.accept(record.message_id)
        if self.drop_after is not None and len(self.accepted) == self.drop_after:
            esme = self._sessions.pop(event.session_id, None)
            if esme is not None:
                self._spawn(esme.unbind())
        if self.send_receipts and record.registered_delivery & 0x03:
            self._spawn(self._send_receipt(record))

    def _receiver(self) -> smpp34.Esme | None:
        return next((esme for esme in self._sessions.values() if esme.can_receive), None)

    async def _send_receipt(self, record: SubmittedSm) -> None:
        await asyncio.sleep(0.01)  # after the submit_sm_resp, as a real SMSC would
        esme = self._receiver()
        if esme is None or record.message_id is None:
            return
        now = datetime.now(UTC).strftime("%y%m%d%H%M")
        text = (
            f"id:{record.message_id} sub:001 dlvrd:001 submit date:{now} done date:{now} "
            f"stat:DELIVRD err:000 text:{record.text[:20]}"
        )
        await esme.deliver_sm(
            record.source,
            text.encode("latin-1", "replace"),
            source_addr=record.destination,
            source_addr_ton=1,
            source_addr_npi=1,
            esm_class=0x04,
            tlvs=[
                smpp34.Tlv(TLV_RECEIPTED_MESSAGE_ID, record.message_id.encode() + b"\0"),
                smpp34.Tlv(TLV_MESSAGE_STATE, bytes([2])),
            ],
        )
        self.receipts_sent.append(record.message_id)

    def deliver(self, from_number: str, text: str, *, to: str = "MAIRIE") -> None:
        """Push a mobile-originated SMS to a bound receiver (waits for its deliver_sm_resp)."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("SMSC not running")

        async def push() -> None:
            esme = self._receiver()
            if esme is None:
                raise RuntimeError("no receiver bound")
            if is_gsm7(text):
                payload, coding = gsm7_encode(text), 0
            else:
                payload, coding = text.encode("utf-16-be"), 8
            await esme.deliver_sm(
                to,
                payload,
                source_addr=from_number.lstrip("+"),
                source_addr_ton=1,
                source_addr_npi=1,
                data_coding=coding,
            )

        asyncio.run_coroutine_threadsafe(push(), loop).result(timeout=5)

    def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("condition not reached on the SMSC")
            time.sleep(0.01)


@contextlib.contextmanager
def smsc_server(**kwargs: Any) -> Iterator[SmscServer]:
    server = SmscServer(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- an SMSC that does what smpp34 will not ----------------------------------------------

_PDU_HEADER = struct.Struct(">IIII")  # command_length, command_id, command_status, sequence


def _cstring(data: bytes, offset: int) -> tuple[bytes, int]:
    end = data.index(b"\0", offset)
    return data[offset:end], end + 1


class ReceiptsOnTransmitterSmsc:
    """A raw-socket SMSC with the habits some operators' SMSCs have and smpp34 refuses to
    copy: it pushes a delivery receipt (``deliver_sm``) on the *transmitter* session right
    after each ``submit_sm_resp``, and, after ``unexpected_after`` messages, sends a PDU an
    ESME does not expect (``alert_notification`` and an unknown command id).

    It records every ``submit_sm`` (destination), every answer it got (``deliver_sm_resp``,
    ``generic_nack``) and serves one connection at a time, which is all a transport opens.
    """

    UNKNOWN_COMMAND = 0x000000AA

    def __init__(self, *, unexpected_after: int | None = None) -> None:
        self.port = free_port()
        self.unexpected_after = unexpected_after
        self.destinations: list[str] = []
        self.answers: list[tuple[int, int, int]] = []  # (command_id, status, sequence)
        self.binds = 0
        self._sequence = itertools.count(0x7000_0000)
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def url(self) -> str:
        return f"smpp://bf:secret@{HOST}:{self.port}?bind=transmitter&registered_delivery=1"

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen(4)
        listener.settimeout(0.2)
        self._listener = listener
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()

    def _serve(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, _address = self._listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(0.2)
                try:
                    self._session(conn)
                except ConnectionError as exc:
                    # A client that went away (a transport's test cut it): normal here.
                    logger.info("test SMSC: client disconnected (%s).", type(exc).__name__)

    def _send(self, conn: socket.socket, command: int, sequence: int, body: bytes = b"") -> None:
        conn.sendall(_PDU_HEADER.pack(16 + len(body), command, 0, sequence) + body)

    def _read(self, conn: socket.socket) -> tuple[int, int, int, bytes] | None:
        header = b""
        while len(header) < 16:
            try:
                chunk = conn.recv(16 - len(header))
            except TimeoutError:
                if self._stop.is_set():
                    return None
                continue
            if not chunk:
                return None
            header += chunk
        length, command, status, sequence = _PDU_HEADER.unpack(header)
        body = b""
        while len(body) < length - 16:
            chunk = conn.recv(length - 16 - len(body))
            if not chunk:
                return None
            body += chunk
        return command, status, sequence, body

    def _session(self, conn: socket.socket) -> None:
        while True:
            pdu = self._read(conn)
            if pdu is None:
                return
            command, status, sequence, body = pdu
            if command in (0x00000001, 0x00000002, 0x00000009):  # bind_*
                self.binds += 1
                self._send(conn, command | 0x80000000, sequence, b"SMSC\0")
            elif command == 0x00000004:  # submit_sm
                self._on_submit(conn, sequence, body)
            elif command == 0x00000015:  # enquire_link
                self._send(conn, 0x80000015, sequence)
            elif command == 0x00000006:  # unbind
                # Answers to what was pushed before the unbind may still come: keep reading
                # until the ESME closes the connection.
                self._send(conn, 0x80000006, sequence)
            else:
                self.answers.append((command, status, sequence))

    def _on_submit(self, conn: socket.socket, sequence: int, body: bytes) -> None:
        _service, offset = _cstring(body, 0)
        _source, offset = _cstring(body, offset + 2)
        destination, _offset = _cstring(body, offset + 2)
        self.destinations.append(destination.decode("ascii"))
        number = len(self.destinations)
        message_id = f"R{number:04d}"
        self._send(conn, 0x80000004, sequence, message_id.encode() + b"\0")
        receipt = (
            f"id:{message_id} sub:001 dlvrd:001 submit date:2612051200 done date:2612051200 "
            "stat:DELIVRD err:000 text:"
        ).encode()
        deliver = (
            b"\0"
            + bytes([1, 1])
            + destination
            + b"\0"
            + bytes([5, 0])
            + b"MAIRIE\0"
            + bytes([0x04, 0, 0])
            + b"\0\0"
            + bytes([0, 0, 0, 0, len(receipt)])
            + receipt
        )
        self._send(conn, 0x00000005, next(self._sequence), deliver)
        if self.unexpected_after is not None and number == self.unexpected_after:
            # alert_notification: source (ton, npi, addr), esme (ton, npi, addr)
            alert = bytes([1, 1]) + b"33612345678\0" + bytes([1, 1]) + b"MAIRIE\0"
            self._send(conn, 0x00000102, next(self._sequence), alert)
            self._send(conn, self.UNKNOWN_COMMAND, next(self._sequence), b"\x01\x02")


@contextlib.contextmanager
def receipts_on_transmitter_smsc(**kwargs: Any) -> Iterator[ReceiptsOnTransmitterSmsc]:
    server = ReceiptsOnTransmitterSmsc(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- TLS ---------------------------------------------------------------------------------


class TlsFront:
    """Terminates TLS on its own port and relays the bytes to a plain loopback port: puts
    ``smpps://`` in front of the test SMSC, whose Python API has no TLS server side."""

    def __init__(self, target_port: int, context: ssl.SSLContext, *, port: int = 0) -> None:
        self.target_port = target_port
        self.context = context
        self.port = port or free_port()
        self.handshakes = 0
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen()
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        for sock in list(self._open):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(raw,), daemon=True).start()

    def _relay(self, raw: socket.socket) -> None:
        try:
            secure = self.context.wrap_socket(raw, server_side=True)
            upstream = socket.create_connection((HOST, self.target_port), timeout=5)
        except OSError:
            raw.close()
            return
        self.handshakes += 1
        self._open.update((secure, upstream))
        peers: dict[socket.socket, socket.socket] = {secure: upstream, upstream: secure}
        try:
            while True:
                ready: list[socket.socket] = [secure] if secure.pending() else []
                if not ready:
                    ready, _, _ = select.select(list(peers), [], [], 1.0)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            for sock in peers:
                self._open.discard(sock)
                sock.close()


# -- HTTP SMS provider (Brevo-shaped) --------------------------------------------------


@dataclass
class ReceivedHttpSms:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class _ProviderHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API
    server: _ProviderHTTPServer

    def setup(self) -> None:
        super().setup()
        owner = self.server.owner
        owner.connections += 1
        owner._sockets.add(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, payload: dict[str, Any] | None) -> None:
        data = json.dumps(payload).encode() if payload is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        owner.requests.append(ReceivedHttpSms(self.path, dict(self.headers.items()), body))
        if owner.delay:
            time.sleep(owner.delay)
        if self.path not in owner.PATHS:
            self._answer(404, {"code": "not_found", "message": "Invalid route"})
            return
        if self.headers.get("api-key") != owner.api_key:
            self._answer(401, {"code": "unauthorized", "message": "Key not found"})
            return
        if owner.fail_status:
            self._answer(owner.fail_status, {"code": "error", "message": "Internal error"})
            return
        if not owner.credit:
            self._answer(402, {"code": "not_enough_credits", "message": "Not enough credits"})
            return
        recipient = str(body.get("recipient", ""))
        if not recipient.isdigit() or recipient in owner.invalid_numbers:
            self._answer(400, {"code": "invalid_parameter", "message": "Invalid phone number"})
            return
        message_id = next(owner._ids)
        count = sms_info(str(body.get("content", ""))).segments
        owner.accepted.append((message_id, body))
        if self.path.endswith("/send"):
            self._answer(201, {"messageId": message_id})
        else:
            self._answer(
                201,
                {
                    "reference": f"ref{message_id}",
                    "messageId": message_id,
                    "smsCount": count,
                    "usedCredits": 0.045 * count,
                    "remainingCredits": 100.0,
                },
            )


class _ProviderHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: HttpSmsServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout test) or a connection cut by stop(): expected here.
        pass


class HttpSmsServer:
    """Brevo-shaped transactional SMS endpoint. ``invalid_numbers`` answer 400,
    ``credit=False`` 402, ``fail_status`` (500…) overrides everything after the key check,
    ``delay`` holds each answer (for client timeouts)."""

    PATHS = ("/v3/transactionalSMS/send", "/v3/transactionalSMS/sms")

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        invalid_numbers: set[str] | None = None,
        credit: bool = True,
        fail_status: int = 0,
        delay: float = 0.0,
        port: int = 0,
    ) -> None:
        self.api_key = api_key
        self.invalid_numbers = set(invalid_numbers or ())
        self.credit = credit
        self.fail_status = fail_status
        self.delay = delay
        self.port = port or free_port()
        self.requests: list[ReceivedHttpSms] = []
        self.accepted: list[tuple[int, dict[str, Any]]] = []
        self.connections = 0
        self._ids = itertools.count(1511882900176220)
        self._sockets: set[socket.socket] = set()
        self._httpd: _ProviderHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        httpd = _ProviderHTTPServer((HOST, self.port), _ProviderHandler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="sms-http", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        # Kept-alive connections outlive serve_forever(): cut them, as a crash would.
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._sockets.clear()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None


@contextlib.contextmanager
def sms_http_server(**kwargs: Any) -> Iterator[HttpSmsServer]:
    server = HttpSmsServer(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()
