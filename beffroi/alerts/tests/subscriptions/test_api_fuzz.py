"""Property-based test of the subscriptions API (schemathesis) against a caller who IS
registered, so that generated bodies reach the services (the API-wide fuzz test has no
subscriber): no input may produce a 5xx, every response must match its schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from beffroi.alerts.subscriptions import services as services
from beffroi.alerts.tests.factories import Territory, register_subscriber, territory
from beffroi.api.api import api
from beffroi.api.tests.factories import make_token

__all__ = ["territory"]

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema()).include(tag="subscriptions")
schema.app = WSGIHandler()


@pytest.fixture
def agent_key(territory: Territory, settings: Any) -> Iterator[str]:
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    register_subscriber(territory, user=territory.cast.administrator, email="admin@valmont.example")
    # The WSGI handler would otherwise close the test's connection after each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield make_token(territory.cast.administrator, territory.cast.org, name="fuzz")
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_it_answers_every_subscriptions_operation_without_server_error(
    case: Any, agent_key: str
) -> None:
    authenticated = case.call(headers={"Authorization": f"Bearer {agent_key}"})
    case.validate_response(authenticated, checks=CHECKS)
