"""Every domain's periodic jobs, run once by ``beffroi periodic``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command

from beffroi.core import periodic
from beffroi.core.periodic import PeriodicJob, register_periodic


@pytest.fixture
def jobs() -> Iterator[list[str]]:
    saved = dict(periodic._JOBS)
    periodic._JOBS.clear()
    ran: list[str] = []
    yield ran
    periodic._JOBS.clear()
    periodic._JOBS.update(saved)


def test_it_runs_each_job_once_and_reports_failures(
    jobs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    register_periodic(PeriodicJob("a", 60, lambda: jobs.append("a") or 3))

    def broken() -> None:
        jobs.append("b")
        raise RuntimeError("database locked")

    register_periodic(PeriodicJob("b", 60, broken))
    with pytest.raises(CommandError, match="1 job"):
        call_command("periodic")
    assert jobs == ["a", "b"]
    out = capsys.readouterr()
    assert "a: 3" in out.out and "b: failed: database locked" in out.err
    jobs.clear()
    call_command("periodic", job=["a"])
    assert jobs == ["a"]
    with pytest.raises(CommandError, match="Unknown job"):
        call_command("periodic", job=["nope"])


def test_participation_registers_its_phase_notices() -> None:
    assert "participation-phases" in {job.name for job in periodic.periodic_jobs()}
