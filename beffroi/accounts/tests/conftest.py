from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.conf import settings as django_settings


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    """Run tasks in-process so that e-mails land in ``mail.outbox``."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": django_settings.TASK_QUEUES,
        }
    }


@pytest.fixture
def sent(
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> Callable[[], AbstractContextManager[Any]]:
    """``with sent(): client.post(...)`` runs the on-commit enqueues the request registered."""

    def capture() -> AbstractContextManager[Any]:
        return django_capture_on_commit_callbacks(execute=True)

    return capture
