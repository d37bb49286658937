"""E-mail transport over SMTP, and the parser for the bounces it causes.

smtplib is used directly rather than Django's e-mail backend because dispatch needs one
result per recipient (a 550 for one resident must not fail the batch, a 451 must be retried)
and a Message-ID it chose, to match bounces and complaints to deliveries later.

Each message carries ``X-Beffroi-Delivery: <key>``; a DSN (RFC 3464) quotes the original
headers, so ``parse_bounce`` finds the delivery without keeping a Message-ID index.
"""

from __future__ import annotations

import binascii
import contextlib
import email
import email.policy
import re
import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, HeaderParser
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from typing import Self

from beffroi.core.env import parse_email_url
from beffroi.messaging.base import (
    EmailOut,
    Outcome,
    SmsOut,
    Throttle,
    Transport,
    TransportError,
)
from beffroi.messaging.throttle import shared_throttle

__all__ = [
    "DELIVERY_HEADER",
    "Bounce",
    "SmtpConfig",
    "SmtpTransport",
    "parse_bounce",
    "sender_address",
]

DELIVERY_HEADER = "X-Beffroi-Delivery"
# Bounce matching and threading depend on these: a caller's extra headers may not replace them.
_RESERVED_HEADERS = frozenset(
    {"from", "to", "date", "message-id", "auto-submitted", DELIVERY_HEADER.lower()}
    | {"mime-version", "content-type", "content-transfer-encoding"}
)
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 ftext: printable ASCII but ":"
# What an ASCII address may be made of in an SMTP envelope (no quoted local parts: a
# resident's address that needs them is refused as unsendable, like a non-ASCII one).
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def _plain_value(value: str) -> str:
    """A header value that must be ASCII and on one line (addresses, keys, URLs)."""
    if "\r" in value or "\n" in value:
        raise ValueError("header values cannot contain line breaks")
    if not value.isascii():
        raise ValueError(f"{value!r} is not ASCII")
    return value


def _encoded_value(name: str, value: str) -> str:
    """A free-text header value: RFC 2047 encoded-words when not ASCII, folded."""
    if "\r" in value or "\n" in value:
        raise ValueError("header values cannot contain line breaks")
    if value.isascii() and len(name) + len(value) < 76:
        return value
    return Header(value, "utf-8", header_name=name).encode(linesep="\r\n")


def _recipient(to: str) -> str:
    """The envelope recipient: a bare ASCII address, or ValueError."""
    if not _ADDRESS.fullmatch(to):
        address = Address(addr_spec=to).addr_spec  # the precise reason, or a valid form
        if not address.isascii() or not _ADDRESS.fullmatch(address):
            raise ValueError(f"{to!r} is not an ASCII address")
        return address
    return to


