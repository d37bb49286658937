"""A client that disconnects from a demo gateway (the worker stopped by Ctrl-C in
``make run``) is normal: one log line, no traceback."""

from __future__ import annotations

import logging
import socket
import struct
import time

import pytest

from beffroi.demo.gateways import DemoGateways, demo_gateways


def _reset(port: int, payload: bytes) -> None:
    """Connect, send ``payload``, then cut the connection with a reset (as a killed
    process's socket does)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(payload)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _wait_for(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = [r for r in caplog.records if text in r.getMessage()]
        if found:
            return found
        time.sleep(0.05)
    return []


@pytest.mark.django_db(transaction=True)
def test_a_client_cut_off_mid_session_is_one_line_without_traceback(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO, logger="beffroi.demo.gateways")
    store_calls: list[object] = []
    gateways: DemoGateways
    with demo_gateways(store=store_calls.append) as gateways:
        # Half a PDU (a 100-byte length, 8 bytes of it), then a reset: the server is reading.
        _reset(gateways.smsc.port, struct.pack(">L", 100) + b"\x00" * 4)
        records = _wait_for(caplog, "disconnected")
        _reset(gateways.smtp.port, b"EHLO beffroi\r\n")
        records += _wait_for(caplog, "disconnected (")
    assert records, "the disconnection was not logged"
    assert all(r.levelno == logging.INFO and r.exc_info is None for r in records)
    assert "Traceback" not in capsys.readouterr().err


def test_an_outbox_copy_waits_for_a_busy_database() -> None:
    """The dispatch writing its outcomes holds SQLite's writer lock for a moment: the copy of
    the message waits for it instead of being lost."""
    from django.db import OperationalError

    from beffroi.demo.gateways import ReceivedMessage, _store_safely

    stored: list[ReceivedMessage] = []
    busy = {"left": 3}

    def store(message: ReceivedMessage) -> None:
        if busy["left"]:
            busy["left"] -= 1
            raise OperationalError("database table is locked")
        stored.append(message)

    message = ReceivedMessage("sms", "MAIRIE", "+33641987701", "", "", "Crue")
    _store_safely(store, message)
    assert stored == [message]
