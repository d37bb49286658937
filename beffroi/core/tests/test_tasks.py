from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus, task_backends
from django.utils import timezone

import conftest
from beffroi.core.audit import audit_events_purge, audit_record
from beffroi.core.models import AuditEvent
from beffroi.core.tasks import audit_purge
from beffroi.testing import Cast, make_organisation


def _age(event: AuditEvent, days: int) -> None:
    AuditEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(days=days))


def _events(cast: Cast) -> tuple[AuditEvent, AuditEvent]:
    old = audit_record(action="test.old", organisation=cast.org)
    recent = audit_record(action="test.recent", organisation=cast.org)
    _age(old, 400)
    _age(recent, 10)
    return old, recent


def test_it_purges_audit_events_past_retention(cast: Cast) -> None:
    _events(cast)
    assert audit_events_purge(retention_days=365) == 1
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.recent"]
    with pytest.raises(ValueError):
        audit_events_purge(retention_days=0)


def test_it_runs_an_enqueued_task_in_the_database_worker(
    transactional_db: None, settings: Any
) -> None:
    # Transactional: the worker checks its connection between tasks (close_old_connections),
    # which would end the enclosing transaction of an ordinary test on PostgreSQL.
    organisation = make_organisation(name="Commune de Tâcheville", slug="tache", host="testserver")
    settings.AUDIT_RETENTION_DAYS = 365
    old = audit_record(action="test.old", organisation=organisation)
    audit_record(action="test.recent", organisation=organisation)
    _age(old, 400)
    result = audit_purge.enqueue()
    assert result.status == TaskResultStatus.READY
    assert AuditEvent.objects.count() == 2
    # The real worker command, processing every queue once and exiting.
    call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", "-v", "0")
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.recent"]


def _redis_url() -> str:
    import os

    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


@pytest.mark.redis
def test_it_runs_a_task_through_redis_and_rq(cast: Cast, settings: Any) -> None:
    url = _redis_url()
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 2).close()
    except OSError:
        conftest.service_unavailable("Redis")
    queues = list(settings.TASK_QUEUES)
    settings.RQ_QUEUES = {name: {"URL": url} for name in queues}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": queues}}
    settings.AUDIT_RETENTION_DAYS = 365
    task_backends._settings = None  # type: ignore[attr-defined]
    try:
        import django_rq
        from rq import SimpleWorker

        queue = django_rq.get_queue("default")
        queue.empty()
        _events(cast)
        result = audit_purge.using(backend="default").enqueue()
        assert result.backend == "default"
        assert type(task_backends["default"]).__name__ == "RQBackend"
        worker = SimpleWorker([queue], connection=queue.connection, job_class="django_tasks_rq.Job")
        worker.work(burst=True)
        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL
        assert result.return_value == 1
        assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.recent"]
    finally:
        task_backends._settings = None  # type: ignore[attr-defined]
