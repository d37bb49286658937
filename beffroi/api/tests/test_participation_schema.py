"""Property-based tests of the participation API against real objects (schemathesis).

``test_schema.py`` fuzzes every operation of the API, but its random slugs and ids never
name a process: those cases end in 404 before any service runs. Here the path points at a
process with an open proposals phase, its proposal, meeting and questionnaire, so that the
generated queries and bodies (valid and invalid) reach the selectors and services, anonymous
and with the token of an agent taking part: no input may produce a 5xx, and every answer
must match the documented schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from beffroi.api.api import api
from beffroi.api.tests.factories import make_token
from beffroi.participation.models import Category, Comment, Phase, PhaseType
from beffroi.participation.tests.consultations.helpers import make_survey
from beffroi.participation.tests.factories import (
    make_meeting,
    make_process,
    make_proposal,
    participant,
    verified,
)
from beffroi.testing import Cast

from .test_schema import CHECKS

schema = schemathesis.openapi.from_dict(api.get_openapi_schema()).include(
    path_regex="/participation/"
)
schema.app = WSGIHandler()


@pytest.fixture
def world(cast: Cast, settings: Any) -> Iterator[dict[str, Any]]:
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    process = make_process(
        cast.org, slug="idees", phases=(PhaseType.PROPOSALS, PhaseType.CONSULTATION)
    )
    # Both open: every action of the API is allowed, so that the services run.
    Phase.objects.filter(process=process, type=PhaseType.CONSULTATION).update(mode=Phase.Mode.OPEN)
    Category.objects.create(process=process, name="Environnement")
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    Comment.objects.create(
        organisation=cast.org, process=process, proposal=proposal, body="Bonne idée"
    )
    meeting = make_meeting(process, capacity=3)
    survey = make_survey(process)
    key = make_token(verified(cast.administrator), cast.org, name="schemathesis")
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {
            "ids": {
                "slug": "idees",
                "proposal_id": proposal.pk,
                "meeting_id": meeting.pk,
                "questionnaire_id": survey.questionnaire.pk,
            },
            "key": key,
        }
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


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
def test_it_answers_every_participation_operation_on_real_objects(
    case: Any, world: dict[str, Any]
) -> None:
    for name, value in world["ids"].items():
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = value
    case.call_and_validate(checks=CHECKS)
    authenticated = case.call(headers={"Authorization": f"Bearer {world['key']}"})
    case.validate_response(authenticated, checks=CHECKS)
