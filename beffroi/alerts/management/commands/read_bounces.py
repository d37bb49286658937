"""``beffroi read_bounces --mbox FILE`` or ``--maildir DIR``: apply e-mail bounces.

Reads the mailbox of ALERT_EMAIL_RETURN_PATH; each delivery status notification about one
of our messages marks its delivery failed (hard bounce) with the diagnostic. Reading the
same mailbox twice changes nothing more.
"""

from __future__ import annotations

import mailbox
from argparse import ArgumentParser
from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from beffroi.alerts.dispatch.services import delivery_bounce_apply
from beffroi.core.progress import ProgressBar
from beffroi.messaging.email import parse_bounce


def _messages(box: mailbox.Mailbox[Any]) -> Iterator[bytes]:
    for key in box.iterkeys():
        yield box.get_bytes(key)


class Command(BaseCommand):
    help = "Mark e-mail deliveries failed from the bounces in an mbox file or a Maildir."

    def add_arguments(self, parser: ArgumentParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--mbox", help="An mbox file.")
        source.add_argument("--maildir", help="A Maildir directory.")

    def handle(self, *args: Any, **options: Any) -> None:
        box: mailbox.Mailbox[Any]
        try:
            if options["mbox"]:
                box = mailbox.mbox(options["mbox"], create=False)
            else:
                box = mailbox.Maildir(options["maildir"], create=False)
            total = len(box)
        except (OSError, mailbox.Error) as exc:
            raise CommandError(f"Cannot read the mailbox: {exc}") from exc
        progress = ProgressBar("Bounces")
        read = bounces = applied = 0
        for raw in _messages(box):
            read += 1
            bounce = parse_bounce(raw)
            if bounce is not None:
                bounces += 1
                applied += delivery_bounce_apply(bounce=bounce)
            progress.update(read, total)
        progress.finish()
        self.stdout.write(
            f"Messages read: {read}; bounces about our deliveries: {bounces}; "
            f"deliveries updated: {applied}."
        )
