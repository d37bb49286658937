"""``beffroi serve``: the web server and the task worker, together, in one terminal.

A commune trying Beffroi (``make run``) must not have to learn that alerts are sent by a
second process: this command starts both, shows where to go and how to log in, starts the
worker again if it dies (and says so), and stops both when the web server stops or when it
is interrupted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from beffroi.demo import constants as demo

# A worker that dies is restarted at most this many times in this many seconds.
WORKER_RESTARTS = 5
WORKER_RESTART_WINDOW = 60.0
# The children started again when they die, and what the terminal says about it.
RESTARTED = {
    "worker": "Messages it was sending are re-queued by the new worker.",
    "receiver": "Replies and receipts that arrive meanwhile wait at the SMS gateway.",
}


def web_command(host: str, port: int, *, debug: bool) -> list[str]:
    if debug:
        # Django's development server: reloads on code changes, serves static files.
        return [sys.executable, "-m", "beffroi", "runserver", f"{host}:{port}"]
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "beffroi.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(max(2, min(os.cpu_count() or 2, 4))),
        "--access-logfile",
        "-",
    ]


def worker_command() -> list[str] | None:
    """The worker for the configured task backend (None: tasks run inline)."""
    queues = list(settings.TASK_QUEUES)
    if settings.TASKS_BACKEND == "rq":
        return [
            sys.executable,
            "-m",
            "beffroi",
            "rqworker",
            *queues,
            "--job-class",
            "django_tasks_rq.Job",
        ]
    if settings.TASKS_BACKEND == "database":
        return [
            sys.executable,
            "-m",
            "beffroi",
            # db_worker on every queue, plus the alerts sweeper (stale claims, lost tasks).
            "dispatch_worker",
            "--queue-name",
            ",".join(queues),
        ]
    return None


def receiver_command() -> list[str]:
    return [sys.executable, "-m", "beffroi", "smpp_receiver"]


def demo_loaded() -> bool:
    from beffroi.territory.models import Organisation

    organisation = Organisation.objects.filter(slug=demo.ORGANISATION_SLUG).first()
    return organisation is not None and bool(organisation.settings.get("demo_version"))


class Command(BaseCommand):
    help = "Run the web server and the background task worker until interrupted."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument("--no-worker", action="store_true", help="Run the web server only.")

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"]
        port: int = options["port"]
        if not 0 < port < 65536:
            raise CommandError(f"Invalid port {port}.")
        commands = {"web": web_command(host, port, debug=settings.DEBUG)}
        environment = dict(os.environ)
        gateways = None
        if settings.DEMO_GATEWAYS:
            from beffroi.demo.gateways import DemoGateways

            # Started here, before the children: the worker reads the gateways' URLs from
            # its environment when it starts, and its first message must find them up.
            gateways = DemoGateways()
            gateways.start()
            environment.update(gateways.environment())
        worker = None if options["no_worker"] else worker_command()
        if worker is not None:
            commands["worker"] = worker
        if gateways is not None:
            # Residents' replies typed on the outbox's phone ("OUI", "STOP") and the
            # delivery receipts reach the site through the SMS receiver, as in production.
            commands["receiver"] = receiver_command()

        shown_host = f"[{host}]" if ":" in host else host
        self.stdout.write(self.style.SUCCESS(f"Beffroi on http://{shown_host}:{port}/"))
        if worker is None and not options["no_worker"]:
            self.stdout.write("Tasks run inline (TASKS_BACKEND=immediate): no worker started.")
        if gateways is not None:
            self.stdout.write(
                "Demo gateways: e-mails to "
                f"{gateways.smtp.url}, SMS to 127.0.0.1:{gateways.smsc.port}; nothing leaves "
                f"this machine. See them at http://{shown_host}:{port}{reverse('demo:outbox')} "
                "(the back office's “Demo outbox”)."
            )
        if demo_loaded():
            for line in demo.login_lines():
                self.stdout.write(line)
        self.stdout.write("Press Ctrl-C to stop.")
        self.stdout.flush()

        children: dict[str, subprocess.Popen[bytes]] = {}
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM if signum == signal.SIGTERM else signum)

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for name, command in commands.items():
                children[name] = subprocess.Popen(command, env=environment)
            exit_code = self._supervise(children, lambda: stopping, commands, environment)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._terminate(children)
            if gateways is not None:
                gateways.stop()
        if exit_code and not stopping:
            raise CommandError(f"Stopped: a child process exited with status {exit_code}.")

    def _supervise(
        self,
        children: dict[str, subprocess.Popen[bytes]],
        stopping: Any,
        commands: dict[str, list[str]] | None = None,
        environment: dict[str, str] | None = None,
    ) -> int:
        """Wait until the web server exits (or a signal asks to stop); return its status.

        A worker that dies is started again, and the terminal says so: alerts must keep
        going out while someone looks at the page. A worker that keeps dying (more than
        ``WORKER_RESTARTS`` times in ``WORKER_RESTART_WINDOW`` seconds) stops everything,
        since restarting it again would only hide the fault.
        """
        restarts: list[float] = []
        while True:
            for name, child in list(children.items()):
                code = child.poll()
                if code is None:
                    continue
                if stopping():
                    return code
                now = time.monotonic()
                restarts = [at for at in restarts if now - at < WORKER_RESTART_WINDOW]
                if name in RESTARTED and commands and len(restarts) < WORKER_RESTARTS:
                    restarts.append(now)
                    self.stderr.write(
                        f"The {name} process exited (status {code}): starting it again. "
                        + RESTARTED[name]
                    )
                    self.stderr.flush()
                    children[name] = subprocess.Popen(commands[name], env=environment)
                    continue
                self.stderr.write(f"The {name} process exited (status {code}).")
                return code
            time.sleep(0.2)

    @staticmethod
    def _terminate(children: dict[str, subprocess.Popen[bytes]]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 10
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
