"""Load against a real production server: gunicorn on loopback, N concurrent HTTP clients.

``served(env)`` starts gunicorn (``bench.wsgi``: Beffroi's WSGI application, plus
``/bench/bare/<id>/``, the floor every page is compared with — one indexed query, one small
template) and stops it afterwards; ``load(...)`` runs ``clients`` threads, each over its own
keep-alive connection, and returns every request's latency. The clients run in this process,
on the same machine as the server, for the page under test and its baseline alike.
"""

from __future__ import annotations

import http.client
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(*, workers: int, threads: int = 1, log: Callable[[str], None]) -> Iterator[int]:
    """gunicorn serving Beffroi (with the bench's bare view) on a free loopback port; the
    environment (DATABASE_URL, BEFFROI_DATA_DIR…) is this process's."""
    port = free_port()
    env = dict(os.environ)
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    env["DEBUG"] = "0"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "bench.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread" if threads > 1 else "sync",
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/bench/bare/0/")
                connection.getresponse().read()
                connection.close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        log(f"gunicorn: {workers} workers on 127.0.0.1:{port}")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# What every browser (and locust's client) sends: a server may answer compressed. The body
# is read as received, not decompressed (a browser's native code does that).
BROWSER_HEADERS = {"Accept-Encoding": "gzip, deflate"}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LoadResult:
    latencies: list[float]
    seconds: float
    errors: list[str]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[index]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def load(
    port: int,
    requests_of: Callable[[int], list[Request]],
    *,
    clients: int,
    expect: tuple[int, ...] = (200,),
    think: tuple[float, float] | None = None,
) -> LoadResult:
    """``clients`` threads, client ``i`` sending ``requests_of(i)`` in order over one
    keep-alive connection; a response outside ``expect``, or a failed request, is recorded
    as an error. ``think``: each client pauses a uniform (min, max) seconds after each
    response, as a person reading the page before the next click (locust's ``between``);
    None: the next request leaves at once (a saturation test)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client(i: int) -> None:
        plan = requests_of(i)
        pauses = random.Random(i)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        wrong: list[str] = []
        start.wait()
        for request in plan:
            began = time.perf_counter()
            try:
                connection.request(
                    request.method,
                    request.path,
                    body=request.body or None,
                    headers={**BROWSER_HEADERS, **dict(request.headers)},
                )
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                wrong.append(f"{request.method} {request.path}: {exc!r}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            mine.append(time.perf_counter() - began)
            if response.status not in expect:
                wrong.append(f"{request.method} {request.path}: {response.status}")
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            if think is not None:
                time.sleep(pauses.uniform(*think))
        connection.close()
        with lock:
            latencies.extend(mine)
            errors.extend(wrong)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return LoadResult(latencies, time.perf_counter() - began, errors)
