"""HSTS goes out on secure requests only, whatever a client claims in its headers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Runs in a fresh interpreter: HTTPS and PROXY_COUNT are read when the settings load.
_PROBE = """
import django
django.setup()
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.test import RequestFactory

middleware = SecurityMiddleware(lambda request: HttpResponse("ok"))
factory = RequestFactory()
for name, request in [
    ("plain", factory.get("/", HTTP_HOST="localhost")),
    ("spoofed", factory.get("/", HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")),
    ("tls", factory.get("/", HTTP_HOST="localhost", secure=True)),
]:
    response = middleware(request)
    hsts = response.has_header("Strict-Transport-Security")
    print(name, response.status_code, "hsts" if hsts else "-")
"""


def _probe(tmp_path: Path, **env: str) -> dict[str, tuple[str, str]]:
    base = {k: v for k, v in os.environ.items() if k not in {"HTTPS", "PROXY_COUNT"}}
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        check=True,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "beffroi.settings",
            "BEFFROI_DATA_DIR": str(tmp_path),
            **env,
        },
    )
    lines = [line.split() for line in result.stdout.strip().splitlines()]
    return {name: (status, hsts) for name, status, hsts in lines}


def test_it_never_sends_hsts_over_plain_http_without_a_proxy(tmp_path: Path) -> None:
    seen = _probe(tmp_path, HTTPS="1")
    # A client claiming https in X-Forwarded-Proto is still on plain HTTP: redirected, no HSTS.
    assert seen["plain"] == ("301", "-")
    assert seen["spoofed"] == ("301", "-")
    assert seen["tls"] == ("200", "hsts")


def test_it_trusts_x_forwarded_proto_behind_a_proxy(tmp_path: Path) -> None:
    seen = _probe(tmp_path, HTTPS="1", PROXY_COUNT="1")
    assert seen["plain"] == ("301", "-")
    assert seen["spoofed"] == ("200", "hsts")
