"""Loopback gateways for the fan-out benchmark, each in its own process, and the bare loops.

The servers count what they accept in shared counters, so the benchmark can stop its clock
when the last message is accepted without asking the database. The SMTP server is aiosmtpd
with a counting handler (no parsing: it must not be the bottleneck of either side); the
SMSC is the tests' smpp34-based ``SmscServer``.

The bare loops are the floor Beffroi is compared with: ``smtplib`` sending pre-formatted
messages over one connection, and ``smpplib`` submitting one ``submit_sm`` at a time and
reading its response, one connection each, in as many processes as Beffroi has workers.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.synchronize
import time
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from typing import Any

HOST = "127.0.0.1"
SYSTEM_ID = "beffroi"
PASSWORD = "secret"


def _smtp_main(port: int, counter: Synchronized[int], ready: Any) -> None:
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_EHLO(
            self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
        ) -> list[str]:
            # PIPELINING offered, as Postfix, Exim and the mailbox providers' relays do
            # (aiosmtpd reads pipelined commands, it just does not say so).
            session.host_name = hostname
            return [*responses[:-1], "250-PIPELINING", responses[-1]]

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with counter.get_lock():
                counter.value += len(envelope.rcpt_tos)
            return "250 2.0.0 Accepted"

    controller = Controller(Counting(), hostname=HOST, port=port, ready_timeout=10.0)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def _smsc_main(port: int, counter: Synchronized[int], ready: Any) -> None:
    from beffroi.messaging.testing import SmscServer

    server = SmscServer(system_id=SYSTEM_ID, password=PASSWORD, port=port)
    server.start()
    ready.set()
    while True:
        counter.value = len(server.submitted)
        time.sleep(0.01)


@dataclass
class Gateways:
    smtp_port: int
    smpp_port: int
    emails: Synchronized[int]
    sms: Synchronized[int]
    processes: list[multiprocessing.Process]

    @property
    def smtp_url(self) -> str:
        return f"smtp://{HOST}:{self.smtp_port}"

    @property
    def smpp_url(self) -> str:
        return f"smpp://{SYSTEM_ID}:{PASSWORD}@{HOST}:{self.smpp_port}?source=MAIRIE"

    def counts(self) -> tuple[int, int]:
        return int(self.emails.value), int(self.sms.value)

    def wait_for(self, emails: int, sms: int, *, timeout: float, poll: float = 0.02) -> float:
        """Block until the servers accepted that many; returns the perf_counter() time."""
        deadline = time.perf_counter() + timeout
        while True:
            now = time.perf_counter()
            got_emails, got_sms = self.counts()
            if got_emails >= emails and got_sms >= sms:
                return now
            if now > deadline:
                raise TimeoutError(
                    f"gateways accepted {got_emails:,}/{emails:,} e-mails and "
                    f"{got_sms:,}/{sms:,} SMS in {timeout:.0f}s"
                )
            time.sleep(poll)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
            process.join(5)


def start_gateways() -> Gateways:
    from beffroi.messaging.testing import free_port

    context = multiprocessing.get_context("spawn")
    emails = context.Value("q", 0)
    sms = context.Value("q", 0)
    smtp_port, smpp_port = free_port(), free_port()
    processes = []
    for target, port, counter in ((_smtp_main, smtp_port, emails), (_smsc_main, smpp_port, sms)):
        ready = context.Event()
        process = context.Process(target=target, args=(port, counter, ready), daemon=True)
        process.start()
        if not ready.wait(30):
            raise RuntimeError(f"loopback gateway {target.__name__} did not start")
        processes.append(process)
    return Gateways(smtp_port, smpp_port, emails, sms, processes)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Bare loops


EMAIL_TEMPLATE = (
    "From: Mairie <alertes@mairie.example>\r\n"
    "To: {to}\r\n"
    "Subject: Flood warning\r\n"
    "Message-ID: <{key}@mairie.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "{body}\r\n"
)


def _bare_main(
    smtp_port: int,
    smpp_port: int,
    recipients: list[tuple[str, str]],
    body: str,
    sms_text: str,
    ready: Any,
    go: Any,
) -> None:
    import smtplib

    import smpplib.client  # type: ignore[import-untyped]
    import smpplib.consts  # type: ignore[import-untyped]
    import smpplib.exceptions  # type: ignore[import-untyped]

    ready.set()
    go.wait()
    smtp = smtplib.SMTP(HOST, smtp_port)
    for index, (address, _number) in enumerate(recipients):
        raw = EMAIL_TEMPLATE.format(to=address, key=index, body=body).encode()
        smtp.sendmail("alertes@mairie.example", [address], raw)
    smtp.quit()

    client = smpplib.client.Client(HOST, smpp_port, allow_unknown_opt_params=True)
    client.set_message_sent_handler(lambda pdu: None)  # it prints by default
    client.connect()
    client.bind_transmitter(system_id=SYSTEM_ID, password=PASSWORD)
    text = sms_text.encode("ascii")
    for _address, number in recipients:
        client.send_message(
            source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
            source_addr="MAIRIE",
            dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
            dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
            destination_addr=number.lstrip("+"),
            short_message=text,
            data_coding=0,
            registered_delivery=1,
        )
        client.read_once()  # the submit_sm_resp
    # The test SMSC closes at unbind without a resp: everything was answered by then.
    with contextlib.suppress(smpplib.exceptions.ConnectionError):
        client.unbind()
    client.disconnect()


def bare_loops(
    gateways: Gateways,
    recipients: list[tuple[str, str]],
    *,
    processes: int,
    body: str,
    sms_text: str,
) -> float:
    """Send one e-mail and one SMS per (address, number) from ``processes`` processes, one
    SMTP and one SMPP connection each; seconds until the servers accepted everything."""
    context = multiprocessing.get_context("spawn")
    emails_before, sms_before = gateways.counts()
    shares = [recipients[i::processes] for i in range(processes)]
    go = context.Event()
    workers = []
    for share in shares:
        ready = context.Event()
        worker = context.Process(
            target=_bare_main,
            args=(gateways.smtp_port, gateways.smpp_port, share, body, sms_text, ready, go),
            daemon=True,
        )
        worker.start()
        workers.append((worker, ready))
    # Process start-up (a fresh interpreter importing smtplib/smpplib) is part of neither
    # side's clock: Beffroi's workers are started before its clock starts too.
    for _worker, ready in workers:
        ready.wait(60)
    started = time.perf_counter()
    go.set()
    done = gateways.wait_for(
        emails_before + len(recipients), sms_before + len(recipients), timeout=1_800
    )
    for worker, _ready in workers:
        worker.join(30)
    return done - started
