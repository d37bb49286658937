"""Worker heartbeats: a worker whose process is gone is known at once on its own machine,
after the heartbeat timeout on another; a live one never is."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from beffroi.core import workers
from beffroi.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _not_a_worker() -> Iterator[None]:
    yield
    workers._current = ""


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _heartbeat(worker_id: str, **fields: Any) -> WorkerHeartbeat:
    now = timezone.now()
    values: dict[str, Any] = {
        "machine": workers.this_machine(),
        "pid": 1,
        "process_start": "",
        "started_at": now,
        "beat_at": now,
        **fields,
    }
    return WorkerHeartbeat.objects.create(worker_id=worker_id, **values)


def test_a_worker_whose_process_died_on_this_machine_is_gone_at_once() -> None:
    _heartbeat("dead", pid=_dead_pid())
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as alive:
        try:
            _heartbeat("alive", pid=alive.pid, process_start=workers.process_start(alive.pid))
            assert workers.workers_gone() == ["dead"]
        finally:
            alive.kill()


def test_a_reused_pid_does_not_pass_for_the_worker_that_had_it() -> None:
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as other:
        try:
            # The worker had this PID once, but the process now holding it started later.
            _heartbeat("before", pid=other.pid, process_start="1")
            assert workers.workers_gone() == ["before"]
        finally:
            other.kill()


def test_a_worker_on_another_machine_is_gone_only_after_the_heartbeat_timeout(
    settings: Any,
) -> None:
    settings.WORKER_HEARTBEAT_TIMEOUT_SECONDS = 60
    now = timezone.now()
    _heartbeat(
        "quiet", machine="elsewhere|pid:[1]", pid=_dead_pid(), beat_at=now - timedelta(seconds=61)
    )
    _heartbeat(
        "beating", machine="elsewhere|pid:[1]", pid=_dead_pid(), beat_at=now - timedelta(seconds=59)
    )
    assert workers.workers_gone(now) == ["quiet"]


def test_a_registered_worker_beats_is_never_gone_itself_and_unregisters() -> None:
    worker_id = workers.worker_register(queues="alerts")
    assert workers.current_worker() == worker_id
    row = WorkerHeartbeat.objects.get(worker_id=worker_id)
    assert row.process_start == workers.process_start(row.pid)
    assert workers.workers_gone() == []

    later = timezone.now() + timedelta(seconds=5)
    workers.worker_beat(later)
    assert WorkerHeartbeat.objects.get(worker_id=worker_id).beat_at == later
    # A sweep elsewhere took it for gone and dropped its row: the next beat writes it again.
    workers.workers_forget([worker_id])
    workers.worker_beat()
    assert WorkerHeartbeat.objects.filter(worker_id=worker_id).exists()

    workers.worker_unregister()
    assert workers.current_worker() == ""
    assert not WorkerHeartbeat.objects.exists()
