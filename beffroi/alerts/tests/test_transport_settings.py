"""Transports are built from settings, and the registry knows every kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from beffroi.alerts.testing_servers import sms_http_server, smtp_server
from beffroi.alerts.transports import (
    TRANSPORTS,
    EmailOut,
    HttpSmsTransport,
    SmppTransport,
    SmsOut,
    SmtpTransport,
    get_sms_transport,
    get_transport,
)
from beffroi.core.env import env_str


def test_it_registers_every_kind() -> None:
    assert {kind: cls.channel for kind, cls in TRANSPORTS.items()} == {
        "smtp": "email",
        "smpp": "sms",
        "http_sms": "sms",
    }


def test_it_builds_the_smtp_transport_from_settings(settings: Any) -> None:
    with smtp_server() as server:
        settings.ALERT_EMAIL_URL = server.url
        settings.ALERT_EMAIL_FROM = "Mairie <alertes@mairie-beffroi.fr>"
        settings.ALERT_EMAIL_RETURN_PATH = "rebonds@mairie-beffroi.fr"
        transport = get_transport("smtp")
        assert isinstance(transport, SmtpTransport)
        with transport:
            [outcome] = transport.send_many(
                [EmailOut(key="d-1", to="alice@example.org", subject="Alerte", text="Test")]
            )
        assert outcome.error is None
        [received] = server.received
    assert received.mail_from == "rebonds@mairie-beffroi.fr"
    assert received.message["From"] == "Mairie <alertes@mairie-beffroi.fr>"


@pytest.mark.django_db  # the configured rate is shared through the database
def test_it_chooses_the_sms_transport_from_settings(settings: Any) -> None:
    settings.SMPP_URL = "smpp://beffroi:secret@127.0.0.1:2775?source=MAIRIE&window=4"
    settings.SMS_TRANSPORT = "smpp"
    smpp = get_sms_transport()
    assert isinstance(smpp, SmppTransport)
    assert smpp.config.window == 4
    with sms_http_server(api_key="from-settings") as server:
        settings.SMS_TRANSPORT = "http_sms"
        settings.SMS_HTTP_URL = server.url
        settings.SMS_HTTP_API_KEY = "from-settings"
        settings.SMS_HTTP_SENDER = "BEFFROI"
        transport = get_sms_transport()
        assert isinstance(transport, HttpSmsTransport)
        with transport:
            [outcome] = transport.send_many([SmsOut("d-1", "+33612345678", "Alerte")])
        assert outcome.error is None
        assert server.requests[0].body["sender"] == "BEFFROI"


def test_it_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="Unknown transport kind 'fax'"):
        get_transport("fax")


def test_it_reads_the_api_key_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "key"
    secret.write_text("xkeysib-123\n")
    monkeypatch.setenv("SMS_HTTP_API_KEY_FILE", str(secret))
    assert env_str("SMS_HTTP_API_KEY", "") == "xkeysib-123"
    monkeypatch.setenv("SMS_HTTP_API_KEY", "direct")
    with pytest.raises(ImproperlyConfigured):
        env_str("SMS_HTTP_API_KEY", "")