class _BareEnvelope(smtplib.SMTP):
    """smtplib's client for envelope addresses that are already bare ASCII addr-specs (what
    ``_recipient`` returns, and the configured sender): MAIL and RCPT without smtplib's
    ``quoteaddr``, an RFC 2822 parse of the address at each command, which cost a sending
    worker more CPU than formatting the message. Any other address, or an SMTPUTF8 option,
    goes through smtplib unchanged."""

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        if not _ADDRESS.fullmatch(sender) or any(o.lower() == "smtputf8" for o in options):
            return super().mail(sender, options)
        optionlist = " " + " ".join(options) if options and self.does_esmtp else ""
        self.putcmd("mail", f"FROM:<{sender}>{optionlist}")
        return self.getreply()

    def rcpt(self, recip: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        if not _ADDRESS.fullmatch(recip):
            return super().rcpt(recip, options)
        optionlist = " " + " ".join(options) if options and self.does_esmtp else ""
        self.putcmd("rcpt", f"TO:<{recip}>{optionlist}")
        return self.getreply()

    def pipelines(self, sender: str) -> bool:
        """Whether the relay takes pipelined commands (PIPELINING, RFC 2920, offered by
        Postfix, Exim and the mailbox providers' relays) for this bare sender."""
        self.ehlo_or_helo_if_needed()
        return bool(self.has_extn("pipelining") and _ADDRESS.fullmatch(sender))


def _data_block(message: bytes) -> bytes:
    """The DATA of ``message``: lines starting with a dot doubled (RFC 5321 4.5.2), ended
    by CRLF.CRLF (what smtplib's ``data`` sends)."""
    block = _LEADING_DOT.sub(b"..", message)
    if not block.endswith(b"\r\n"):
        block += b"\r\n"
    return block + b".\r\n"


_LEADING_DOT = re.compile(rb"(?m)^\.")


class _BareEnvelopeSsl(_BareEnvelope, smtplib.SMTP_SSL):
    """``_BareEnvelope`` over implicit TLS (smtps://)."""


def _unsubscribe_links(out: EmailOut) -> str:
    links = []
    if out.unsubscribe_url:
        links.append(f"<{out.unsubscribe_url}>")
    if out.unsubscribe_mailto:
        mailto = out.unsubscribe_mailto
        links.append(f"<{mailto if mailto.startswith('mailto:') else 'mailto:' + mailto}>")
    return ", ".join(links)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    user: str = ""
    password: str = ""
    starttls: bool = False
    ssl: bool = False
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 30.0, name: str = "ALERT_EMAIL_URL") -> Self:
        """``smtp://user:pw@host:587?tls=1`` (STARTTLS) or ``smtps://user:pw@host:465``."""
        parsed = parse_email_url(name, url)
        if not parsed.host:
            raise ValueError(f"{name} must be an smtp:// or smtps:// URL, got {url.split(':')[0]}:")
        return cls(
            host=parsed.host,
            port=parsed.port,
            user=parsed.user,
            password=parsed.password,
            starttls=parsed.use_tls,
            ssl=parsed.use_ssl,
            timeout=timeout,
        )


def _smtp_error(code: int, reply: bytes | str, what: str) -> TransportError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    if code == 530:
        # RFC 4954 "authentication required": our relay configuration, not the address.
        return TransportError(f"SMTP 530 {what}: {text} (check ALERT_EMAIL_URL credentials)")
    # RFC 5321: 4yz is "try again later", 5yz is final. Anything else is a protocol oddity;
    # treat it as temporary rather than lose the warning.
    return TransportError(f"SMTP {code} {what}: {text}", permanent=500 <= code < 600)


def sender_address(from_email: str, sender_name: str = "") -> str:
    """The From of a message: ``from_email`` (the configured sender), its display name
    replaced by ``sender_name`` when one is given ("Commune de Valmont <alertes@…>").
    Whitespace in the name is folded to single spaces: a line break would inject headers."""
    name = " ".join(sender_name.split())
    address = parseaddr(from_email)[1]
    if not name or not address:
        return from_email
    # Address quotes a name with specials ("Valmont, commune") and keeps it readable; the
    # transport encodes it for the wire.
    return str(Address(display_name=name, addr_spec=address))


