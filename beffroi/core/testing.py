"""Test helpers that need no domain: what the task backend received, and real
``beffroi dispatch_worker`` subprocesses sharing the database with a test.

``enqueued(backend, task)`` reads the calls a ``DummyBackend`` recorded (the root conftest's
``task_backend`` fixture installs one): tests assert what was handed to the queue, not that
a patched function was called.

The worker processes are used by the reliability scenarios (a worker killed, a gateway
down). The fan-out runs in the test process; the workers then see its rows:

- on PostgreSQL, the test database itself (the test runs with ``transaction=True``, so its
  autocommit connection sees the workers' commits and they see its own);
- on SQLite, the test database is in memory: it is copied to a file that the workers open,
  and ``reading_shared_database`` points the test's own Django connection at that file
  while the test reads (ORM queries, views through the test client).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections

BEFFROI = str(Path(sys.executable).with_name("beffroi"))

__all__ = [
    "count",
    "enqueued",
    "reading_shared_database",
    "shared_database",
    "spawn_worker",
    "stop_workers",
    "worker_env",
]


def enqueued(backend: Any, task: Any) -> list[dict[str, Any]]:
    """The keyword arguments of every call of ``task`` that ``backend`` (a DummyBackend)
    received, in order."""
    wanted = task.module_path
    return [dict(result.kwargs) for result in backend.results if result.task.module_path == wanted]


def count(db: Path | None, sql: str) -> int:
    """``SELECT COUNT(*) …`` on the database the workers write."""
    if db is None:  # PostgreSQL: the test's own (autocommit) connection sees the workers' rows
        with connection.cursor() as cursor:
            cursor.execute(sql)
            row = cursor.fetchone()
            assert row is not None
            return int(row[0])
    with sqlite3.connect(db, timeout=20) as conn:
        return int(conn.execute(sql).fetchone()[0])


def shared_database(tmp_path: Path) -> tuple[Path | None, str]:
    """The database the workers use: (SQLite file or None, DATABASE_URL). On SQLite, the
    file is a copy of the test database as it is now: write what the workers need first."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
        return None, f"postgres://{auth}@{host}/{s['NAME']}"
    db = tmp_path / "beffroi.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(db)
    connection.connection.backup(target)  # type: ignore[union-attr]
    target.close()
    return db, f"sqlite:///{db}"


@contextlib.contextmanager
def reading_shared_database(db: Path | None) -> Iterator[None]:
    """Within the block, the test's default connection reads and writes the workers' SQLite
    file (a no-op on PostgreSQL). The in-memory test database is put back afterwards, so
    that the test's teardown flushes the database it owns."""
    if db is None:
        yield
        return
    original = connections[DEFAULT_DB_ALIAS]
    shared = original.__class__({**original.settings_dict, "NAME": str(db)}, DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = shared
    try:
        yield
    finally:
        shared.close()
        connections[DEFAULT_DB_ALIAS] = original


def worker_env(
    *, database_url: str, data_dir: Path, smtp_url: str, smpp_url: str, **settings: str | int
) -> dict[str, str]:
    """The environment of a worker: the shared database, the loopback gateways, no pacing,
    and ``settings`` (read by beffroi/settings.py from the environment)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "BEFFROI_DATA_DIR": str(data_dir),
        "TASKS_BACKEND": "database",
        "ALERT_EMAIL_URL": smtp_url,
        "SMS_TRANSPORT": "smpp",
        "SMPP_URL": smpp_url,
        "SMPP_MAX_PER_SECOND": "0",
        "ALERT_EMAIL_MAX_PER_SECOND": "0",
        "DEBUG": "0",
        **{name: str(value) for name, value in settings.items()},
    }


def spawn_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [BEFFROI, "dispatch_worker", "--interval", "0.05"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    """Terminate the workers (SIGTERM: db_worker finishes its task), kill any that hangs."""
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
