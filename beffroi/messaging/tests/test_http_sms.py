"""HTTP SMS provider transport against a Brevo-shaped server on loopback."""

from __future__ import annotations

from datetime import UTC, datetime

from beffroi.messaging.base import Receipt, SmsOut
from beffroi.messaging.sms_http import HttpSmsConfig, HttpSmsTransport, parse_http_sms_webhook
from beffroi.messaging.testing import HttpSmsServer, free_port, sms_http_server


def _transport(server: HttpSmsServer, **kwargs: object) -> HttpSmsTransport:
    options: dict[str, object] = {
        "base_url": server.url,
        "api_key": "test-key",
        "sender": "MAIRIE",
        "timeout": 2.0,
    }
    options.update(kwargs)
    return HttpSmsTransport(HttpSmsConfig(**options))  # type: ignore[arg-type]


def test_it_posts_each_sms_over_one_kept_alive_connection() -> None:
    with sms_http_server() as server:
        with _transport(server, webhook_url="https://beffroi.example/hooks/sms") as transport:
            outcomes = transport.send_many(
                [
                    SmsOut("d-1", "+33612345678", "Alerte crue : évacuez les quais"),
                    SmsOut("d-2", "+262692123456", "Fenêtres fermées", sender="STDENIS"),
                ]
            )
        assert [o.error for o in outcomes] == [None, None]
        assert [o.provider_id for o in outcomes] == [
            str(message_id) for message_id, _ in server.accepted
        ]
        assert server.connections == 1
        first, second = server.requests
    assert first.path == "/v3/transactionalSMS/send"
    assert first.headers["api-key"] == "test-key"
    assert first.headers["content-type"] == "application/json"
    assert first.body == {
        "sender": "MAIRIE",
        "recipient": "33612345678",
        "content": "Alerte crue : évacuez les quais",
        "type": "transactional",
        "unicodeEnabled": False,
        "tag": "beffroi-alert",
        "webUrl": "https://beffroi.example/hooks/sms",
    }
    assert second.body["recipient"] == "262692123456"
    assert second.body["sender"] == "STDENIS"
    assert second.body["unicodeEnabled"] is True  # "ê" is not GSM-7


def test_it_reads_the_legacy_endpoint_answer() -> None:
    with sms_http_server() as server:
        with _transport(server, path="/v3/transactionalSMS/sms") as transport:
            [outcome] = transport.send_many([SmsOut("d-1", "+33612345678", "Alerte")])
        assert server.requests[0].path == "/v3/transactionalSMS/sms"
        assert outcome.provider_id == str(server.accepted[0][0])


def test_it_marks_an_invalid_number_permanent_and_sends_the_others() -> None:
    with sms_http_server(invalid_numbers={"33600000000"}) as server:
        with _transport(server) as transport:
            outcomes = transport.send_many(
                [
                    SmsOut("d-1", "+33600000000", "Alerte"),
                    SmsOut("d-2", "+33612345678", "Alerte"),
                ]
            )
        assert [body["recipient"] for _, body in server.accepted] == ["33612345678"]
    assert outcomes[0].error is not None
    assert outcomes[0].error.permanent
    assert "Invalid phone number" in outcomes[0].error.message
    assert outcomes[1].error is None


def test_it_stops_the_batch_loudly_on_a_rejected_api_key() -> None:
    with sms_http_server(api_key="the-right-key") as server:
        with _transport(server) as transport:
            outcomes = transport.send_many(
                [SmsOut(f"d-{i}", f"+3361234567{i}", "Alerte") for i in range(3)]
            )
        assert len(server.requests) == 1  # no point hammering the provider
        assert server.accepted == []
    for outcome in outcomes:
        assert outcome.error is not None
        assert not outcome.error.permanent
        assert "SMS CHANNEL DOWN" in outcome.error.message
        assert "SMS_HTTP_API_KEY" in outcome.error.message