class SmtpTransport(Transport):
    channel = "email"
    kind = "smtp"

    def __init__(
        self,
        config: SmtpConfig,
        *,
        from_email: str,
        return_path: str = "",
        ssl_context: ssl.SSLContext | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        self.config = config
        self.from_email = from_email
        # A relay caps messages per second too (and mailbox providers defer a sender that
        # bursts): one shared pace for every worker, like the SMS gateways.
        self.throttle = throttle or Throttle(0)
        self.envelope_from = return_path or parseaddr(from_email)[1]
        _, domain = self.envelope_from.rpartition("@")[::2]
        # make_msgid() without a domain resolves the host's FQDN, a DNS call per message.
        self.msgid_domain = domain or "beffroi.localhost"
        self.ssl_context = ssl_context
        self._smtp: _BareEnvelope | None = None
        self.sessions_opened = 0
        self._from_cache: dict[str, str] = {}
        self._subjects: dict[str, str] = {}
        self._date_second = -1
        self._date_value = ""

    @classmethod
    def from_settings(cls) -> Self:
        from django.conf import settings

        return cls(
            SmtpConfig.from_url(settings.ALERT_EMAIL_URL, timeout=settings.ALERT_EMAIL_TIMEOUT),
            from_email=settings.ALERT_EMAIL_FROM,
            return_path=settings.ALERT_EMAIL_RETURN_PATH,
            throttle=shared_throttle(cls.kind, settings.ALERT_EMAIL_MAX_PER_SECOND),
        )

    # -- connection --------------------------------------------------------------------

    def _connect(self) -> _BareEnvelope:
        cfg = self.config
        context: ssl.SSLContext | None = None
        if cfg.ssl or cfg.starttls:
            # Loading the trust store costs ~0.2 s: only when TLS is actually used.
            context = self.ssl_context or ssl.create_default_context()
        smtp: _BareEnvelope
        if cfg.ssl:
            smtp = _BareEnvelopeSsl(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
        else:
            smtp = _BareEnvelope(cfg.host, cfg.port, timeout=cfg.timeout)
        try:
            smtp.ehlo()
            if cfg.starttls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if cfg.user:
                smtp.login(cfg.user, cfg.password)
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        self.sessions_opened += 1
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def open(self) -> None:
        try:
            self._connect()
        except (OSError, smtplib.SMTPException):
            # send_many() retries once and reports every message as temporary if the server
            # is still unreachable: the caller's backoff handles an outage.
            self._smtp = None

    def close(self) -> None:
        if self._smtp is None:
            return
        with contextlib.suppress(OSError, smtplib.SMTPException):
            self._smtp.quit()
        self._drop()

    # -- messages ----------------------------------------------------------------------

    def render(self, out: EmailOut) -> tuple[bytes, str]:
        """The bytes to send for ``out`` and its Message-ID.

        A plain-text alert (every dispatch message) is formatted directly: the same headers
        and quoted-printable body as ``build_message`` (a test parses both and compares),
        at a fiftieth of the cost. ``EmailMessage`` with the modern policy spends about
        0.5 ms per message re-creating header classes, which at 100,000 residents was a
        minute of a worker's CPU. HTML alternatives and attachments go through
        ``build_message``.
        """
        if out.html is not None or out.attachments:
            msg, message_id = self.build_message(out)
            return msg.as_bytes(), message_id
        message_id = make_msgid(domain=self.msgid_domain)
        lines = []
        # The From is encoded once per sender name (``_from_header``): parsing the address
        # for every message cost more than the rest of the rendering.
        sender = self._from_header(out.sender_name)
        for name, value, free_text in self._headers(out, message_id, sender):
            if name == "From":
                pass  # encoded already
            elif name == "Subject":
                value = self._subject_header(value)
            elif free_text:
                value = _encoded_value(name, value)
            else:
                value = _plain_value(value)
            lines.append(f"{name}: {value}")
        lines += [
            "MIME-Version: 1.0",
            'Content-Type: text/plain; charset="utf-8"',
            "Content-Transfer-Encoding: quoted-printable",
            "",
            "",
        ]
        text = out.text.replace("\r\n", "\n").replace("\r", "\n")
        if not text.endswith("\n"):
            text += "\n"
        body = binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")
        return "\r\n".join(lines).encode("ascii") + body, message_id

    def _headers(self, out: EmailOut, message_id: str, sender: str) -> list[tuple[str, str, bool]]:
        """The headers of ``out`` before encoding, in order: (name, value, free text?), with
        ``sender`` as its From. Free text may need RFC 2047 encoded-words; the others must be
        ASCII as they are."""
        headers = [
            ("From", sender, True),
            ("To", out.to, False),
            ("Subject", out.subject, True),
            ("Date", self._date_header(), False),
            ("Message-ID", message_id, False),
            # RFC 3834: stops vacation responders from answering an alert, and tells filters
            # that nobody reads replies.
            ("Auto-Submitted", "auto-generated", False),
            ("X-Auto-Response-Suppress", "OOF, AutoReply", False),
            (DELIVERY_HEADER, out.key, False),
        ]
        links = _unsubscribe_links(out)
        if links:
            headers.append(("List-Unsubscribe", links, False))
        if out.unsubscribe_url.startswith("https://"):
            # RFC 8058 one-click: mailbox providers POST to the HTTPS URL themselves.
            headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click", False))
        for name, value in out.headers.items():
            if name.lower() in _RESERVED_HEADERS:
                raise ValueError(f"header {name} is set by the transport")
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"invalid header name {name!r}")
            headers.append((name, value, True))
        return headers

    def _from_header(self, sender_name: str = "") -> str:
        # A batch comes from one or a few organisations: encode each From once.
        cached = self._from_cache.get(sender_name)
        if cached is None:
            name, address = parseaddr(sender_address(self.from_email, sender_name))
            if not address or not address.isascii():
                raise ValueError(f"unusable sender address {self.from_email!r}")
            cached = formataddr((name, address), charset="utf-8")
            if len(self._from_cache) < 64:
                self._from_cache[sender_name] = cached
        return cached

    def _date_header(self) -> str:
        # Hundreds of messages a second share the second they leave in: format it once.
        now = int(time.time())
        if now != self._date_second:
            self._date_second = now
            self._date_value = format_datetime(datetime.fromtimestamp(now, UTC))
        return self._date_value

    def _subject_header(self, subject: str) -> str:
        # A batch shares one subject per language: encode each once.
        cached = self._subjects.get(subject)
        if cached is None:
            cached = _encoded_value("Subject", subject)
            if len(self._subjects) < 64:
                self._subjects[subject] = cached
        return cached

    def build_message(self, out: EmailOut) -> tuple[EmailMessage, str]:
        """The MIME message for ``out`` and its Message-ID. Raises ValueError on a header
        that would allow injection (a newline in a value) or an unusable address."""
        msg = EmailMessage(policy=email.policy.SMTP)
        message_id = make_msgid(domain=self.msgid_domain)
        sender = sender_address(self.from_email, out.sender_name)
        for name, value, _free_text in self._headers(out, message_id, sender):
            del msg[name]
            msg[name] = value
        # Quoted-printable keeps the message 7-bit clean: relays without 8BITMIME would
        # otherwise mangle every accented letter of a French warning.
        msg.set_content(out.text, charset="utf-8", cte="quoted-printable")
        if out.html is not None:
            msg.add_alternative(out.html, subtype="html", charset="utf-8", cte="quoted-printable")
        for filename, content, mime_type in out.attachments:
            maintype, _slash, subtype = mime_type.partition("/")
            msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
        return msg, message_id

    def send_many(self, messages: Sequence[EmailOut] | Sequence[SmsOut]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(messages)
        ready: list[_Ready] = []
        for index, out in enumerate(messages):
            if not isinstance(out, EmailOut):
                raise TypeError(f"SmtpTransport sends EmailOut, got {type(out).__name__}")
            try:
                raw, message_id = self.render(out)
                recipient = _recipient(out.to)
                if not recipient.isascii():
                    # An internationalised local part needs SMTPUTF8, which few relays offer.
                    raise ValueError(f"{recipient!r} is not an ASCII address")
            except (ValueError, TypeError, IndexError) as exc:
                error = TransportError(f"Unsendable message: {exc}", permanent=True)
                outcomes[index] = Outcome(out.key, None, error)
                continue
            ready.append(_Ready(index, out.key, recipient, raw, message_id))
        reconnect_left = 1
        down: Exception | None = None
        while ready:
            try:
                smtp = self._smtp or self._connect()
            except (smtplib.SMTPException, OSError) as exc:
                # Unreachable, TLS or authentication failure: nothing of this batch can go
                # out; the whole batch is retried later (an auth error says so loudly).
                down = exc
                break
            try:
                if smtp.pipelines(self.envelope_from):
                    self._pipelined(smtp, ready, outcomes)
                else:
                    self._one_by_one(smtp, ready, outcomes)
            except (smtplib.SMTPException, OSError) as exc:
                # Disconnected, refused, reset, timed out: what the relay had not answered
                # may or may not have been queued; resending once is the lesser harm than
                # a missed alert.
                self._drop()
                ready = [item for item in ready if outcomes[item.index] is None]
                if reconnect_left:
                    reconnect_left -= 1
                    continue
                down = exc
            break
        if down is not None:
            error = TransportError(f"SMTP server unavailable: {down!r}")
            for item in ready:
                outcomes[item.index] = Outcome(item.key, None, error)
        return [outcome for outcome in outcomes if outcome is not None]

    def _refused(self, item: _Ready, mail: _Reply, rcpt: _Reply, data: _Reply) -> Outcome:
        """The outcome of a transaction the relay refused before the message (the first
        refusal of MAIL, RCPT, DATA), as ``sendmail``'s exceptions are read below."""
        if mail[0] != 250:
            return Outcome(item.key, None, self._sender_refused(mail[0], mail[1]))
        if rcpt[0] not in (250, 251):
            return Outcome(item.key, None, _smtp_error(rcpt[0], rcpt[1], "recipient"))
        return Outcome(item.key, None, _smtp_error(data[0], data[1], "data"))

    def _sender_refused(self, code: int, reply: bytes) -> TransportError:
        # Our own envelope sender is refused: a configuration problem of the whole channel,
        # not of this resident. Never mark the resident's address bad.
        return TransportError(
            f"SMTP {code} sender {self.envelope_from} refused (check "
            f"ALERT_EMAIL_FROM / ALERT_EMAIL_RETURN_PATH): {reply!r}"
        )

    def _pipelined(
        self, smtp: _BareEnvelope, items: list[_Ready], outcomes: list[Outcome | None]
    ) -> None:
        """Send ``items`` in one round trip each (RFC 2920): every write carries the message
        whose DATA the relay just accepted, then the next message's MAIL, RCPT and DATA;
        every read, that message's final answer and the next one's three. A refused
        transaction is reset by an RSET at the head of the next write. Outcomes are set as
        the answers come; a broken connection raises, leaving unset what was unanswered."""
        body: _Ready | None = None  # its DATA accepted, its message not sent yet
        reset = False  # an RSET is owed before the next transaction
        position = 0
        while True:
            chunk: list[bytes] = []
            sent_body = body
            if body is not None:
                chunk.append(_data_block(body.raw))
                body = None
            if reset and position < len(items):
                chunk.append(b"RSET\r\n")
            item = items[position] if position < len(items) else None
            if item is not None:
                position += 1
                self.throttle.wait()
                size = f" SIZE={len(item.raw)}" if smtp.has_extn("size") else ""
                chunk.append(
                    f"MAIL FROM:<{self.envelope_from}>{size}\r\nRCPT TO:<{item.recipient}>"
                    "\r\nDATA\r\n".encode("ascii")
                )
            if not chunk:
                break
            smtp.send(b"".join(chunk))
            if sent_body is not None:
                code, reply = smtp.getreply()
                outcomes[sent_body.index] = (
                    Outcome(sent_body.key, sent_body.message_id, None)
                    if code == 250
                    else Outcome(sent_body.key, None, _smtp_error(code, reply, "data"))
                )
                _closing(smtp, code)
            if reset and item is not None:
                smtp.getreply()
                reset = False
            if item is None:
                break
            mail, rcpt, data = smtp.getreply(), smtp.getreply(), smtp.getreply()
            if data[0] == 354 and mail[0] == 250 and rcpt[0] in (250, 251):
                body = item
                continue
            if data[0] == 354:
                # A relay that opened the data after a refusal: end it, empty.
                smtp.send(b".\r\n")
                smtp.getreply()
            outcomes[item.index] = self._refused(item, mail, rcpt, data)
            for code, _reply in (mail, rcpt, data):
                _closing(smtp, code)
            reset = True
        if reset:
            # The last transaction was refused: leave the session clean for the next batch.
            smtp.rset()

    def _one_by_one(
        self, smtp: _BareEnvelope, items: list[_Ready], outcomes: list[Outcome | None]
    ) -> None:
        """Send ``items`` with ``sendmail``, four round trips each (a relay without
        PIPELINING). A broken connection raises, leaving unset what was not answered."""
        for item in items:
            self.throttle.wait()
            try:
                smtp.sendmail(self.envelope_from, [item.recipient], item.raw)
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = exc.recipients.get(item.recipient, (550, b"refused"))
                error = _smtp_error(code, reply, "recipient")
            except smtplib.SMTPSenderRefused as exc:
                error = self._sender_refused(exc.smtp_code, exc.smtp_error)
            except (smtplib.SMTPNotSupportedError, UnicodeError) as exc:
                error = TransportError(f"Unsendable message: {exc}", permanent=True)
            except smtplib.SMTPResponseException as exc:
                error = _smtp_error(exc.smtp_code, exc.smtp_error, "data")
            else:
                outcomes[item.index] = Outcome(item.key, item.message_id, None)
                continue
            outcomes[item.index] = Outcome(item.key, None, error)


type _Reply = tuple[int, bytes]


@dataclass(frozen=True, slots=True)
class _Ready:
    """A message of the batch, rendered, with its envelope recipient."""

    index: int
    key: str
    recipient: str
    raw: bytes
    message_id: str


def _closing(smtp: smtplib.SMTP, code: int) -> None:
    """421: the relay is closing the session (RFC 5321 3.8): close it on our side too, and
    let the caller reconnect for what is left."""
    if code == 421:
        smtp.close()
        raise smtplib.SMTPServerDisconnected("the relay closed the session (421)")


# -- bounces ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bounce:
    key: str  # the X-Beffroi-Delivery of the original message
    permanent: bool
    status: str  # enhanced status code, "5.1.1"
    diagnostic: str
    recipient: str = ""
    action: str = ""


_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


def _original_headers(report: Message) -> Message | None:
    for part in report.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                inner = payload[0]
                if isinstance(inner, Message):
                    return inner
        elif ctype == "text/rfc822-headers":
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                return BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
            text = part.get_payload()
            if isinstance(text, str):
                return HeaderParser(policy=email.policy.default).parsestr(text)
    return None


def _status_fields(report: Message) -> list[Message]:
    """The per-message and per-recipient field groups of the message/delivery-status part."""
    for part in report.walk():
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            if isinstance(payload, list):
                return [group for group in payload if isinstance(group, Message)]
    return []


def parse_bounce(message_bytes: bytes) -> Bounce | None:
    """Read a delivery status notification (RFC 3464 ``multipart/report``).

    Returns None when the message is not a DSN about one of our deliveries (an ordinary
    reply, an out-of-office, a "delivered" or "relayed" report). 5.x.x is permanent (the
    address is dead), 4.x.x temporary (a full mailbox, a "delayed" warning).
    """
    report = email.message_from_bytes(message_bytes, policy=email.policy.default)
    if report.get_content_type() != "multipart/report":
        return None
    if report.get_param("report-type", header="content-type") != "delivery-status":
        return None
    original = _original_headers(report)
    key = str(original.get(DELIVERY_HEADER, "")).strip() if original is not None else ""
    if not key:
        return None
    for group in _status_fields(report):
        action = str(group.get("Action", "")).strip().lower()
        if not action:
            continue  # the per-message group (Reporting-MTA, Arrival-Date)
        if action not in {"failed", "delayed"}:
            return None
        status = str(group.get("Status", "")).strip()
        diagnostic = " ".join(str(group.get("Diagnostic-Code", "")).split())
        match = _STATUS.search(status) or _STATUS.search(diagnostic)
        status = match.group(0) if match else ("5.0.0" if action == "failed" else "4.0.0")
        recipient = str(group.get("Final-Recipient") or group.get("Original-Recipient") or "")
        _, _, recipient = recipient.partition(";")
        return Bounce(
            key=key,
            permanent=status.startswith("5") and action == "failed",
            status=status,
            diagnostic=diagnostic.partition(";")[2].strip() or diagnostic,
            recipient=recipient.strip(),
            action=action,
        )
    return None
