"""SMTP transport against a real aiosmtpd server on loopback."""

from __future__ import annotations

import time

import pytest

from beffroi.messaging.base import EmailOut, TransportError
from beffroi.messaging.email import SmtpConfig, SmtpTransport
from beffroi.messaging.testing import SmtpServer, free_port, smtp_server

FROM = "Mairie de Beffroi <alertes@mairie-beffroi.fr>"


def _transport(server: SmtpServer | None = None, *, url: str = "") -> SmtpTransport:
    config = SmtpConfig.from_url(url or (server.url if server else ""), timeout=3)
    return SmtpTransport(config, from_email=FROM, return_path="bounces@mairie-beffroi.fr")


def _email(key: str, to: str, **kwargs: object) -> EmailOut:
    fields: dict[str, object] = {
        "subject": "Alerte crue — évacuation",
        "text": "La Loire monte : évacuez les quais avant 18 h.",
    }
    fields.update(kwargs)
    return EmailOut(key=key, to=to, **fields)  # type: ignore[arg-type]


def test_it_sends_a_multipart_utf8_message_with_one_click_unsubscribe() -> None:
    with smtp_server() as server:
        with _transport(server) as transport:
            [outcome] = transport.send_many(
                [
                    _email(
                        "d-1",
                        "alice@example.org",
                        html="<p>La Loire monte : <strong>évacuez</strong> les quais.</p>",
                        unsubscribe_url="https://beffroi.example/u/tok123",
                        unsubscribe_mailto="unsubscribe+tok123@mairie-beffroi.fr",
                        headers={"X-Alert-Severity": "Extreme"},
                    )
                ]
            )
        assert outcome.error is None
        [received] = server.received
    assert received.mail_from == "bounces@mairie-beffroi.fr"
    assert received.rcpt_tos == ["alice@example.org"]
    message = received.message
    assert message["Subject"] == "Alerte crue — évacuation"
    assert b"Subject: Alerte crue =?utf-8?" in received.raw  # RFC 2047 encoded-word
    assert received.raw.isascii()  # 7-bit clean: survives relays without 8BITMIME
    assert message["From"] == FROM
    assert message["List-Unsubscribe"] == (
        "<https://beffroi.example/u/tok123>, <mailto:unsubscribe+tok123@mairie-beffroi.fr>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Beffroi-Delivery"] == "d-1"
    assert message["X-Alert-Severity"] == "Extreme"
    assert message["Message-ID"] == outcome.provider_id
    assert outcome.provider_id is not None
    assert outcome.provider_id.endswith("@mairie-beffroi.fr>")
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content_charset() == "utf-8"
    assert "évacuez les quais" in plain.get_content()
    assert "<strong>évacuez</strong>" in html.get_content()


def test_it_sends_plain_text_without_one_click_when_no_https_url() -> None:
    with smtp_server() as server:
        with _transport(server) as transport:
            [outcome] = transport.send_many([_email("d-1", "alice@example.org")])
        assert outcome.error is None
        message = server.received[0].message
    assert message.get_content_type() == "text/plain"
    assert "List-Unsubscribe" not in message
    assert "List-Unsubscribe-Post" not in message


def test_it_reuses_one_smtp_session_for_a_batch() -> None:
    with smtp_server() as server:
        with _transport(server) as transport:
            outcomes = transport.send_many(
                [_email(f"d-{i}", f"resident{i}@example.org") for i in range(20)]
            )
        assert [outcome.key for outcome in outcomes] == [f"d-{i}" for i in range(20)]
        assert all(outcome.error is None for outcome in outcomes)
        assert len(server.received) == 20
        assert server.sessions == 1
        assert transport.sessions_opened == 1
        assert len({outcome.provider_id for outcome in outcomes}) == 20


def test_it_marks_a_550_recipient_permanent_and_still_sends_the_others() -> None:
    with smtp_server(refuse={"gone@example.org": 550}) as server:
        with _transport(server) as transport:
            outcomes = transport.send_many(
                [
                    _email("d-1", "alice@example.org"),
                    _email("d-2", "gone@example.org"),
                    _email("d-3", "bob@example.org"),
                ]
            )
        assert [item.rcpt_tos for item in server.received] == [
            ["alice@example.org"],
            ["bob@example.org"],
        ]
        assert server.sessions == 1
    assert outcomes[0].error is None and outcomes[2].error is None
    error = outcomes[1].error
    assert isinstance(error, TransportError)
    assert error.permanent
    assert "550" in error.message
    assert outcomes[1].provider_id is None


def test_it_marks_a_451_recipient_temporary() -> None:
    with smtp_server(refuse={"busy@example.org": 451}) as server:
        with _transport(server) as transport:
            outcomes = transport.send_many(
                [_email("d-1", "busy@example.org"), _email("d-2", "alice@example.org")]
            )
        assert len(server.received) == 1
    assert outcomes[0].error is not None
    assert not outcomes[0].error.permanent
    assert "451" in outcomes[0].error.message
    assert outcomes[1].error is None


def test_it_reports_every_message_temporary_when_the_server_is_down() -> None:
    transport = _transport(url=f"smtp://127.0.0.1:{free_port()}")
    time.monotonic()
    with transport:
        outcomes = transport.send_many([_email(f"d-{i}", f"r{i}@example.org") for i in range(5)])
    assert [outcome.key for outcome in outcomes] == [f"d-{i}" for i in range(5)]
    for outcome in outcomes:
        assert outcome.error is not None
        assert not outcome.error.permanent
        assert outcome.provider_id is None


