"""SMS over SMPP 3.4 (smpplib): submission with windowing, receipts and inbound STOP.

Texts are encoded exactly as ``beffroi.messaging.sms`` counted them for the author: GSM-7 as
unpacked septets with ``data_coding`` 0, anything else as UTF-16-BE with ``data_coding`` 8;
a long text is cut by ``split_parts`` and each part carries a 6-byte concatenation UDH
(``05 00 03 ref total seq``) with ``esm_class`` 0x40, so the bill matches the preview.

Windowing: up to ``window`` submit_sm are written before waiting for their submit_sm_resp,
matched by sequence number; without it a 30 ms round trip would cap a bind at ~33 SMS/s.

The provider id of a multi-part message is the ``message_id`` of its FIRST part: most SMSCs
send one receipt per part, and the first part's receipt stands for the message (receipts of
later parts carry ids the dispatch code does not know, and are ignored).

TLS (``smpps://``): smpplib accepts an ``ssl.SSLContext``; we wrap the socket with server
name verification against the system trust store.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import secrets
import select
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

import smpplib.client  # type: ignore[import-untyped]
import smpplib.consts  # type: ignore[import-untyped]
import smpplib.exceptions  # type: ignore[import-untyped]
import smpplib.smpp  # type: ignore[import-untyped]

from beffroi.messaging.base import (
    EmailOut,
    Outcome,
    Receipt,
    ReceiptStatus,
    SmsOut,
    Throttle,
    Transport,
    TransportError,
)
from beffroi.messaging.handlers import inbound_route, receipts_route
from beffroi.messaging.sms import gsm7_decode, gsm7_encode, is_gsm7, split_parts
from beffroi.messaging.throttle import shared_throttle

__all__ = [
    "InboundCallback",
    "ReceiptCallback",
    "SmppConfig",
    "SmppReceiver",
    "SmppTransport",
    "encode_sms",
    "parse_delivery_receipt",
    "status_error",
    "submit_sm_pdu",
]

logger = logging.getLogger(__name__)

ESME_ROK = 0x00
ESME_RINVMSGLEN = 0x01
ESME_RSYSERR = 0x08
ESME_RINVSRCADR = 0x0A
ESME_RINVDSTADR = 0x0B
ESME_RMSGQFUL = 0x14
ESME_RTHROTTLED = 0x58

# Any other status is temporary: retrying later can succeed (the SMSC is busy, full or
# rate-limiting us: 0x04, ESME_RSYSERR, ESME_RMSGQFUL, 0x45, ESME_RTHROTTLED, 0x64…).
# This message to this number will never be accepted as it is.
PERMANENT_STATUSES = frozenset(
    {ESME_RINVMSGLEN, ESME_RINVDSTADR, 0x43, 0x50, 0x51, 0x61, 0x62, 0x66, 0xC4}
)
# Our own account or sender is refused: every message fails until an administrator acts.
CHANNEL_STATUSES = frozenset({ESME_RINVSRCADR, 0x0D, 0x0E, 0x0F, 0x48, 0x49, 0x53})

UDH_CONCAT = 0x40
ESM_CLASS_TYPE_MASK = 0x3C
ESM_DELIVERY_RECEIPT = 0x04
ESM_INTERMEDIATE_NOTIFICATION = 0x20


def status_error(status: int) -> TransportError:
    """The error for a non-zero SMPP ``command_status``.

    An unknown vendor code counts as temporary: the caller's bounded backoff costs a few
    retries, while a wrongly permanent error silently drops a resident's evacuation warning.
    """
    description = smpplib.consts.DESCRIPTIONS.get(status, "vendor-specific error")
    text = f"SMPP command_status 0x{status:02X}: {description}"
    if status in PERMANENT_STATUSES:
        return TransportError(text, permanent=True)
    if status in CHANNEL_STATUSES:
        return TransportError(f"{text}. The SMPP account or sender is refused: check SMPP_URL.")
    return TransportError(text)


@dataclass(frozen=True)
class SmppConfig:
    host: str
    port: int = 2775
    system_id: str = ""
    password: str = ""
    system_type: str = ""
    source: str = ""
    source_ton: int = 5  # alphanumeric
    source_npi: int = 0
    dest_ton: int = 1  # international
    dest_npi: int = 1  # E.164
    window: int = 10
    tls: bool = False
    bind: str = "transmitter"  # or "transceiver"
    timeout: float = 10.0
    registered_delivery: int = 1

    @classmethod
    def from_url(cls, url: str) -> Self:
        """``smpp://system_id:password@host:2775?source=MAIRIE&source_ton=5&source_npi=0
        &window=10&system_type=&bind=transmitter``; ``smpps://`` for TLS."""
        parts = urlsplit(url)
        if parts.scheme not in {"smpp", "smpps"} or not parts.hostname:
            raise ValueError("SMPP_URL must look like smpp://system_id:password@host:2775")
        query = {key: values[-1] for key, values in parse_qs(parts.query, True).items()}

        def integer(name: str, default: int, low: int, high: int) -> int:
            raw = query.pop(name, None)
            if raw in (None, ""):
                return default
            try:
                value = int(raw)
            except ValueError:
                raise ValueError(f"SMPP_URL: {name} must be an integer, got {raw!r}") from None
            if not low <= value <= high:
                raise ValueError(f"SMPP_URL: {name} must be between {low} and {high}")
            return value

        bind = query.pop("bind", "transmitter") or "transmitter"
        if bind not in {"transmitter", "transceiver"}:
            raise ValueError("SMPP_URL: bind must be transmitter or transceiver")
        config = cls(
            host=parts.hostname,
            port=parts.port or 2775,
            system_id=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            system_type=query.pop("system_type", ""),
            source=query.pop("source", ""),
            source_ton=integer("source_ton", 5, 0, 6),
            source_npi=integer("source_npi", 0, 0, 18),
            dest_ton=integer("dest_ton", 1, 0, 6),
            dest_npi=integer("dest_npi", 1, 0, 18),
            window=integer("window", 10, 1, 1000),
            tls=parts.scheme == "smpps",
            bind=bind,
            timeout=float(integer("timeout", 10, 1, 600)),
            registered_delivery=integer("registered_delivery", 1, 0, 31),
        )
        if query:
            raise ValueError(f"SMPP_URL: unknown parameter(s) {', '.join(sorted(query))}")
        return config


