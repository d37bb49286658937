"""SMPP transport against a real SMSC (smpp34's server) on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from beffroi.messaging.base import Receipt, SmsOut, Throttle, TransportError
from beffroi.messaging.sms import gsm7_encode, sms_info, split_parts
from beffroi.messaging.sms_smpp import (
    SmppConfig,
    SmppReceiver,
    SmppTransport,
    parse_delivery_receipt,
)
from beffroi.messaging.testing import SmscServer, free_port, smsc_server

LONG_GSM = (
    "ALERTE CRUE - Mairie de Beffroi : la Loire depasse la cote de 5,20 m a Orleans. "
    "Evacuation obligatoire des quais et du quartier de la Madeleine avant 18h00. "
    "Centre d'accueil : gymnase Jean-Moulin, 12 rue de la Paix. Emportez papiers, "
    "medicaments, chargeur. Personnes isolees : appelez le 05 55 12 34 56. "
    "Infos : beffroi.fr/alerte. Repondez STOP pour vous desabonner."
)


@pytest.fixture
def smsc() -> Iterator[SmscServer]:
    with smsc_server() as server:
        yield server


def _transport(server: SmscServer, **query: str | int) -> SmppTransport:
    return SmppTransport(SmppConfig.from_url(server.url(**query)))


def test_it_sends_gsm7_with_data_coding_0_and_unpacked_septets(smsc: SmscServer) -> None:
    text = "Alerte: évacuez les quais {niveau 3} - 20€"
    with _transport(smsc) as transport:
        [outcome] = transport.send_many([SmsOut("d-1", "+33612345678", text)])
    assert outcome.error is None
    [sm] = smsc.submitted
    assert outcome.provider_id == sm.message_id
    assert sm.data_coding == 0
    assert sm.esm_class == 0
    assert sm.short_message == gsm7_encode(text)
    assert sm.text == text
    assert sm.destination == "33612345678"
    assert sm.dest_ton == 1
    assert sm.source == "MAIRIE"
    assert sm.source_ton == 5
    assert sm.registered_delivery == 1
    assert sm.system_id == "beffroi"


def test_it_sends_ucs2_with_data_coding_8(smsc: SmscServer) -> None:
    text = "Fenêtres fermées, restez à l'intérieur"
    with _transport(smsc) as transport:
        [outcome] = transport.send_many([SmsOut("d-1", "+33612345678", text, sender="BEFFROI")])
    assert outcome.error is None
    [sm] = smsc.submitted
    assert sm.data_coding == 8
    assert sm.short_message == text.encode("utf-16-be")
    assert sm.text == text
    assert sm.source == "BEFFROI"


def test_it_splits_a_long_text_with_concatenation_udh(smsc: SmscServer) -> None:
    info = sms_info(LONG_GSM)
    assert info.segments == 3  # what the author was shown
    with _transport(smsc) as transport:
        [outcome] = transport.send_many([SmsOut("d-1", "+33612345678", LONG_GSM)])
    assert outcome.error is None
    parts = sorted(smsc.submitted, key=lambda sm: sm.udh[-1])
    assert len(parts) == 3
    reference = parts[0].udh[3]
    for seq, sm in enumerate(parts, 1):
        assert sm.esm_class == 0x40
        assert sm.data_coding == 0
        assert sm.udh == bytes((0x05, 0x00, 0x03, reference, 3, seq))
    assert [sm.text for sm in parts] == split_parts(LONG_GSM)
    assert "".join(sm.text for sm in parts) == LONG_GSM
    assert all(len(sm.short_message) <= 6 + 153 for sm in parts)
    assert outcome.provider_id == parts[0].message_id  # the first part stands for the SMS


def test_it_splits_a_long_ucs2_text_in_67_character_parts(smsc: SmscServer) -> None:
    text = "Fenêtre " * 12  # 96 characters, UCS-2 because of "ê"
    with _transport(smsc) as transport:
        [outcome] = transport.send_many([SmsOut("d-1", "+33612345678", text)])
    assert outcome.error is None
    parts = sorted(smsc.submitted, key=lambda sm: sm.udh[-1])
    assert [len(sm.text) for sm in parts] == [67, 29]
    assert all(sm.data_coding == 8 and sm.udh[4] == 2 for sm in parts)
    assert "".join(sm.text for sm in parts) == text


def test_it_keeps_a_window_of_submissions_in_flight() -> None:
    with smsc_server(response_delay=0.1) as smsc:
        with _transport(smsc, window=5) as transport:
            outcomes = transport.send_many(
                [SmsOut(f"d-{i}", f"+3361234560{i}", "Alerte") for i in range(10)]
            )
        assert all(outcome.error is None for outcome in outcomes)
        assert smsc.max_in_flight == 5
        assert [o.provider_id for o in outcomes] == [
            next(sm.message_id for sm in smsc.submitted if sm.destination == f"3361234560{i}")
            for i in range(10)
        ]


def test_it_waits_for_each_response_with_a_window_of_one() -> None:
    with smsc_server(response_delay=0.02) as smsc:
        with _transport(smsc, window=1) as transport:
            transport.send_many([SmsOut(f"d-{i}", f"+3361234560{i}", "Alerte") for i in range(4)])
        assert smsc.max_in_flight == 1
        assert len(smsc.accepted) == 4


def test_it_marks_an_invalid_destination_permanent_and_sends_the_others() -> None:
    with smsc_server(reject={"33600000000": 0x0B}) as smsc:
        with _transport(smsc) as transport:
            outcomes = transport.send_many(
                [
                    SmsOut("d-1", "+33612345678", "Alerte"),
                    SmsOut("d-2", "+33600000000", "Alerte"),
                    SmsOut("d-3", "+33612345679", "Alerte"),
                ]
            )
        assert len(smsc.accepted) == 2
    assert outcomes[0].error is None and outcomes[2].error is None
    error = outcomes[1].error
    assert isinstance(error, TransportError)
    assert error.permanent
    assert "0x0B" in error.message


def test_it_marks_throttled_submissions_temporary() -> None:
    with smsc_server(throttle_after=2) as smsc:
        with _transport(smsc, window=1) as transport:
            outcomes = transport.send_many(
                [SmsOut(f"d-{i}", f"+3361234560{i}", "Alerte") for i in range(4)]
            )
        assert len(smsc.accepted) == 2
    assert [o.error is None for o in outcomes] == [True, True, False, False]
    for outcome in outcomes[2:]:
        assert outcome.error is not None
        assert not outcome.error.permanent
        assert "0x58" in outcome.error.message


def test_it_reports_every_message_temporary_when_the_smsc_is_down() -> None:
    config = SmppConfig.from_url(f"smpp://beffroi:secret@127.0.0.1:{free_port()}?source=MAIRIE")
    time.monotonic()
    with SmppTransport(config) as transport:
        outcomes = transport.send_many(
            [SmsOut(f"d-{i}", f"+3361234560{i}", "Alerte") for i in range(3)]
        )
    assert [o.key for o in outcomes] == ["d-0", "d-1", "d-2"]
    assert all(o.error is not None and not o.error.permanent for o in outcomes)


def test_it_rebinds_after_the_smsc_restarted(smsc: SmscServer) -> None:
    with _transport(smsc) as transport:
        first = transport.send_many([SmsOut("d-1", "+33612345678", "Alerte 1")])
        smsc.stop()
        smsc.start()  # same port
        second = transport.send_many([SmsOut("d-2", "+33612345679", "Alerte 2")])
    assert first[0].error is None
    assert second[0].error is None, second[0].error
    assert [sm.text for sm in smsc.accepted] == ["Alerte 1", "Alerte 2"]
    assert transport.binds == 2


def test_it_rebinds_once_when_the_smsc_drops_the_session_mid_batch() -> None:
    with smsc_server(drop_after=2) as smsc:
        with _transport(smsc, window=1) as transport:
            outcomes = transport.send_many(
                [SmsOut(f"d-{i}", f"+3361234560{i}", "Alerte") for i in range(5)]
            )
        assert [o.key for o in outcomes] == [f"d-{i}" for i in range(5)]
        assert all(o.error is None for o in outcomes), outcomes
        assert transport.binds == 2
        accepted = {sm.message_id: sm.destination for sm in smsc.accepted}
        assert [accepted[str(o.provider_id)] for o in outcomes] == [
            f"3361234560{i}" for i in range(5)
        ]


def test_it_paces_submissions_to_the_contracted_rate(smsc: SmscServer) -> None:
    config = SmppConfig.from_url(smsc.url())
    started = time.monotonic()
    with SmppTransport(config, throttle=Throttle(50)) as transport:
        outcomes = transport.send_many(
            [SmsOut(f"d-{i}", f"+3361234560{i}", "Alerte") for i in range(10)]
        )
    assert all(o.error is None for o in outcomes)
    assert time.monotonic() - started >= 9 / 50 - 0.01


def test_it_refuses_a_malformed_number_without_sending(smsc: SmscServer) -> None:
    with _transport(smsc) as transport:
        outcomes = transport.send_many(
            [SmsOut("d-1", "06 12 34 56 78", "Alerte"), SmsOut("d-2", "+33612345678", "Alerte")]
        )
    assert outcomes[0].error is not None and outcomes[0].error.permanent
    assert outcomes[1].error is None
    assert [sm.destination for sm in smsc.submitted] == ["33612345678"]


def test_it_receives_delivery_receipts_and_stop_replies() -> None:
    with smsc_server(send_receipts=True) as smsc:
        receipts: list[Receipt] = []
        inbound: list[tuple[str, str]] = []
        stop = threading.Event()
        receiver = SmppReceiver(
            SmppConfig.from_url(smsc.url()),
            on_receipt=receipts.append,
            on_inbound=lambda sender, text: inbound.append((sender, text)),
            stop_event=stop,
            bind="transceiver",
            poll_interval=0.02,
        )
        thread = threading.Thread(target=receiver.run)
        thread.start()
        try:
            assert receiver.bound.wait(3)
            with _transport(smsc) as transport:
                outcomes = transport.send_many(
                    [SmsOut(f"d-{i}", f"+3361234560{i}", "Alerte") for i in range(3)]
                )
            smsc.wait_for(lambda: len(receipts) == 3)
            smsc.deliver("+33612345601", "STOP")
            smsc.deliver("+33612345602", "Arrêt")
            smsc.wait_for(lambda: len(inbound) == 2)
        finally:
            stop.set()
            thread.join(timeout=5)
        assert not thread.is_alive()
    assert sorted(r.provider_id for r in receipts) == sorted(str(o.provider_id) for o in outcomes)
    assert {r.status for r in receipts} == {"delivered"}
    assert inbound == [("+33612345601", "STOP"), ("+33612345602", "Arrêt")]


def test_it_parses_the_standard_receipt_text() -> None:
    receipt = parse_delivery_receipt(
        b"id:0123456789 sub:001 dlvrd:001 submit date:2611260210 done date:261126021133 "
        b"stat:DELIVRD err:000 text:ALERTE CRUE - Mair"
    )
    assert receipt == Receipt(
        provider_id="0123456789",
        status="delivered",
        error_code="",
        done_at=datetime(2026, 11, 26, 2, 11, 33, tzinfo=UTC),
    )


def test_it_parses_failed_and_pending_receipts() -> None:
    failed = parse_delivery_receipt(
        b"id:abc sub:001 dlvrd:000 submit date:2611260210 done date:2611260212 "
        b"stat:UNDELIV err:001 text:"
    )
    assert failed is not None
    assert (failed.status, failed.error_code) == ("failed", "001")
    assert failed.done_at == datetime(2026, 11, 26, 2, 12, tzinfo=UTC)
    expired = parse_delivery_receipt(b"id:abc stat:EXPIRED err:000")
    assert expired is not None and expired.status == "failed"
    enroute = parse_delivery_receipt(b"id:abc stat:ENROUTE err:000")
    assert enroute is not None and enroute.status == "pending"
    assert parse_delivery_receipt(b"Bonjour, STOP") is None


def test_it_prefers_the_receipt_tlvs_to_the_text() -> None:
    receipt = parse_delivery_receipt(
        b"id:1234 sub:001 dlvrd:001 stat:DELIVRD err:000",
        receipted_message_id=b"4D2\x00",
        message_state=5,
    )
    assert receipt is not None
    assert receipt.provider_id == "4D2"
    assert receipt.status == "failed"


def test_it_parses_the_smpp_url() -> None:
    config = SmppConfig.from_url(
        "smpps://mairie%40x:p%40ss@smsc.example.net:3550"
        "?source=MAIRIE&source_ton=5&source_npi=0&window=20&system_type=ALERT&bind=transceiver"
    )
    assert (config.host, config.port, config.tls) == ("smsc.example.net", 3550, True)
    assert (config.system_id, config.password, config.system_type) == ("mairie@x", "p@ss", "ALERT")
    assert (config.source, config.source_ton, config.source_npi) == ("MAIRIE", 5, 0)
    assert (config.window, config.bind) == (20, "transceiver")
    with pytest.raises(ValueError, match="window"):
        SmppConfig.from_url("smpp://a:b@h:2775?window=0")
    with pytest.raises(ValueError, match="unknown parameter"):
        SmppConfig.from_url("smpp://a:b@h:2775?windw=3")
    with pytest.raises(ValueError, match="SMPP_URL"):
        SmppConfig.from_url("http://a:b@h:2775")


def test_it_answers_receipts_pushed_on_a_transmitter_bind_and_sends_each_sms_once() -> None:
    # Some SMSCs push delivery receipts on the transmitter session. smpplib refused to answer
    # them, the batch failed as "bind refused … No Error" and was retried: the SMS the SMSC
    # had already accepted went out twice. Every accepted message must be recorded as sent
    # and every receipt answered; a PDU nobody expects must not fail the batch either.
    from beffroi.messaging.sms_smpp import SmppConfig, SmppTransport
    from beffroi.messaging.testing import receipts_on_transmitter_smsc

    receipts: list[Receipt] = []
    with receipts_on_transmitter_smsc(unexpected_after=10) as smsc:
        transport = SmppTransport(SmppConfig.from_url(smsc.url), on_receipt=receipts.append)
        messages = [
            SmsOut(key=str(i), to=f"+336123400{i:02d}", text="Alerte crue") for i in range(24)
        ]
        with transport:
            outcomes = transport.send_many(messages)
        smsc.stop()  # the session is over: every answer it got is recorded
    assert [outcome.error for outcome in outcomes] == [None] * 24
    assert [outcome.provider_id for outcome in outcomes] == [f"R{i:04d}" for i in range(1, 25)]
    assert sorted(smsc.destinations) == sorted(m.to.lstrip("+") for m in messages)
    assert transport.binds == 1
    deliver_sm_resp = [answer for answer in smsc.answers if answer[0] == 0x80000005]
    assert len(deliver_sm_resp) == 24
    # Each receipt is handed on, the last one too (it arrives as the session closes).
    assert sorted(r.provider_id for r in receipts) == [f"R{i:04d}" for i in range(1, 25)]
    assert {r.status for r in receipts} == {"delivered"}
    assert all(status == 0 for _command, status, _sequence in deliver_sm_resp)
    # The unknown command is refused with generic_nack (invalid command id); the
    # alert_notification, which has no response in SMPP 3.4, is not answered.
    nacks = [answer for answer in smsc.answers if answer[0] == 0x80000000]
    assert [status for _command, status, _sequence in nacks] == [0x03]


def test_the_loopback_smsc_outlives_a_client_that_resets_its_connection() -> None:
    import socket
    import struct

    from beffroi.messaging.testing import HOST, ReceiptsOnTransmitterSmsc

    smsc = ReceiptsOnTransmitterSmsc()
    smsc.start()
    try:
        cut = socket.create_connection((HOST, smsc.port), timeout=5)
        cut.sendall(struct.pack(">IIII", 100, 0x00000002, 0, 1))  # half a bind_transmitter
        cut.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        cut.close()
        time.sleep(0.5)
        # The next client is served: the reset did not stop the server.
        with socket.create_connection((HOST, smsc.port), timeout=5) as client:
            client.sendall(struct.pack(">IIII", 16, 0x00000002, 0, 2))
            answer = client.recv(16)
        assert struct.unpack(">IIII", answer[:16])[1] == 0x80000002
    finally:
        smsc.stop()


@pytest.mark.parametrize(
    ("source", "ton", "npi", "text"),
    [
        ("MAIRIE", 5, 0, "Alerte: évacuez les quais {niveau 3} - 20€"),
        ("33612345678", 1, 1, "Coupure d'eau : réserves à l'école. Forêt fermée."),
        ("UNE-MAIRIE-TROP-LONGUE-POUR-SMPP", 5, 0, LONG_GSM),
        ("MAIRIE", 5, 0, "Canicule 🌡 : buvez de l'eau. " * 4),
    ],
)
def test_its_submit_sm_is_smpplibs_byte_for_byte(
    source: str, ton: int, npi: int, text: str
) -> None:
    import smpplib.client  # type: ignore[import-untyped]
    import smpplib.smpp  # type: ignore[import-untyped]

    from beffroi.messaging.sms_smpp import encode_sms, submit_sm_pdu

    client = smpplib.client.Client("127.0.0.1", 1, allow_unknown_opt_params=True)
    data_coding, esm_class, parts = encode_sms(text)
    for registered_delivery in (0, 1):
        for part in parts:
            fields = {
                "source_ton": ton,
                "source_npi": npi,
                "source": source,
                "dest_ton": 1,
                "dest_npi": 1,
                "destination": "33612345678",
                "esm_class": esm_class,
                "registered_delivery": registered_delivery,
                "data_coding": data_coding,
                "short_message": part,
            }
            pdu = smpplib.smpp.make_pdu(
                "submit_sm",
                client=client,
                source_addr_ton=ton,
                source_addr_npi=npi,
                source_addr=source,
                dest_addr_ton=1,
                dest_addr_npi=1,
                destination_addr="33612345678",
                esm_class=esm_class,
                registered_delivery=registered_delivery,
                data_coding=data_coding,
                short_message=part,
            )
            assert submit_sm_pdu(pdu.sequence, **fields) == pdu.generate()  # type: ignore[arg-type]


def test_it_reads_submit_sm_resp_as_smpplib_does() -> None:
    import smpplib.smpp

    from beffroi.messaging.sms_smpp import _Client

    client = _Client("127.0.0.1", 1, allow_unknown_opt_params=True)
    for status, message_id in ((0, "smsc-42"), (0x58, ""), (0x0B, None)):
        response = smpplib.smpp.make_pdu("submit_sm_resp", client=client)
        response.sequence, response.status = 7, status
        if message_id is not None:
            response.message_id = message_id
        raw = response.generate()
        expected = smpplib.smpp.parse_pdu(raw, client=client, allow_unknown_opt_params=True)
        chunks = [raw[:4], raw[4:]]
        client._recv_exact = lambda size, chunks=chunks: chunks.pop(0)  # type: ignore[method-assign]
        got = client.read_pdu()
        assert (got.command, got.sequence, got.status) == ("submit_sm_resp", 7, status)
        assert (got.message_id or None) == (expected.message_id or None)
