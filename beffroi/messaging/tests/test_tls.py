"""STARTTLS (SMTP) and smpps:// (SMPP over TLS) with a throwaway loopback certificate."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from beffroi.messaging.base import EmailOut, SmsOut
from beffroi.messaging.email import SmtpConfig, SmtpTransport
from beffroi.messaging.sms_smpp import SmppConfig, SmppTransport
from beffroi.messaging.testing import TlsFront, smsc_server, smtp_server


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        from conftest import service_unavailable

        service_unavailable("The openssl command (to make a test certificate)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def _contexts(certificate: tuple[Path, Path]) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    cert, key = certificate
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


def test_it_upgrades_smtp_with_starttls_and_verifies_the_certificate(
    certificate: tuple[Path, Path],
) -> None:
    server_context, client_context = _contexts(certificate)
    with smtp_server(tls_context=server_context, credentials=("mairie", "s3cret")) as server:
        config = SmtpConfig.from_url(f"smtp://mairie:s3cret@127.0.0.1:{server.port}?tls=1")
        assert config.starttls
        transport = SmtpTransport(config, from_email="a@mairie.fr", ssl_context=client_context)
        with transport:
            [outcome] = transport.send_many(
                [EmailOut(key="d-1", to="alice@example.org", subject="Alerte", text="Évacuez")]
            )
        assert outcome.error is None
        assert server.logins == ["mairie"]
        assert len(server.received) == 1
        # Without our CA the certificate is refused: the batch is temporary, nothing leaks.
        untrusting = SmtpTransport(
            config, from_email="a@mairie.fr", ssl_context=ssl.create_default_context()
        )
        with untrusting:
            [refused] = untrusting.send_many(
                [EmailOut(key="d-2", to="bob@example.org", subject="Alerte", text="Évacuez")]
            )
        assert refused.error is not None and not refused.error.permanent
        assert "CERTIFICATE_VERIFY_FAILED" in refused.error.message
        assert len(server.received) == 1


def test_it_submits_over_smpps(certificate: tuple[Path, Path]) -> None:
    server_context, client_context = _contexts(certificate)
    with smsc_server() as smsc:
        front = TlsFront(smsc.port, server_context)
        front.start()
        try:
            url = f"smpps://beffroi:secret@127.0.0.1:{front.port}?source=MAIRIE"
            config = SmppConfig.from_url(url)
            assert config.tls
            with SmppTransport(config, ssl_context=client_context) as transport:
                [outcome] = transport.send_many([SmsOut("d-1", "+33612345678", "Alerte")])
        finally:
            front.stop()
        assert outcome.error is None
        assert front.handshakes == 1
        assert [sm.text for sm in smsc.accepted] == ["Alerte"]
