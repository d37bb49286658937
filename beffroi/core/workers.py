"""Task workers' heartbeats: which worker claimed what, and whether it is still there.

``beffroi dispatch_worker`` registers itself (``worker_register``), beats from a thread
(``worker_beat``) and unregisters when it stops. Work a worker claims is tagged with
``current_worker()``; the sweep asks ``workers_gone()`` which tags belong to workers that are
no more, and takes their claims back at once. A process that is not a registered worker
(the web server running tasks inline, a test) claims with the empty tag, and only the claim
timeout applies to it.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from beffroi.core.models import WorkerHeartbeat

_current = ""


def current_worker() -> str:
    """The tag of this process's claims: its worker id, or "" when it is not a worker."""
    return _current


@cache
def this_machine() -> str:
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return f"{socket.gethostname()}|{namespace}"[:200]


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot; "" where /proc is not
    readable (the PID alone then decides); None when no such process exists."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return "" if _pid_exists(pid) else None
    # The command name (field 2) may hold spaces or parentheses: fields count from the last ")".
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def worker_register(*, queues: str, worker_id: str | None = None) -> str:
    """Record this process as a running worker; its claims carry the returned id."""
    global _current
    pid = os.getpid()
    now = timezone.now()
    worker = worker_id or f"{socket.gethostname()[:40]}-{pid}-{uuid.uuid4().hex[:8]}"
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker,
        defaults={
            "queues": queues[:200],
            "machine": this_machine(),
            "pid": pid,
            "process_start": process_start(pid) or "",
            "started_at": now,
            "beat_at": now,
        },
    )
    _current = worker
    return worker


def worker_beat(now: datetime | None = None) -> None:
    """Refresh this worker's heartbeat (recreated if a sweep took it for gone and deleted it:
    that sweep re-queued our claims, and our late outcomes are refused by the claim check)."""
    if not _current:
        return
    now = now or timezone.now()
    if not WorkerHeartbeat.objects.filter(worker_id=_current).update(beat_at=now):
        worker_register(queues="", worker_id=_current)


def worker_unregister() -> None:
    """A clean stop: the claims this worker still holds are free to take at once."""
    global _current
    if _current:
        WorkerHeartbeat.objects.filter(worker_id=_current).delete()
    _current = ""


def _is_gone(worker: WorkerHeartbeat, now: datetime) -> bool:
    if worker.worker_id == _current:
        return False
    if worker.machine == this_machine():
        start = process_start(worker.pid)
        return start is None or bool(worker.process_start and start != worker.process_start)
    timeout = timedelta(seconds=settings.WORKER_HEARTBEAT_TIMEOUT_SECONDS)
    return worker.beat_at < now - timeout


def workers_gone(now: datetime | None = None) -> list[str]:
    """Ids of the registered workers that are no more (see ``WorkerHeartbeat``)."""
    now = now or timezone.now()
    return [w.worker_id for w in WorkerHeartbeat.objects.all() if _is_gone(w, now)]


def workers_forget(worker_ids: list[str]) -> None:
    """Drop the heartbeats of gone workers, once their claims were taken back."""
    if worker_ids:
        WorkerHeartbeat.objects.filter(worker_id__in=worker_ids).delete()
