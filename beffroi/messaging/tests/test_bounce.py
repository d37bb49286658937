"""parse_bounce on delivery status notifications shaped like Postfix's and Exim's."""

from __future__ import annotations

from beffroi.messaging.base import EmailOut
from beffroi.messaging.email import SmtpConfig, SmtpTransport, parse_bounce


def _original_headers() -> str:
    transport = SmtpTransport(
        SmtpConfig(host="127.0.0.1", port=25), from_email="alertes@mairie-beffroi.fr"
    )
    message, _ = transport.build_message(
        EmailOut(key="dlv-42", to="gone@example.org", subject="Alerte crue — évacuation", text="x")
    )
    head, _, _ = message.as_string().partition("\r\n\r\n")
    return head.replace("\r\n", "\n")


def _postfix_dsn(*, action: str, status: str, diagnostic: str) -> bytes:
    return f"""Return-Path: <>
Received: by mx.mairie-beffroi.fr (Postfix) id 4F1A2B3C4D; Thu, 26 Nov 2026 02:10:11 +0100 (CET)
Date: Thu, 26 Nov 2026 02:10:11 +0100 (CET)
From: MAILER-DAEMON@mx.mairie-beffroi.fr (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: bounces@mairie-beffroi.fr
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4F1A2B3C4D.1764119411/mx.mairie-beffroi.fr"
Message-Id: <20261126011011.5E6F7A8B9C@mx.mairie-beffroi.fr>

This is a MIME-encapsulated message.

--4F1A2B3C4D.1764119411/mx.mairie-beffroi.fr
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.mairie-beffroi.fr.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<gone@example.org>: host mx.example.org[203.0.113.7] said: {diagnostic}

--4F1A2B3C4D.1764119411/mx.mairie-beffroi.fr
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.mairie-beffroi.fr
X-Postfix-Queue-ID: 4F1A2B3C4D
X-Postfix-Sender: rfc822; bounces@mairie-beffroi.fr
Arrival-Date: Thu, 26 Nov 2026 02:10:10 +0100 (CET)

Final-Recipient: rfc822; gone@example.org
Original-Recipient: rfc822;gone@example.org
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; {diagnostic}

--4F1A2B3C4D.1764119411/mx.mairie-beffroi.fr
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

{_original_headers()}

--4F1A2B3C4D.1764119411/mx.mairie-beffroi.fr--
""".replace("\n", "\r\n").encode()


def test_it_reads_a_permanent_bounce() -> None:
    bounce = parse_bounce(
        _postfix_dsn(
            action="failed",
            status="5.1.1",
            diagnostic="550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown",
        )
    )
    assert bounce is not None
    assert bounce.key == "dlv-42"
    assert bounce.permanent is True
    assert bounce.status == "5.1.1"
    assert bounce.recipient == "gone@example.org"
    assert "User unknown" in bounce.diagnostic
    assert bounce.diagnostic.startswith("550 5.1.1")


def test_it_reads_a_delayed_warning_as_temporary() -> None:
    bounce = parse_bounce(
        _postfix_dsn(action="delayed", status="4.2.2", diagnostic="452 4.2.2 Mailbox full")
    )
    assert bounce is not None
    assert bounce.key == "dlv-42"
    assert bounce.permanent is False
    assert bounce.status == "4.2.2"
    assert bounce.action == "delayed"


def test_it_reads_a_bounce_quoting_the_whole_message() -> None:
    transport = SmtpTransport(
        SmtpConfig(host="127.0.0.1", port=25), from_email="alertes@mairie-beffroi.fr"
    )
    original, _ = transport.build_message(
        EmailOut(key="dlv-7", to="x@example.org", subject="Alerte", text="Évacuez.")
    )
    boundary = "b0undary"
    dsn = (
        (
            "From: Mail Delivery Subsystem <mailer-daemon@example.org>\r\n"
            "To: bounces@mairie-beffroi.fr\r\nSubject: Mail delivery failed\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;\r\n"
            f' boundary="{boundary}"\r\n'
            "\r\n"
            f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
            f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.example.org\r\n\r\n"
            "Action: failed\r\nFinal-Recipient: rfc822;x@example.org\r\nStatus: 5.2.1\r\n"
            "Diagnostic-Code: smtp; 550 5.2.1 mailbox disabled\r\n\r\n"
            f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n"
        ).encode()
        + original.as_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    bounce = parse_bounce(dsn)
    assert bounce is not None
    assert bounce.key == "dlv-7"
    assert bounce.permanent is True
    assert bounce.status == "5.2.1"
    assert bounce.diagnostic == "550 5.2.1 mailbox disabled"


def test_it_ignores_messages_that_are_not_bounces_of_ours() -> None:
    assert parse_bounce(b"From: a@example.org\r\nSubject: Re: Alerte\r\n\r\nMerci !\r\n") is None
    foreign = _postfix_dsn(action="failed", status="5.1.1", diagnostic="550 no").replace(
        b"X-Beffroi-Delivery", b"X-Other-Header"
    )
    assert parse_bounce(foreign) is None
    relayed = _postfix_dsn(action="relayed", status="2.0.0", diagnostic="250 ok")
    assert parse_bounce(relayed) is None
