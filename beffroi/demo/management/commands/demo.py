"""``beffroi demo``: load the fictional commune of Vaudrecourt-sur-Aulne (idempotent)."""

from __future__ import annotations

import dataclasses
import time
from argparse import ArgumentParser
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import ProtectedError
from django.test.utils import override_settings

from beffroi.demo import constants as c
from beffroi.demo.gateways import ReceivedMessage, demo_gateways
from beffroi.demo.loader import DemoError, demo_load
from beffroi.demo.services import outbox_message_store


def delivered_to_outbox[T](load: Callable[[], T]) -> tuple[T, int]:
    """Run ``load`` with the transports pointed at demo gateways of its own, then keep what
    they received in the outbox: the e-mails and SMS of the demo's history (decisions told
    to volunteers, a past call-out) are there when ``make run`` opens, instead of failing
    for want of a mail server. The messages are kept in memory while the load's transaction
    runs (SQLite lets one writer at a time) and written once it has committed."""
    received: list[ReceivedMessage] = []
    with (
        demo_gateways(store=received.append) as gateways,
        override_settings(
            ALERT_EMAIL_URL=gateways.smtp.url,
            SMS_TRANSPORT="smpp",
            SMPP_URL=gateways.smsc.url,
        ),
    ):
        result = load()
    for message in received:
        outbox_message_store(**dataclasses.asdict(message))
    return result, len(received)


class Command(BaseCommand):
    help = (
        "Load the fictional demo commune Vaudrecourt-sur-Aulne: zones, ~1,500 BAN addresses, "
        "residents and one agent per role. Does nothing when it is already loaded."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo organisation and its accounts, then build it again.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"  {message}")
            self.stdout.flush()

        def load() -> Any:
            return demo_load(reset=options["reset"], progress=progress)

        try:
            if settings.DEMO_GATEWAYS:
                report, kept = delivered_to_outbox(load)
                if kept:
                    progress(f"{kept} messages of the demo's history kept in the demo outbox")
            else:
                report = load()
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        except ProtectedError as exc:
            raise CommandError(
                "The demo organisation is referenced by data that cannot be deleted "
                f"automatically ({exc}); remove it first."
            ) from exc
        summary = (
            f"{report.organisation.name}: {report.zones} zones, {report.streets} streets, "
            f"{report.addresses} addresses, {report.residents} residents, "
            f"{report.agents} agents"
        )
        if report.loaded:
            elapsed = time.monotonic() - started
            self.stdout.write(self.style.SUCCESS(f"Demo loaded in {elapsed:.1f} s. {summary}."))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo already loaded, nothing changed ({summary}). Use --reset to rebuild it."
                )
            )
        for line in c.login_lines():
            self.stdout.write(line)
