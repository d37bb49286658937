"""SMTP transport against a real aiosmtpd server on loopback."""

from __future__ import annotations

import contextlib
import email
import email.policy
import socketserver
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage

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


# -- PIPELINING (RFC 2920) ----------------------------------------------------------------


class _StrictRelay(socketserver.ThreadingTCPServer):
    """A relay offering PIPELINING that answers a transaction's MAIL, RCPT and DATA only once
    all three have arrived: a client waiting for each answer before its next command waits
    forever. ``refuse`` maps a recipient to its RCPT answer, ``refuse_data`` to the answer
    after its message."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, refuse: dict[str, str], refuse_data: dict[str, str]) -> None:
        self.refuse = refuse
        self.refuse_data = refuse_data
        self.received: list[tuple[str, bytes]] = []
        self.commands: list[str] = []
        super().__init__(("127.0.0.1", 0), _StrictRelayHandler)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.server_address[1]}"


class _StrictRelayHandler(socketserver.StreamRequestHandler):
    server: _StrictRelay

    def _line(self) -> str:
        line = self.rfile.readline().decode("ascii").rstrip("\r\n")
        self.server.commands.append(line.split(" ")[0].split(":")[0].upper())
        return line

    def handle(self) -> None:
        self.wfile.write(b"220 strict relay\r\n")
        while line := self._line():
            verb = line[:4].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-strict\r\n250-PIPELINING\r\n250 SIZE 1000000\r\n")
            elif verb in ("RSET", "NOOP"):
                self.wfile.write(b"250 OK\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 Bye\r\n")
                return
            elif verb == "MAIL":
                rcpt, data = self._line(), self._line()
                assert rcpt.upper().startswith("RCPT TO:<") and data.upper() == "DATA", (rcpt, data)
                recipient = rcpt[rcpt.index("<") + 1 : rcpt.index(">")]
                refused = self.server.refuse.get(recipient)
                answers = ["250 sender OK", refused or "250 recipient OK"]
                answers.append("554 no valid recipients" if refused else "354 go ahead")
                self.wfile.write(("\r\n".join(answers) + "\r\n").encode("ascii"))
                if refused and refused.startswith("421"):
                    return  # the session is closed
                if refused:
                    continue
                lines = []
                while (raw := self.rfile.readline()) != b".\r\n":
                    lines.append(raw[1:] if raw.startswith(b".") else raw)
                body = b"".join(lines)
                final = self.server.refuse_data.get(recipient)
                if final is None:
                    self.server.received.append((recipient, body))
                self.wfile.write(((final or "250 queued") + "\r\n").encode("ascii"))
            else:
                self.wfile.write(b"502 not implemented\r\n")


@contextlib.contextmanager
def _strict_relay(
    refuse: dict[str, str] | None = None, refuse_data: dict[str, str] | None = None
) -> Iterator[_StrictRelay]:
    relay = _StrictRelay(refuse or {}, refuse_data or {})
    thread = threading.Thread(target=relay.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield relay
    finally:
        relay.shutdown()
        relay.server_close()
        thread.join()


def test_it_pipelines_mail_rcpt_and_data_when_the_relay_offers_it() -> None:
    text = "La Loire monte.\n.Une ligne qui commence par un point.\nÉvacuez les quais."
    with _strict_relay() as relay, _transport(url=relay.url) as transport:
        outcomes = transport.send_many(
            [_email(f"d-{i}", f"resident{i}@example.org", text=text) for i in range(3)]
        )
    # Each answered: the client did not wait for MAIL's answer before sending RCPT and DATA.
    assert [outcome.error for outcome in outcomes] == [None, None, None]
    assert [recipient for recipient, _body in relay.received] == [
        f"resident{i}@example.org" for i in range(3)
    ]
    message = email.message_from_bytes(relay.received[0][1], policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["X-Beffroi-Delivery"] == "d-0"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    # The dot-stuffed line arrives whole.
    assert str(body.get_content()).replace("\r\n", "\n").startswith(text)
    assert relay.commands.count("EHLO") == 1


def test_pipelined_refusals_are_answered_per_message_and_the_session_goes_on() -> None:
    with (
        _strict_relay(
            refuse={"gone@example.org": "550 5.1.1 user unknown", "busy@example.org": "451 later"},
            refuse_data={"big@example.org": "552 5.3.4 message too big"},
        ) as relay,
        _transport(url=relay.url) as transport,
    ):
        outcomes = transport.send_many(
            [
                _email("d-1", "gone@example.org"),
                _email("d-2", "alice@example.org"),
                _email("d-3", "big@example.org"),
                _email("d-4", "busy@example.org"),
                _email("d-5", "bob@example.org"),
            ]
        )
    errors = {outcome.key: outcome.error for outcome in outcomes}
    assert errors["d-2"] is None and errors["d-5"] is None
    assert errors["d-1"] is not None and errors["d-1"].permanent and "550" in errors["d-1"].message
    assert errors["d-3"] is not None and errors["d-3"].permanent and "552" in errors["d-3"].message
    assert errors["d-4"] is not None and not errors["d-4"].permanent
    assert [recipient for recipient, _body in relay.received] == [
        "alice@example.org",
        "bob@example.org",
    ]
    # One session; the transactions refused before their message were reset before the
    # next one (a refused message ends its transaction by itself, RFC 5321 4.1.1.4).
    assert relay.commands.count("EHLO") == 1
    assert relay.commands.count("RSET") == 2


def test_a_relay_closing_with_421_mid_batch_gets_the_rest_on_a_new_session() -> None:
    with (
        _strict_relay(refuse={"closing@example.org": "421 4.3.2 shutting down"}) as relay,
        _transport(url=relay.url) as transport,
    ):
        outcomes = transport.send_many(
            [
                _email("d-1", "alice@example.org"),
                _email("d-2", "closing@example.org"),
                _email("d-3", "bob@example.org"),
                _email("d-4", "carol@example.org"),
            ]
        )
    errors = {outcome.key: outcome.error for outcome in outcomes}
    assert errors["d-2"] is not None and not errors["d-2"].permanent
    assert "421" in errors["d-2"].message
    assert [errors[key] for key in ("d-1", "d-3", "d-4")] == [None, None, None]
    assert [recipient for recipient, _body in relay.received] == [
        "alice@example.org",
        "bob@example.org",
        "carol@example.org",
    ]
    assert relay.commands.count("EHLO") == 2


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one-by-one"])
def test_it_sends_with_or_without_the_relays_pipelining(pipelining: bool) -> None:
    with smtp_server(pipelining=pipelining, refuse={"gone@example.org": 550}) as server:
        with _transport(server) as transport:
            outcomes = transport.send_many(
                [_email("d-1", "alice@example.org"), _email("d-2", "gone@example.org")]
                + [_email(f"d-{i}", f"resident{i}@example.org") for i in range(3, 8)]
            )
        assert [item.rcpt_tos[0] for item in server.received] == [
            "alice@example.org",
            *(f"resident{i}@example.org" for i in range(3, 8)),
        ]
        assert server.sessions == 1
    assert outcomes[1].error is not None and outcomes[1].error.permanent
    assert all(outcome.error is None for outcome in outcomes if outcome.key != "d-2")
