from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from ninja.errors import HttpError, ValidationError

from beffroi.api.api import api
from beffroi.api.tests.factories import bearer, make_token
from beffroi.testing import Cast


def test_it_describes_the_organisation_of_the_host(cast: Cast, client: Client) -> None:
    response = client.get("/api/v1/organisation")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Commune de Valmont"
    assert body["communes"] == [{"insee_code": "99001", "name": "Valmont", "postcode": ""}]
    assert body["contact"]["email"] == "mairie@valmont.example"
    assert body["centre"] == {"lat": 45.0, "lon": 4.0, "zoom": 13}
    other = client.get("/api/v1/organisation", HTTP_HOST="autreville.localhost").json()
    assert other["slug"] == "autreville"


@pytest.mark.django_db
def test_it_answers_404_in_json_without_an_organisation(client: Client) -> None:
    response = client.get("/api/v1/organisation")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found."}


def test_it_reports_validation_errors_field_by_field(rf: RequestFactory) -> None:
    request = rf.get("/api/v1/x")
    exc = ValidationError(
        [
            {
                "loc": ("query", "lon"),
                "msg": "Input should be a valid number",
                "type": "float_parsing",
            },
            {"loc": ("body", "payload", "name"), "msg": "Field required", "type": "missing"},
            {"loc": ("query", "q"), "msg": "Something odd", "type": "weird"},
        ]
    )
    with translation.override("en"):
        response = api.on_exception(request, exc)
    assert response.status_code == 422
    import json

    body = json.loads(response.content)
    assert body["detail"] == "The request is invalid."
    assert body["errors"] == {
        "query.lon": ["Enter a number."],
        "body.payload.name": ["This field is required."],
        "query.q": ["Something odd"],
    }


@pytest.mark.parametrize(
    ("exc", "status", "detail"),
    [
        (HttpError(400, "Cannot parse request body (Expecting value)"), 400,
         "The request body is not valid JSON."),
        (HttpError(403, "Forbidden"), 403, "You are not allowed to do this."),
        (HttpError(409, "Already approved."), 409, "Already approved."),
    ],
)  # fmt: skip
def test_it_turns_http_errors_into_json(
    rf: RequestFactory, exc: Exception, status: int, detail: str
) -> None:
    response = api.on_exception(rf.get("/api/v1/x"), exc)
    assert response.status_code == status
    import json

    assert json.loads(response.content) == {"detail": detail}


def test_it_limits_requests_per_client_with_retry_after(
    cast: Cast, client: Client, settings: Any
) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    for _ in range(3):
        assert client.get("/api/v1/organisation").status_code == 200
    response = client.get("/api/v1/organisation")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json() == {"detail": "Too many requests: please wait and try again."}
    # Token guessing is throttled too: the budget is checked before authentication.
    key = make_token(cast.administrator, cast.org)
    assert client.get("/api/v1/me", **bearer(key)).status_code == 429
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer bf_a_b").status_code == 429
    # Another client address has its own budget.
    assert client.get("/api/v1/organisation", REMOTE_ADDR="192.0.2.7").status_code == 200


def test_it_serves_the_docs_with_static_scripts_only(cast: Cast, client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "unsafe-inline" not in csp
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    for attributes, body in scripts:
        # Executable scripts come from our origin; inline ones are data only.
        if "src=" in attributes:
            assert body.strip() == ""
            assert "/static/ninja/" in attributes
        else:
            assert 'type="application/json"' in attributes
    assert 'lang="' in html


@pytest.mark.django_db(transaction=True)
def test_it_holds_the_limit_with_sixteen_clients_at_once(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sixteen threads once got 900 answers through a limit of 300: the cache's counter was
    # read and written in two steps. Every request now counts with one atomic increment.
    import threading

    from django.db import connection

    from beffroi.core import ratelimit
    from beffroi.testing import make_cast

    make_cast()
    # One instant for the whole test: a minute boundary would open a fresh budget.
    monkeypatch.setattr(ratelimit, "clock", lambda: 2_000_000_010.0)
    settings.API_RATE_LIMIT_PER_MINUTE = 40
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(16)

    def work() -> None:
        client = Client()
        barrier.wait()
        try:
            for _ in range(8):
                status = client.get("/api/v1/organisation").status_code
                with lock:
                    statuses.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 128
    assert statuses.count(200) == 40
    assert statuses.count(429) == 88