@functools.lru_cache(maxsize=64)
def _encoded_parts(text: str) -> tuple[int, tuple[bytes, ...]]:
    """``(data_coding, parts)``: every SMS of an alert has the same text (per language), so a
    batch encodes it once instead of once per resident."""
    gsm = is_gsm7(text)
    parts = split_parts(text) or [""]
    if gsm:
        return 0, tuple(gsm7_encode(part) for part in parts)
    return 8, tuple(part.encode("utf-16-be") for part in parts)


def encode_sms(text: str, *, reference: int | None = None) -> tuple[int, int, list[bytes]]:
    """``(data_coding, esm_class, short_messages)`` for ``text``, one short_message a part."""
    data_coding, parts = _encoded_parts(text)
    if len(parts) == 1:
        return data_coding, 0, [parts[0]]
    if len(parts) > 255:
        raise ValueError("A text cannot span more than 255 SMS.")
    ref = secrets.randbelow(256) if reference is None else reference & 0xFF
    total = len(parts)
    return (
        data_coding,
        UDH_CONCAT,
        [bytes((0x05, 0x00, 0x03, ref, total, seq)) + part for seq, part in enumerate(parts, 1)],
    )


def decode_short_message(data_coding: int, esm_class: int, short_message: bytes) -> str:
    """Text of an inbound message (a resident's reply), without its UDH."""
    if esm_class & UDH_CONCAT and short_message:
        short_message = short_message[1 + short_message[0] :]
    if data_coding == 8:
        return short_message.decode("utf-16-be", "replace")
    if data_coding == 3:
        return short_message.decode("latin-1")
    if data_coding in (0, 1):
        return gsm7_decode(short_message)
    return short_message.decode("utf-8", "replace")