def test_it_stops_the_batch_loudly_when_out_of_credit() -> None:
    with sms_http_server(credit=False) as server:
        with _transport(server) as transport:
            outcomes = transport.send_many(
                [SmsOut(f"d-{i}", f"+3361234567{i}", "Alerte") for i in range(2)]
            )
        assert len(server.requests) == 1
    assert all(o.error is not None and not o.error.permanent for o in outcomes)
    assert outcomes[0].error is not None and "out of credit" in outcomes[0].error.message


def test_it_marks_a_server_error_temporary() -> None:
    with sms_http_server(fail_status=500) as server:
        with _transport(server) as transport:
            outcomes = transport.send_many(
                [SmsOut(f"d-{i}", f"+3361234567{i}", "Alerte") for i in range(2)]
            )
        assert len(server.requests) == 2
    for outcome in outcomes:
        assert outcome.error is not None
        assert not outcome.error.permanent
        assert "500" in outcome.error.message


def test_it_gives_up_quickly_on_a_provider_that_does_not_answer() -> None:
    with sms_http_server(delay=1.5) as server:
        with _transport(server, timeout=0.3) as transport:
            outcomes = transport.send_many(
                [SmsOut(f"d-{i}", f"+3361234567{i}", "Alerte") for i in range(5)]
            )
        assert len(server.requests) == 1
    assert all(o.error is not None and not o.error.permanent for o in outcomes)
    assert outcomes[0].error is not None and "timed out" in outcomes[0].error.message


def test_it_reports_every_message_temporary_when_the_provider_is_down() -> None:
    config = HttpSmsConfig(base_url=f"http://127.0.0.1:{free_port()}", api_key="k", sender="M")
    with HttpSmsTransport(config) as transport:
        outcomes = transport.send_many(
            [SmsOut(f"d-{i}", f"+3361234567{i}", "Alerte") for i in range(3)]
        )
    assert [o.key for o in outcomes] == ["d-0", "d-1", "d-2"]
    assert all(o.error is not None and not o.error.permanent for o in outcomes)


def test_it_reconnects_after_the_provider_restarted() -> None:
    with sms_http_server() as server:
        with _transport(server) as transport:
            first = transport.send_many([SmsOut("d-1", "+33612345678", "Alerte 1")])
            server.stop()
            server.start()  # same port; the kept-alive connection is dead
            second = transport.send_many([SmsOut("d-2", "+33612345679", "Alerte 2")])
        assert first[0].error is None
        assert second[0].error is None, second[0].error
        assert [body["content"] for _, body in server.accepted] == ["Alerte 1", "Alerte 2"]
        assert transport.connections_opened == 2


def test_it_parses_the_delivery_webhook() -> None:
    delivered = parse_http_sms_webhook(
        {
            "id": 26570,
            "to": "33612345678",
            "sms_count": 1,
            "credits_used": 0.045,
            "messageId": 1511882900176220,
            "remaining_credit": 99.9,
            "msg_status": "delivered",
            "date": "2026-11-26 03:12:00",
            "ts_event": 1795659120,
            "type": "transactional",
            "reference": "ab1cde2fgh3i4jklmno",
        }
    )
    assert delivered == Receipt(
        provider_id="1511882900176220",
        status="delivered",
        error_code="",
        done_at=datetime.fromtimestamp(1795659120, tz=UTC),
    )
    bounced = parse_http_sms_webhook(
        {"messageId": 42, "msg_status": "hard_bounce", "reason": "Invalid number"}
    )
    assert bounced is not None
    assert (bounced.status, bounced.error_code, bounced.done_at) == (
        "failed",
        "Invalid number",
        None,
    )
    sent = parse_http_sms_webhook({"messageId": 42, "msg_status": "sent"})
    assert sent is not None and sent.status == "pending"
    assert parse_http_sms_webhook({"messageId": 42, "event": "unsubscribe"}) is None
    assert parse_http_sms_webhook({"msg_status": "delivered"}) is None
