"""Periodic jobs of every domain, run by each ``beffroi dispatch_worker`` (database backend)
or by ``beffroi periodic`` from cron / a systemd timer (Redis backend).

A domain registers a job from its ``AppConfig.ready`` (core imports no domain):
``register_periodic(PeriodicJob("participation-phases", 300, phases_notify_transitions))``.
Jobs must be idempotent and safe to run from two workers at once (each claims its work with
a conditional update or a row lock): several workers run them, none is special.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: float
    call: Callable[[], object]


_JOBS: dict[str, PeriodicJob] = {}


def register_periodic(job: PeriodicJob) -> None:
    _JOBS[job.name] = job


def periodic_jobs() -> list[PeriodicJob]:
    return sorted(_JOBS.values(), key=lambda job: job.name)