# -- delivery receipts -----------------------------------------------------------------

_RECEIPT_FIELDS = re.compile(
    r"(?P<name>id|sub|dlvrd|submit date|done date|stat|err|text):(?P<value>.*?)"
    r"(?=\s+(?:id|sub|dlvrd|submit date|done date|stat|err|text):|$)",
    re.IGNORECASE | re.DOTALL,
)
_STAT_STATUS: dict[str, ReceiptStatus] = {
    "DELIVRD": "delivered",
    "EXPIRED": "failed",
    "DELETED": "failed",
    "UNDELIV": "failed",
    "REJECTD": "failed",
    "UNKNOWN": "pending",
    "ACCEPTD": "pending",
    "ENROUTE": "pending",
}
_STATE_STATUS: dict[int, ReceiptStatus] = {
    1: "pending",  # ENROUTE
    2: "delivered",
    3: "failed",  # EXPIRED
    4: "failed",  # DELETED
    5: "failed",  # UNDELIVERABLE
    6: "pending",  # ACCEPTED
    7: "pending",  # UNKNOWN
    8: "failed",  # REJECTED
}


def _receipt_time(value: str) -> datetime | None:
    # SMPP 3.4 appendix B: YYMMDDhhmm, often with seconds. The SMSC's clock zone is not
    # given; UTC is the usual convention of French aggregators.
    digits = value.strip()
    formats = {12: "%y%m%d%H%M%S", 10: "%y%m%d%H%M"}
    if not digits.isdigit() or len(digits) not in formats:
        return None
    try:
        return datetime.strptime(digits, formats[len(digits)]).replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_delivery_receipt(
    short_message: bytes,
    *,
    receipted_message_id: str | bytes | None = None,
    message_state: int | None = None,
) -> Receipt | None:
    """Parse ``id:… sub:… dlvrd:… submit date:… done date:… stat:DELIVRD err:000 text:…``.

    The ``receipted_message_id`` and ``message_state`` TLVs win over the text when present:
    some SMSCs print the id in decimal in the text but answered submit_sm in hexadecimal.
    Returns None when neither gives a message id.
    """
    text = short_message.decode("latin-1")
    fields = {m["name"].lower(): m["value"].strip() for m in _RECEIPT_FIELDS.finditer(text)}
    if isinstance(receipted_message_id, bytes):
        receipted_message_id = receipted_message_id.decode("latin-1")
    provider_id = (receipted_message_id or "").strip("\x00 ") or fields.get("id", "")
    if not provider_id:
        return None
    status: ReceiptStatus | None = None
    if message_state is not None:
        status = _STATE_STATUS.get(message_state)
    if status is None:
        stat = fields.get("stat", "").upper()
        if not stat:
            return None
        status = _STAT_STATUS.get(stat[:7], "failed")
    error = fields.get("err", "")
    return Receipt(
        provider_id=provider_id,
        status=status,
        error_code="" if error.strip("0") == "" else error,
        done_at=_receipt_time(fields.get("done date", "")),
    )


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return "" if value is None else str(value)


ReceiptCallback = Callable[[Receipt], None]
InboundCallback = Callable[[str, str], None]  # (from_number E.164, text)


def handle_deliver_sm(
    pdu: Any, on_receipt: ReceiptCallback | None, on_inbound: InboundCallback | None
) -> None:
    """Route one inbound deliver_sm to the receipt or the inbound-message callback."""
    esm_class = int(pdu.esm_class or 0)
    short_message = pdu.short_message or b""
    message_type = esm_class & ESM_CLASS_TYPE_MASK
    if message_type in (ESM_DELIVERY_RECEIPT, ESM_INTERMEDIATE_NOTIFICATION):
        state = getattr(pdu, "message_state", None)
        receipt = parse_delivery_receipt(
            short_message,
            receipted_message_id=getattr(pdu, "receipted_message_id", None),
            message_state=int(state) if state is not None else None,
        )
        if receipt is None:
            logger.warning("Unreadable SMPP delivery receipt: %r", short_message[:200])
        elif on_receipt is not None:
            on_receipt(receipt)
        return
    source = _text(pdu.source_addr)
    if int(pdu.source_addr_ton or 0) == 1 and not source.startswith("+"):
        source = "+" + source
    text = decode_short_message(int(pdu.data_coding or 0), esm_class, short_message)
    if on_inbound is not None:
        on_inbound(source, text)


