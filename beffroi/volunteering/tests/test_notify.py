"""One e-mail to a volunteer or an organiser: what the relay received, and a refusal or an
unreachable relay answered False (the decision it tells is already recorded), never raised."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from beffroi.messaging.testing import smtp_server
from beffroi.volunteering.notify import email_send


def _send(to: str = "camille@example.org") -> bool:
    return email_send(
        sender_name="Mairie de Valmont",
        key="vol-test-1",
        to=to,
        subject="Votre candidature",
        text="Bonjour Camille,",
        attachments=(("mission.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar"),),
    )


def test_it_sends_the_e_mail_with_its_attachment(settings: Any) -> None:
    with smtp_server() as smtp:
        settings.ALERT_EMAIL_URL = smtp.url
        assert _send() is True
    [mail] = smtp.received
    assert mail.rcpt_tos == ["camille@example.org"]
    assert mail.message["Subject"] == "Votre candidature"
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_filename() == "mission.ics"


def test_it_answers_false_when_the_relay_refuses_the_address(settings: Any) -> None:
    with smtp_server(refuse={"gone@example.org": 550}) as smtp:
        settings.ALERT_EMAIL_URL = smtp.url
        assert _send("gone@example.org") is False
    assert smtp.received == []


def test_it_answers_false_when_no_relay_listens(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ALERT_EMAIL_URL = f"smtp://127.0.0.1:{port}"
    assert _send() is False
    assert "vol-test-1" in caplog.text
