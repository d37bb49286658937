"""``beffroi periodic [--job NAME]``: run every registered periodic job once (cron, systemd
timer), for installations whose workers are RQ workers rather than ``dispatch_worker``."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from beffroi.core.periodic import periodic_jobs


class Command(BaseCommand):
    help = "Run the periodic jobs of every domain once (phase notices, reminders, digests…)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--job", action="append", default=[], help="Only this job.")

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = periodic_jobs()
        names = {job.name for job in jobs}
        unknown = set(options["job"]) - names
        if unknown:
            raise CommandError(
                f"Unknown job(s): {', '.join(sorted(unknown))}. Known: {', '.join(sorted(names))}."
            )
        failed = 0
        for job in jobs:
            if options["job"] and job.name not in options["job"]:
                continue
            try:
                result = job.call()
            except Exception as exc:  # one job's failure must not stop the others
                failed += 1
                self.stderr.write(f"{job.name}: failed: {exc}")
            else:
                self.stdout.write(f"{job.name}: {result}")
        if failed:
            raise CommandError(f"{failed} job(s) failed.")