_SUBMIT_SM = 0x00000004
_SUBMIT_SM_RESP = 0x80000004


def _c_string(value: str, maximum: int) -> bytes:
    """A C-Octet String field of at most ``maximum`` octets, NUL included (smpplib's
    encoding: Latin-1, cut to ``maximum - 1`` characters)."""
    return value[: maximum - 1].encode("latin-1") + b"\0"


def submit_sm_pdu(
    sequence: int,
    *,
    source_ton: int,
    source_npi: int,
    source: str,
    dest_ton: int,
    dest_npi: int,
    destination: str,
    esm_class: int,
    registered_delivery: int,
    data_coding: int,
    short_message: bytes,
) -> bytes:
    """The bytes of a submit_sm (SMPP 3.4 §4.4.1), as smpplib generates them for the fields
    dispatch sets (a test compares the two), without its generic encoder: smpplib walks
    the 40-odd optional parameters of the command for every message, about 40 µs an SMS,
    one of the largest costs of a sending worker. The fields left out are the default ones:
    no service type, protocol id, priority, schedule, validity, replacement or canned
    message, and no optional parameter."""
    if len(short_message) > 254:
        raise ValueError("short_message is longer than 254 octets")
    body = b"".join(
        (
            b"\0",  # service_type: the SMSC's default
            bytes((source_ton, source_npi)),
            _c_string(source, 21),
            bytes((dest_ton, dest_npi)),
            _c_string(destination, 21),
            bytes((esm_class, 0, 0)),  # esm_class, protocol_id, priority_flag
            b"\0\0",  # schedule_delivery_time, validity_period: now, the SMSC's default
            # registered_delivery, replace_if_present_flag, data_coding,
            # sm_default_msg_id, sm_length
            bytes((registered_delivery, 0, data_coding, 0, len(short_message))),
            short_message,
        )
    )
    return struct.pack(">LLLL", 16 + len(body), _SUBMIT_SM, ESME_ROK, sequence) + body


@dataclass(frozen=True)
class _SubmitResp:
    """A submit_sm_resp, read without smpplib's generic parser (see ``submit_sm_pdu``)."""

    sequence: int
    status: int
    message_id: bytes | None
    command: str = "submit_sm_resp"


@dataclass(frozen=True)
class _UnknownPdu:
    """A PDU whose command id smpplib does not know: answered with generic_nack."""

    command_id: int
    sequence: int
    command: str = "unknown"


class _Client(smpplib.client.Client):  # type: ignore[misc]
    """smpplib's client, with TLS server-name verification, and a PDU of a command it does
    not know returned as ``_UnknownPdu`` instead of an exception that would end the session
    (and fail the batch) for something an SMSC may legitimately send."""

    def read_pdu(self) -> Any:
        raw_length = self._recv_exact(4)
        (length,) = struct.unpack(">L", raw_length)
        if length < 16:
            raise smpplib.exceptions.PDUError("Broken PDU")
        raw = raw_length + self._recv_exact(length - 4)
        command_id, status, sequence = struct.unpack(">LLL", raw[4:16])
        if command_id == _SUBMIT_SM_RESP:
            # Half of what a sending session reads: the message id is the only field.
            message_id = raw[16:].split(b"\0", 1)[0] if length > 16 else None
            return _SubmitResp(sequence=sequence, status=status, message_id=message_id)
        try:
            pdu = smpplib.smpp.parse_pdu(
                raw, client=self, allow_unknown_opt_params=self.allow_unknown_opt_params
            )
        except smpplib.exceptions.UnknownCommandError:
            return _UnknownPdu(command_id=command_id, sequence=sequence)
        if not pdu.is_error() and pdu.command in smpplib.consts.STATE_SETTERS:
            self.state = smpplib.consts.STATE_SETTERS[pdu.command]
        return pdu

    def _create_socket(self) -> socket.socket:
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.settimeout(self.timeout)
        if self._ssl_context is None:
            return raw
        wrapped: socket.socket = self._ssl_context.wrap_socket(raw, server_hostname=self.host)
        return wrapped


