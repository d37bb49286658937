"""Transports are built from settings, and the registry knows every kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from beffroi.core.env import env_str
from beffroi.messaging.base import EmailOut, SmsOut
from beffroi.messaging.email import SmtpTransport
from beffroi.messaging.registry import (
    TRANSPORTS,
    get_sms_transport,
    get_transport,
    kind_for_channel,
    transport_class,
)
from beffroi.messaging.sms_http import HttpSmsTransport
from beffroi.messaging.sms_smpp import SmppTransport
from beffroi.messaging.testing import sms_http_server, smtp_server


def test_it_registers_every_kind() -> None:
    assert {kind: transport_class(kind).channel for kind in TRANSPORTS} == {
        "smtp": "email",
        "smpp": "sms",
        "http_sms": "sms",
    }
    assert {kind: transport_class(kind).kind for kind in TRANSPORTS} == {
        kind: kind for kind in TRANSPORTS
    }


def test_it_serves_each_channel_with_the_configured_kind(settings: Any) -> None:
    settings.SMS_TRANSPORT = "http_sms"
    assert kind_for_channel("email") == "smtp"
    assert kind_for_channel("sms") == "http_sms"
    settings.SMS_TRANSPORT = "smpp"
    assert kind_for_channel("sms") == "smpp"
    with pytest.raises(ValueError, match="voice"):
        kind_for_channel("voice")
    with pytest.raises(ValueError, match="pigeon"):
        transport_class("pigeon")


def test_it_imports_no_transport_with_the_types() -> None:
    # The types and the registry must not drag smpplib or the SMTP code in: a domain that only
    # builds messages (or a transport module importing the types) must not load every gateway.
    import subprocess
    import sys

    code = (
        "import sys, beffroi.messaging.base, beffroi.messaging.registry;"
        "loaded = [m for m in ('beffroi.messaging.email', 'beffroi.messaging.sms_smpp',"
        " 'beffroi.messaging.sms_http', 'smpplib') if m in sys.modules];"
        "print(','.join(loaded))"
    )
    env_settings = {"DJANGO_SETTINGS_MODULE": "beffroi.settings"}
    import os

    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env_settings},
    )
    assert result.stdout.strip() == ""


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


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("SMTP server unavailable: ConnectionRefusedError()", "unreachable"),
        ("SMSC unavailable: ConnectionError()", "unreachable"),
        ("no submit_sm_resp within 10 s", "unreachable"),
        ("SMS provider timed out after 10 s", "unreachable"),
        ("SMTP 530 MAIL: Auth required (check ALERT_EMAIL_URL credentials)", "account"),
        ("SMPP bind refused (x): check SMPP_URL credentials. SMPP command_status 0x0E", "account"),
        (
            "SMPP command_status 0x0E: Invalid Password. The SMPP account or sender is refused: "
            "check SMPP_URL.",
            "account",
        ),
        ("SMPP command_status 0x58: Throttling error (ESME has exceeded …)", "throttled"),
        ("SMS provider rate limit (429) slow down", "throttled"),
        ("SMTP 550 recipient: User unknown", "refused"),
        ("SMS provider refused (400) bad number", "refused"),
        ("Unsendable SMS: '12' is not an E.164 number", "refused"),
        ("SMS provider error 500 oops", "other"),
    ],
)
def test_it_tells_what_kind_of_error_a_gateway_gave(message: str, kind: str) -> None:
    from beffroi.messaging.base import error_kind

    assert error_kind(message) == kind
