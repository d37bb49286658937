from __future__ import annotations

import sys
import time
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from beffroi.demo.management.commands import serve


def test_it_starts_the_worker_of_the_configured_backend(settings: Any) -> None:
    settings.TASKS_BACKEND = "database"
    command = serve.worker_command()
    assert command is not None
    # The alerts worker runs every queue in the demo: its sweeper restarts lost fan-outs.
    assert command[-3:] == ["dispatch_worker", "--queue-name", "default,alerts,imports,email"]
    settings.TASKS_BACKEND = "rq"
    command = serve.worker_command()
    assert command is not None
    assert command[3:] == [
        "rqworker", "default", "alerts", "imports", "email", "--job-class", "django_tasks_rq.Job",
    ]  # fmt: skip
    settings.TASKS_BACKEND = "immediate"
    assert serve.worker_command() is None
    assert serve.web_command("127.0.0.1", 8000, debug=True)[-2:] == ["runserver", "127.0.0.1:8000"]
    assert "gunicorn" in serve.web_command("::1", 8000, debug=False)
    assert "[::1]:8000" in serve.web_command("::1", 8000, debug=False)


@pytest.mark.django_db
def test_it_stops_everything_when_one_process_dies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        serve,
        "web_command",
        lambda host, port, debug: [sys.executable, "-c", "raise SystemExit(3)"],
    )
    monkeypatch.setattr(
        serve, "worker_command", lambda: [sys.executable, "-c", "import time; time.sleep(60)"]
    )
    out = StringIO()
    started = time.monotonic()
    with pytest.raises(CommandError, match="status 3"):
        call_command("serve", "--port", "8799", stdout=out, stderr=StringIO())
    # The sleeping worker was terminated rather than waited for.
    assert time.monotonic() - started < 30
    assert "http://127.0.0.1:8799/" in out.getvalue()


WEB_STOPS_AFTER_3_S = "import time; time.sleep(3); raise SystemExit(3)"
SLEEPS = "import time; time.sleep(60)"
EXITS_7 = "raise SystemExit(7)"


@pytest.mark.django_db
def test_it_starts_a_dead_worker_again_and_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    # A killed worker once took the web server down with it: the page went blank while
    # someone was following an alert. Now the worker comes back and the web server stays.
    runs = tmp_path / "runs"
    worker = (
        "import pathlib, sys, time; p = pathlib.Path(sys.argv[1]); "
        "n = int(p.read_text()) if p.exists() else 0; p.write_text(str(n + 1)); "
        "sys.exit(9) if n == 0 else time.sleep(60)"
    )
    monkeypatch.setattr(
        serve,
        "web_command",
        lambda host, port, debug: [
            sys.executable,
            "-c",
            "import time; time.sleep(3); raise SystemExit(3)",
        ],
    )
    monkeypatch.setattr(serve, "worker_command", lambda: [sys.executable, "-c", worker, str(runs)])
    err = StringIO()
    with pytest.raises(CommandError, match="status 3"):
        call_command("serve", "--port", "8798", stdout=StringIO(), stderr=err)
    assert "The worker process exited (status 9): starting it again." in err.getvalue()
    assert runs.read_text() == "2"  # started, died, started again (and was stopped with the web)


@pytest.mark.django_db
def test_it_stops_when_the_worker_keeps_dying(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        serve,
        "web_command",
        lambda host, port, debug: [sys.executable, "-c", "import time; time.sleep(60)"],
    )
    monkeypatch.setattr(
        serve, "worker_command", lambda: [sys.executable, "-c", "raise SystemExit(7)"]
    )
    err = StringIO()
    with pytest.raises(CommandError, match="status 7"):
        call_command("serve", "--port", "8797", stdout=StringIO(), stderr=err)
    assert err.getvalue().count("starting it again") == serve.WORKER_RESTARTS
