"""Property-based tests of the whole API from its own OpenAPI document (schemathesis).

Every operation gets generated valid and invalid inputs, with and without an agent's token,
against a database holding a commune with zones and addresses: no input may produce a 5xx,
and every documented response must match its schema.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from beffroi.accounts.models import Role, RoleAssignment
from beffroi.api.api import api
from beffroi.api.tests.factories import make_token
from beffroi.demo import addresses, geography
from beffroi.territory.services import ban_import, zones_import_geojson
from beffroi.testing import Cast

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def seeded(cast: Cast, tmp_path: Path) -> Cast:
    """The cast's commune with the demo's zones and a few hundred of its addresses."""
    geo = geography.build()
    for kind in ("district", "hamlet", "flood", "risk"):
        zones_import_geojson(
            organisation=cast.org,
            data=geography.zones_feature_collection(geo, kind),
            kind=kind,
        )
    path = tmp_path / "adresses.csv"
    path.write_bytes(addresses.ban_csv(addresses.generate(geo)[:300]))
    ban_import(organisation=cast.org, path=path, create_communes=True)
    # One agent holding every agent role, so that no endpoint is skipped for lack of a role.
    for role in (Role.ALERT_AUTHOR, Role.ALERT_APPROVER, Role.SOCIAL_AGENT, Role.FRONT_DESK,
                 Role.MODERATOR):  # fmt: skip
        RoleAssignment.objects.create(user=cast.administrator, organisation=cast.org, role=role)
    return cast


@pytest.fixture
def wsgi_env(seeded: Cast, settings: Any) -> Iterator[None]:
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    # The WSGI handler would otherwise close the test's connection (and its transaction)
    # after each request, as Django's own test client avoids too.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def agent_key(seeded: Cast, wsgi_env: None) -> str:
    return make_token(seeded.administrator, seeded.org, name="schemathesis")


# Built from the API object itself (no request, so no database at collection time); the
# requests go through the whole Django stack (middleware, host → organisation) over WSGI.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = WSGIHandler()


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_it_answers_every_operation_without_server_error(case: Any, agent_key: str) -> None:
    case.call_and_validate(checks=CHECKS)
    authenticated = case.call(headers={"Authorization": f"Bearer {agent_key}"})
    case.validate_response(authenticated, checks=CHECKS)


def test_it_publishes_a_valid_openapi_3_1_document(seeded: Cast, wsgi_env: None) -> None:
    served = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    raw = served.raw_schema
    assert raw == schema.raw_schema
    assert raw["openapi"].startswith("3.1")
    assert "/api/v1/me" in raw["paths"]
    assert "/api/v1/organisation" in raw["paths"]
    assert raw["components"]["securitySchemes"]["AgentToken"]["scheme"] == "bearer"
    # schemathesis validates the document when it builds the operations.
    operations = [result.ok() for result in served.get_all_operations()]
    assert len(operations) == sum(
        1 for item in raw["paths"].values() for method in item if method != "parameters"
    )


PINNED = Path(__file__).with_name("openapi.json")
UPDATE = "BEFFROI_UPDATE_OPENAPI"


def test_it_serves_the_committed_openapi_document(cast: Cast, client: Client) -> None:
    """``/api/v1/openapi.json`` is, byte for byte, the committed ``openapi.json`` beside this
    file: clients are generated from it, so the API's contract changes only on purpose.

    After changing the API deliberately, rewrite the file and review its diff with the change:
    ``BEFFROI_UPDATE_OPENAPI=1 .venv/bin/pytest beffroi/api/tests/test_schema.py -k committed``.
    """
    response = client.get("/api/v1/openapi.json", HTTP_HOST="localhost")
    assert response.status_code == 200
    if os.environ.get(UPDATE) == "1":
        PINNED.write_bytes(response.content)
    if response.content != PINNED.read_bytes():
        served = json.dumps(response.json(), indent=2, sort_keys=True).splitlines()
        pinned = json.dumps(json.loads(PINNED.read_bytes()), indent=2, sort_keys=True)
        diff = list(
            difflib.unified_diff(
                pinned.splitlines(), served, "committed", "served", lineterm="", n=2
            )
        )
        pytest.fail(
            "The OpenAPI document differs from beffroi/api/tests/openapi.json. If the API "
            f"changed on purpose, rewrite the file with {UPDATE}=1 .venv/bin/pytest "
            "beffroi/api/tests/test_schema.py -k committed, review its diff and commit it with "
            "the change.\n" + ("\n".join(diff[:60]) if diff else "(same content, different bytes)")
        )