_CONNECTION_ERRORS = (
    smpplib.exceptions.ConnectionError,
    smpplib.exceptions.PDUError,
    OSError,
    ValueError,  # smpplib raises it on a garbled PDU
)


def _open_client(config: SmppConfig, bind: str, ssl_context: ssl.SSLContext | None) -> Any:
    context = (ssl_context or ssl.create_default_context()) if config.tls else None
    client = _Client(
        config.host,
        config.port,
        timeout=config.timeout,
        ssl_context=context,
        allow_unknown_opt_params=True,
        logger_name=f"{__name__}.client",
    )
    try:
        client.connect()
        getattr(client, f"bind_{bind}")(
            system_id=config.system_id,
            password=config.password,
            system_type=config.system_type,
        )
    except BaseException:
        client.disconnect()
        raise
    return client


def _close_client(
    client: Any,
    on_receipt: ReceiptCallback | None = None,
    on_inbound: InboundCallback | None = None,
) -> None:
    try:
        if client.state in (
            smpplib.consts.SMPP_CLIENT_STATE_BOUND_TX,
            smpplib.consts.SMPP_CLIENT_STATE_BOUND_RX,
            smpplib.consts.SMPP_CLIENT_STATE_BOUND_TRX,
        ):
            _unbind(client, on_receipt, on_inbound)
    except (*_CONNECTION_ERRORS, TimeoutError):
        pass
    finally:
        # The session is over either way; smpplib would log a warning for an unbind the
        # SMSC did not answer.
        client.state = smpplib.consts.SMPP_CLIENT_STATE_OPEN
        with contextlib.suppress(OSError):
            client.disconnect()


def _unbind(
    client: Any, on_receipt: ReceiptCallback | None, on_inbound: InboundCallback | None
) -> None:
    """Unbind, answering what the SMSC still pushes before its unbind_resp: a receipt that
    arrived as the batch ended is acknowledged and recorded, not lost (smpplib's ``unbind``
    would read it as the answer and drop it)."""
    request = smpplib.smpp.make_pdu("unbind", client=client)
    client._socket.sendall(request.generate())
    while True:
        pdu = client.read_pdu()
        if pdu.command == "unbind_resp" or pdu.command == "generic_nack":
            return
        if pdu.command == "deliver_sm":
            try:
                handle_deliver_sm(pdu, on_receipt, on_inbound)
            finally:
                _reply(client, "deliver_sm_resp", pdu)
        elif pdu.command == "enquire_link":
            _reply(client, "enquire_link_resp", pdu)


def _reply(client: Any, command: str, request: Any, *, status: int = 0, **kwargs: Any) -> None:
    """Answer ``request`` whatever the bind: some SMSCs push delivery receipts on a
    transmitter session, and smpplib's ``send_pdu`` refuses a ``deliver_sm_resp`` there —
    the SMSC then resends the receipt and may drop the session mid-batch."""
    response = smpplib.smpp.make_pdu(command, client=client, **kwargs)
    response.sequence = request.sequence
    response.status = status
    client._socket.sendall(response.generate())


# The bind states in which smpplib lets a submit_sm go (transmitter, transceiver).
_SUBMIT_STATES = frozenset(smpplib.consts.COMMAND_STATES["submit_sm"])
# Requests an ESME does not answer (SMPP 3.4 defines no response for them).
_UNANSWERED_REQUESTS = frozenset({"alert_notification"})
ESME_RINVCMDID = 0x03


class _ConnectionLost(Exception):
    pass


class _BindRefused(Exception):
    """The SMSC refused the bind itself (credentials, system type): retrying is useless."""