def test_it_reconnects_once_after_the_server_restarted() -> None:
    with smtp_server() as server:
        with _transport(server) as transport:
            first = transport.send_many([_email("d-1", "alice@example.org")])
            server.stop()
            server.start()  # same port; the kept connection is dead
            second = transport.send_many([_email("d-2", "bob@example.org")])
        assert first[0].error is None
        assert second[0].error is None
        assert [item.rcpt_tos for item in server.received] == [
            ["alice@example.org"],
            ["bob@example.org"],
        ]
        assert transport.sessions_opened == 2


def test_it_fails_temporarily_for_the_rest_when_the_server_stays_down() -> None:
    with smtp_server() as server:
        with _transport(server) as transport:
            server.stop()
            outcomes = transport.send_many(
                [_email("d-1", "alice@example.org"), _email("d-2", "bob@example.org")]
            )
            server.start()
            later = transport.send_many([_email("d-3", "carol@example.org")])
        assert all(o.error is not None and not o.error.permanent for o in outcomes)
        assert later[0].error is None
        assert [item.rcpt_tos for item in server.received] == [["carol@example.org"]]


def test_it_authenticates_with_the_url_credentials() -> None:
    with smtp_server(credentials=("mairie", "s3cret")) as server:
        with _transport(server) as transport:
            [outcome] = transport.send_many([_email("d-1", "alice@example.org")])
        assert outcome.error is None
        assert server.logins == ["mairie"]
        assert len(server.received) == 1


def test_it_reports_a_wrong_password_as_a_temporary_channel_failure() -> None:
    with smtp_server(credentials=("mairie", "s3cret")) as server:
        url = f"smtp://mairie:wrong@127.0.0.1:{server.port}"
        with _transport(url=url) as transport:
            outcomes = transport.send_many(
                [_email("d-1", "alice@example.org"), _email("d-2", "bob@example.org")]
            )
        assert server.received == []
    for outcome in outcomes:
        assert outcome.error is not None
        assert not outcome.error.permanent  # the resident's address is not at fault
        assert "535" in outcome.error.message


def test_it_refuses_header_injection_as_a_permanent_error() -> None:
    with smtp_server() as server:
        with _transport(server) as transport:
            outcomes = transport.send_many(
                [
                    _email("d-1", "alice@example.org", subject="Hi\r\nBcc: everyone@example.org"),
                    _email("d-2", "bob@example.org"),
                ]
            )
        assert [item.rcpt_tos for item in server.received] == [["bob@example.org"]]
    assert outcomes[0].error is not None and outcomes[0].error.permanent
    assert outcomes[1].error is None


def test_it_does_not_blame_the_recipient_when_the_relay_wants_authentication() -> None:
    with smtp_server(credentials=("mairie", "s3cret")) as server:
        with _transport(url=f"smtp://127.0.0.1:{server.port}") as transport:
            [outcome] = transport.send_many([_email("d-1", "alice@example.org")])
        assert server.received == []
    assert outcome.error is not None
    assert not outcome.error.permanent
    assert "530" in outcome.error.message


def test_it_refuses_unusable_addresses_and_reserved_headers_without_stopping() -> None:
    with smtp_server() as server:
        with _transport(server) as transport:
            outcomes = transport.send_many(
                [
                    _email("d-1", "élodie@exemple.fr"),
                    _email("d-2", "not an address"),
                    _email("d-3", "alice@example.org", headers={"X-Beffroi-Delivery": "d-9"}),
                    _email("d-4", "bob@example.org", headers={"Reply-To": "mairie@example.org"}),
                ]
            )
        assert [item.rcpt_tos for item in server.received] == [["bob@example.org"]]
        assert server.received[0].message["Reply-To"] == "mairie@example.org"
    assert [o.error is not None and o.error.permanent for o in outcomes] == [
        True,
        True,
        True,
        False,
    ]


def test_its_fast_plain_text_rendering_reads_like_the_mime_library_s() -> None:
    """``render`` formats plain-text alerts by hand: a mail reader must see exactly what
    ``build_message`` (the standard library's EmailMessage) would have produced."""
    import email
    import email.policy

    transport = SmtpTransport(
        SmtpConfig.from_url("smtp://127.0.0.1:25", timeout=3),
        from_email="Mairie d'Évry-sur-Aulne <alertes@mairie-beffroi.fr>",
    )
    long_line = "Évacuez " + "les quais, " * 20 + "= avant 18 h.  "
    cases = [
        _email("1", "alice@example.org", headers={"X-Beffroi-Alert": "urn:oid:1"}),
        _email(
            "2",
            "bob@example.org",
            subject="EXERCICE — " + "Alerte crue très longue " * 5,
            text=f"Première ligne\n\n{long_line}\n.\nFin\r\nÀ bientôt\n\n-- \nDésinscription",
            unsubscribe_url="https://vaudrecourt.example/alertes/desinscription/abc_-9/",
        ),
        _email("3", "carol@example.org", subject="Plain ASCII", text="No accents here."),
    ]
    for out in cases:
        fast_bytes, _id = transport.render(out)
        slow, _slow_id = transport.build_message(out)
        fast = email.message_from_bytes(fast_bytes, policy=email.policy.default)
        reference = email.message_from_bytes(slow.as_bytes(), policy=email.policy.default)
        assert all(len(line) <= 78 for line in fast_bytes.split(b"\r\n")[1:])
        assert fast.get_content() == reference.get_content()
        assert fast.get_content_type() == "text/plain"
        for name in set(reference.keys()):
            if name not in {"Date", "Message-ID", "MIME-Version", "Content-Type"}:
                assert str(fast[name]) == str(reference[name]), name
        assert set(fast.keys()) == set(reference.keys())
    with pytest.raises(ValueError):
        transport.render(_email("4", "x@example.org", headers={"X-Evil\r\nBcc": "a"}))
    with pytest.raises(ValueError):
        transport.render(_email("5", "x@example.org", headers={"Reply-To": "a\nBcc: b"}))