@dataclass
class _Job:
    index: int
    out: SmsOut
    data_coding: int
    esm_class: int
    parts: list[bytes]
    source: str
    source_ton: int
    source_npi: int
    destination: str
    part_ids: list[str | None]
    part_errors: list[TransportError | None]
    answered: int = 0


class SmppTransport(Transport):
    channel = "sms"
    kind = "smpp"

    def __init__(
        self,
        config: SmppConfig,
        *,
        throttle: Throttle | None = None,
        on_receipt: ReceiptCallback | None = None,
        on_inbound: InboundCallback | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.config = config
        self.ssl_context = ssl_context  # for smpps://; default: the system trust store
        self.throttle = throttle or Throttle(0)
        # Receipts and replies may arrive on this session: always on a transceiver bind, and
        # on a transmitter bind too with some SMSCs.
        self.on_receipt = on_receipt
        self.on_inbound = on_inbound
        self._client: Any = None
        self._open_failed = False
        self.binds = 0
        self.max_in_flight = 0

    @classmethod
    def from_settings(cls) -> Self:
        from django.conf import settings

        return cls(
            SmppConfig.from_url(settings.SMPP_URL),
            throttle=shared_throttle(cls.kind, settings.SMPP_MAX_PER_SECOND),
            on_receipt=lambda receipt: receipts_route(receipt, cls.channel),
            on_inbound=lambda sender, text: inbound_route(sender, text, cls.channel),
        )

    def _connect(self) -> Any:
        try:
            self._client = _open_client(self.config, self.config.bind, self.ssl_context)
        except smpplib.exceptions.PDUError as exc:
            raise _BindRefused(*exc.args) from exc
        self.binds += 1
        return self._client

    def open(self) -> None:
        try:
            self._connect()
        except (*_CONNECTION_ERRORS, _BindRefused):
            self._client = None
            self._open_failed = True

    def close(self) -> None:
        if self._client is not None:
            _close_client(self._client, self.on_receipt, self.on_inbound)
            self._client = None

    def _prepare(self, index: int, out: SmsOut) -> _Job:
        destination = out.to.strip()
        if destination.startswith("+"):
            destination = destination[1:]
        if not destination.isdigit() or not 6 <= len(destination) <= 15:
            raise ValueError(f"{out.to!r} is not an E.164 number")
        data_coding, esm_class, parts = encode_sms(out.text)
        source = out.sender or self.config.source
        if source == self.config.source:
            ton, npi = self.config.source_ton, self.config.source_npi
        elif source.lstrip("+").isdigit():
            source, ton, npi = source.lstrip("+"), 1, 1
        else:
            ton, npi = 5, 0
        return _Job(
            index=index,
            out=out,
            data_coding=data_coding,
            esm_class=esm_class,
            parts=parts,
            source=source,
            source_ton=ton,
            source_npi=npi,
            destination=destination,
            part_ids=[None] * len(parts),
            part_errors=[None] * len(parts),
        )

    def send_many(self, messages: Sequence[EmailOut] | Sequence[SmsOut]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(messages)
        jobs: list[_Job] = []
        for index, out in enumerate(messages):
            if not isinstance(out, SmsOut):
                raise TypeError(f"SmppTransport sends SmsOut, got {type(out).__name__}")
            try:
                jobs.append(self._prepare(index, out))
            except ValueError as exc:
                error = TransportError(f"Unsendable SMS: {exc}", permanent=True)
                outcomes[index] = Outcome(out.key, None, error)

        # One reconnection per batch; none more if open() already failed to bind just now.
        attempts_left = 1 if self._open_failed else 2
        self._open_failed = False
        while jobs:
            try:
                client = self._client or self._connect()
                self._submit(client, jobs)
            except (*_CONNECTION_ERRORS, _ConnectionLost, _BindRefused) as exc:
                self.close()
                unfinished: list[_Job] = []
                for job in jobs:
                    if job.answered == len(job.parts):
                        outcomes[job.index] = _job_outcome(job)
                        continue
                    # What was in flight is resent whole: a duplicate SMS is the lesser harm.
                    job.answered = 0
                    job.part_ids = [None] * len(job.parts)
                    job.part_errors = [None] * len(job.parts)
                    unfinished.append(job)
                jobs = unfinished
                attempts_left -= 1
                if attempts_left <= 0 or isinstance(exc, _BindRefused):
                    error = _connection_error(exc)
                    for job in jobs:
                        outcomes[job.index] = Outcome(job.out.key, None, error)
                    jobs = []
                continue
            for job in jobs:
                outcomes[job.index] = _job_outcome(job)
            jobs = []
        assert all(outcome is not None for outcome in outcomes)
        return [outcome for outcome in outcomes if outcome is not None]

    def _submit(self, client: Any, jobs: list[_Job]) -> None:
        cfg = self.config
        pending: dict[int, tuple[_Job, int]] = {}
        for job in jobs:
            for part_index, short_message in enumerate(job.parts):
                while len(pending) >= cfg.window:
                    self._read_one(client, pending)
                self.throttle.wait()
                if client.state not in _SUBMIT_STATES:
                    raise smpplib.exceptions.PDUError("submit_sm outside a bound session")
                sequence = client.next_sequence()
                raw = submit_sm_pdu(
                    sequence,
                    source_ton=job.source_ton,
                    source_npi=job.source_npi,
                    source=job.source,
                    dest_ton=cfg.dest_ton,
                    dest_npi=cfg.dest_npi,
                    destination=job.destination,
                    esm_class=job.esm_class,
                    registered_delivery=cfg.registered_delivery,
                    data_coding=job.data_coding,
                    short_message=short_message,
                )
                try:
                    client._socket.sendall(raw)
                except OSError as exc:
                    raise smpplib.exceptions.ConnectionError() from exc
                pending[sequence] = (job, part_index)
                self.max_in_flight = max(self.max_in_flight, len(pending))
        while pending:
            self._read_one(client, pending)

    def _read_one(self, client: Any, pending: dict[int, tuple[_Job, int]]) -> None:
        try:
            pdu = client.read_pdu()
        except TimeoutError as exc:
            raise _ConnectionLost(f"no submit_sm_resp within {self.config.timeout:g} s") from exc
        command = pdu.command
        if command in ("submit_sm_resp", "generic_nack"):
            entry = pending.pop(pdu.sequence, None)
            if entry is None:
                if command == "generic_nack":
                    raise _ConnectionLost(f"generic_nack 0x{int(pdu.status):02X}")
                return
            job, part_index = entry
            job.answered += 1
            status = int(pdu.status or 0)
            if status == ESME_ROK and command == "submit_sm_resp":
                job.part_ids[part_index] = _text(pdu.message_id).strip("\x00") or None
            else:
                job.part_errors[part_index] = status_error(status or 0xFF)
        elif command == "enquire_link":
            _reply(client, "enquire_link_resp", pdu)
        elif command == "deliver_sm":
            try:
                handle_deliver_sm(pdu, self.on_receipt, self.on_inbound)
            finally:
                _reply(client, "deliver_sm_resp", pdu)
        elif command == "unbind":
            _reply(client, "unbind_resp", pdu)
            raise _ConnectionLost("the SMSC unbound the session")
        elif isinstance(pdu, _UnknownPdu) or not (
            command.endswith("_resp") or command in _UNANSWERED_REQUESTS
        ):
            # A request this ESME does not serve (data_sm, query_sm…, or a command smpplib
            # does not know): refuse it and carry on, the batch is not the SMSC's business.
            logger.info("SMSC sent %s: answered generic_nack", command)
            nack = smpplib.smpp.make_pdu("generic_nack", client=client)
            nack.sequence, nack.status = pdu.sequence, ESME_RINVCMDID
            client._socket.sendall(nack.generate())


def _job_outcome(job: _Job) -> Outcome:
    errors = [error for error in job.part_errors if error is not None]
    if errors:
        permanent = [error for error in errors if error.permanent]
        error = permanent[0] if permanent else errors[0]
        if len(job.parts) > 1:
            error = TransportError(
                f"{len(errors)} of {len(job.parts)} parts refused: {error.message}",
                permanent=error.permanent,
            )
        return Outcome(job.out.key, None, error)
    return Outcome(job.out.key, job.part_ids[0], None)


def _connection_error(exc: BaseException) -> TransportError:
    if isinstance(exc, _BindRefused):
        status = exc.args[1] if len(exc.args) > 1 else 0
        return TransportError(
            f"SMPP bind refused ({exc.args[0]}): check SMPP_URL credentials. "
            f"{status_error(int(status)).message}"
        )
    return TransportError(f"SMSC unavailable: {exc!r}")


# -- receiver --------------------------------------------------------------------------


class SmppReceiver:
    """Keeps a receiver (or transceiver) bind open and hands every deliver_sm to callbacks.

    ``run()`` blocks until ``stop_event`` is set, reconnecting after failures; meant for a
    long-running management command or thread. Callbacks run on this thread; an exception
    in one is logged and the PDU still acknowledged, or the SMSC would resend it forever.
    """

    def __init__(
        self,
        config: SmppConfig,
        *,
        on_receipt: ReceiptCallback,
        on_inbound: InboundCallback | None = None,
        stop_event: threading.Event | None = None,
        bind: str = "receiver",
        poll_interval: float = 0.2,
        enquire_link_interval: float = 30.0,
        reconnect_delay: float = 5.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if bind not in {"receiver", "transceiver"}:
            raise ValueError("bind must be receiver or transceiver")
        self.config = replace(config, bind=bind)
        self.ssl_context = ssl_context
        self.on_receipt = on_receipt
        self.on_inbound = on_inbound
        self.stop_event = stop_event or threading.Event()
        self.bind = bind
        self.poll_interval = poll_interval
        self.enquire_link_interval = enquire_link_interval
        self.reconnect_delay = reconnect_delay
        self.bound = threading.Event()

    def stop(self) -> None:
        self.stop_event.set()

    def _receipt(self, receipt: Receipt) -> None:
        try:
            self.on_receipt(receipt)
        except Exception:
            logger.exception("Delivery receipt callback failed for %s", receipt.provider_id)

    def _inbound(self, sender: str, text: str) -> None:
        if self.on_inbound is None:
            return
        try:
            self.on_inbound(sender, text)
        except Exception:
            logger.exception("Inbound SMS callback failed")

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                client = _open_client(self.config, self.bind, self.ssl_context)
            except _CONNECTION_ERRORS as exc:
                logger.warning("SMPP receiver cannot bind: %r", exc)
                self.stop_event.wait(self.reconnect_delay)
                continue
            self.bound.set()
            try:
                self._listen(client)
            except (*_CONNECTION_ERRORS, _ConnectionLost) as exc:
                logger.warning("SMPP receiver lost its session: %r", exc)
                self.stop_event.wait(self.reconnect_delay)
            finally:
                self.bound.clear()
                _close_client(client)

    def _listen(self, client: Any) -> None:
        idle = 0.0
        while not self.stop_event.is_set():
            # select() before read_pdu(): a socket timeout inside a half-read PDU would
            # desynchronise the stream.
            sock = client._socket
            buffered = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
            readable = buffered or select.select([sock], [], [], self.poll_interval)[0]
            if not readable:
                idle += self.poll_interval
                if idle >= self.enquire_link_interval:
                    client.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=client))
                    idle = 0.0
                continue
            idle = 0.0
            pdu = client.read_pdu()
            command = pdu.command
            if command == "deliver_sm":
                try:
                    handle_deliver_sm(pdu, self._receipt, self._inbound)
                finally:
                    _reply(client, "deliver_sm_resp", pdu)
            elif command == "enquire_link":
                _reply(client, "enquire_link_resp", pdu)
            elif command == "unbind":
                _reply(client, "unbind_resp", pdu)
                raise _ConnectionLost("the SMSC unbound the session")
